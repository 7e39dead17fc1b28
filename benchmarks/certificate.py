"""The certificate's dual-constraint check, batched multiplier bounds refined by NNLS where they bind
(:func:`bnconvex.convex.certificate.dual_constraint`, the default) against exact NNLS on every pattern
(``batched=False``, the previous recomputation), side by side on the same dual points in one run.

Instances: the embedded digits, even vs odd (±1), seeded subsets of n rows, β = --beta, P sampled patterns
(seed 0); each is solved once by solver="bnconvex" (r + 1 = 65 < n: the interior point), and both checks
then bound the same two dual candidates (∇L(ŷ) and the solver's dual) as :func:`bnconvex.convex.solve` does.
Records: {"n", "P", "batched_s", "serial_s", "speedup", "batched_lower_bound", "serial_lower_bound",
"lower_bound_rel_diff", "batched_constraint", "serial_constraint"} to --out.

Usage: python benchmarks/certificate.py [--n 200 1000] [--P 200 1000] [--out results/benchmarks/certificate.json]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from bnconvex import losses
from bnconvex.convex import patterns, solve
from bnconvex.convex.certificate import PatternSystem, lower_bound
from bnconvex.data.sources import digits_parity
from bnconvex.io import save_json
from bnconvex.linalg import compact_svd


def run_instance(n: int, P: int, beta: float) -> dict:
    X, y = digits_parity(n)
    D = patterns(X, "sample", P=P, seed=0)
    Up = compact_svd(X).U_prime
    res = solve(X, y, beta, patterns=D, solver="bnconvex")
    yhat = (D * (Up @ (res.S[0] - res.S_neg[0]))).sum(axis=1)
    candidates = [losses.gradient("squared", yhat, y)]
    system = PatternSystem(U_prime=Up, D=D)
    out = {"n": n, "P": P, "beta": beta, "r1": int(Up.shape[1]), "solve_rel_gap": res.certificate["rel_gap"],
           "torch_threads": torch.get_num_threads()}
    for name, batched in (("batched", True), ("serial", False)):
        t0 = time.perf_counter()
        lb = lower_bound("squared", candidates, y, beta, system, batched=batched)
        out[f"{name}_s"] = time.perf_counter() - t0
        out[f"{name}_lower_bound"] = lb["lower_bound"]
        out[f"{name}_constraint"] = lb["dual_constraint"] / max(lb["dual_scale"], 1e-300)
    out["speedup"] = out["serial_s"] / out["batched_s"]
    out["lower_bound_rel_diff"] = (out["batched_lower_bound"] - out["serial_lower_bound"]) / abs(
        out["serial_lower_bound"])
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[200, 1000])
    ap.add_argument("--P", type=int, nargs="+", default=[200, 1000])
    ap.add_argument("--beta", type=float, default=0.1)
    ap.add_argument("--out", default="results/benchmarks/certificate.json")
    args = ap.parse_args()
    records = []
    for n in args.n:
        for P in args.P:
            records.append(run_instance(n, P, args.beta))
            print({k: (round(v, 4) if isinstance(v, float) and abs(v) > 1e-3 else v) for k, v in records[-1].items()},
                  flush=True)
            save_json(args.out, records)
    print("speedups:", [round(r["speedup"], 1) for r in records], "max |lower bound rel diff|:",
          f"{max(abs(r['lower_bound_rel_diff']) for r in records):.1e}", flush=True)


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
