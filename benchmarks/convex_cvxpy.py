"""Baseline: CVXPY + Clarabel solve times of the Thm 2.2 program as a function of n and P, on real data.

For each (n, P): a seeded two-class subset of the prepared data set (default: digits from the default
study, classes 0 and 1 as ±1), P sampled patterns, squared loss, β = 0.1. Each record holds the solve time,
the certificate's relative gap and the reconstruction error; this is the reference for the own solver.

Usage: python benchmarks/convex_cvxpy.py [--data data/processed/digits.npz] [--n 50 100 200] [--P 25 50 100]
       [--out results/benchmarks/convex_cvxpy.json]
"""

from __future__ import annotations

import argparse
import platform

from bnconvex.data import load_prepared
from bnconvex.experiments.convex_jobs import binary_task, thm22_sampled
from bnconvex.io import save_json


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="data/processed/digits.npz")
    ap.add_argument("--classes", type=int, nargs=2, default=[0, 1])
    ap.add_argument("--n", type=int, nargs="+", default=[50, 100, 200])
    ap.add_argument("--P", type=int, nargs="+", default=[25, 50, 100])
    ap.add_argument("--beta", type=float, default=0.1)
    ap.add_argument("--solver", default="clarabel")
    ap.add_argument("--out", default="results/benchmarks/convex_cvxpy.json")
    args = ap.parse_args()
    data = load_prepared(args.data)
    records = []
    for n in args.n:
        X, y = binary_task(data.X_train, data.y_train, args.classes, n, seed=0)
        for P in args.P:
            cert = thm22_sampled(X, y, args.beta, P, seed=0, solver=args.solver).certificate
            records.append({
                "dataset": data.meta["name"], "n": n, "d": X.shape[1], "P": P, "P_distinct": cert["P"],
                "solver": args.solver, "status": cert["status"], "cvxpy_s": cert["time_s"],
                "certificate_s": cert["certificate_time_s"], "rel_gap": cert["rel_gap"],
                "network_rel_diff": cert["network_rel_diff"], "objective": cert["primal_convex"],
                "device": platform.processor() or platform.machine(),
            })
            print(records[-1])
            save_json(args.out, records)  # rewritten after each instance: a killed run keeps what it had


if __name__ == "__main__":
    main()
