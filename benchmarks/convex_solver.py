"""Our solver (solver="bnconvex", ADMM) against CVXPY + Clarabel on the same Thm 2.2 instances, in one run.

Instances: seeded subsets of a prepared real data set (default: all ten digits as an even/odd ±1 task),
n in --n, P sampled patterns in --P, squared loss, β = 0.1. CVXPY runs in a child process capped at
--cap-s seconds (cvxpy_s, speedup and rel_obj_diff are null where it did not finish). Ours stops on its
certified relative gap --tol. Records go to results/benchmarks/convex_solver.json as
{"dataset", "n", "P", "cvxpy_s", "ours_s", "speedup", "rel_obj_diff", "ours_gap", "device"}.

Usage: python benchmarks/convex_solver.py [--data data/processed/digits.npz] [--n 200 1000] [--P 50 200]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import platform

import numpy as np
import torch

from bnconvex.convex import patterns, solve
from bnconvex.data import load_prepared
from bnconvex.io import save_json


def instance(data, n, P, seed=0):
    rng = np.random.default_rng(seed)
    idx = np.sort(rng.choice(len(data.y_train), n, replace=False))
    X = data.X_train[idx]
    y = np.where(data.y_train[idx] % 2 == 0, 1.0, -1.0)
    return X, y, patterns(X, "sample", P=P, seed=seed)


def _cvxpy_child(X, y, D, beta, queue):
    cert = solve(X, y, beta, patterns=D).certificate
    queue.put((cert["time_s"], cert["primal_convex"]))


def cvxpy_capped(X, y, D, beta, cap_s):
    queue = mp.Queue()
    proc = mp.Process(target=_cvxpy_child, args=(X, y, D, beta, queue))
    proc.start()
    proc.join(cap_s)
    if proc.is_alive():
        proc.terminate()
        proc.join()
        return None, None
    return queue.get() if not queue.empty() else (None, None)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="data/processed/digits.npz")
    ap.add_argument("--n", type=int, nargs="+", default=[200, 1000])
    ap.add_argument("--P", type=int, nargs="+", default=[50, 200])
    ap.add_argument("--beta", type=float, default=0.1)
    ap.add_argument("--tol", type=float, default=1e-6)
    ap.add_argument("--cap-s", type=float, default=600.0)
    ap.add_argument("--out", default="results/benchmarks/convex_solver.json")
    args = ap.parse_args()
    data = load_prepared(args.data)
    device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else (platform.processor() or "cpu")
    records = []
    for n in args.n:
        for P in args.P:
            X, y, D = instance(data, n, P)
            ours = solve(X, y, args.beta, patterns=D, solver="bnconvex", tol=args.tol,
                         time_limit_s=args.cap_s).certificate
            cvx_s, cvx_obj = cvxpy_capped(X, y, D, args.beta, args.cap_s)
            rel = None if cvx_obj is None else (ours["primal_convex"] - cvx_obj) / abs(cvx_obj)
            records.append({
                "dataset": data.meta["name"], "n": n, "P": P, "cvxpy_s": cvx_s, "ours_s": ours["time_s"],
                "speedup": None if cvx_s is None else cvx_s / ours["time_s"], "rel_obj_diff": rel,
                "ours_gap": ours["rel_gap"], "ours_status": ours["status"], "device": device,
            })
            print(records[-1], flush=True)
            save_json(args.out, records)


if __name__ == "__main__":
    main()
