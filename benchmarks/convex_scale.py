"""The Thm 2.2 program at CIFAR scale on this machine (issue 17's CPU targets): our scalable method
(``method="admm"``: :mod:`bnconvex.convex.solvers.admm`, memory O(nP + n(r+1)), float32 iterations,
float64 certificates) with its certified relative gap over time.

Instances (real data: the CIFAR-10 training set read from its fetched archive, pixels / 255):

- ``cifar10-binary``: classes 0 and 1, all 10,000 training images (d = 3072, r + 1 = 3073), y = ±1,
  P = --P patterns sampled as 1[U'h ≥ 0] (seed 0), β = --beta;
- ``cifar10-onehot-k``: all 50,000 training images, 10 classes one-hot (the column-wise program, column by
  column), X truncated to its top --k singular values (the paper's k = 215), P = --P.

Each record: {"instance", "n", "r1", "P", "C", "beta", "tol", "time_limit_s", "time_s", "upper", "lower",
"rel_gap", "converged", "iterations", "time_to": {"1e-2": s | null, "1e-3": …, "1e-4": …}, "trace":
[[t, upper, lower], …], "peak_rss_gb", "iter_dtype", "threads"}. Certificates are the solver's own
(float64, sound for any multipliers); ``solve()``'s independent recomputation is not run here.

Usage: python benchmarks/convex_scale.py --raw PATH [--format image-folder] [--instances cifar10-binary]
       [--time-limit-s 1800] [--tol 1e-4] [--out results/benchmarks/convex_scale.json]
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import torch
from convex_solver import sampled_gates  # noqa: E402  (benchmarks/ on sys.path when run as a script)

from bnconvex.convex.solvers import ADMM
from bnconvex.data.sources import load_raw
from bnconvex.io import save_json
from bnconvex.linalg import compact_svd, truncate


def time_to(trace, level):
    """First time in ``trace`` [(t, upper, lower)] at which the certified relative gap is ≤ level."""
    return next((t for t, up, lo in trace if (up - lo) / abs(up) <= level), None)


def run(name, X, Y, args):
    t0 = time.perf_counter()
    Up = compact_svd(X).U_prime
    G = sampled_gates(Up, args.P, seed=0)  # the directions behind patterns(X, "sample", P, seed=0)
    D = Up @ G >= 0  # the same pattern set, in G's order: G gives every cone an interior direction
    setup = time.perf_counter() - t0
    print(name, "U'", Up.shape, "P", D.shape[1], f"setup {setup:.0f} s", flush=True)
    Y = Y[:, None] if Y.ndim == 1 else Y
    trace, out, t_solve = [], None, 0.0
    upper = lower = 0.0
    converged, iterations = True, 0
    for c in range(Y.shape[1]):  # the column-wise program separates
        out = ADMM(Up, D, Y[:, c], args.beta).run(tol=args.tol, time_limit_s=args.time_limit_s / Y.shape[1],
                                                  directions=G,
                                                  progress=lambda *a, c=c: print(name, c, *a, flush=True))
        trace += [(t_solve + t, up, lo) for t, up, lo in out.extra["trace"]] if Y.shape[1] == 1 else []
        t_solve += out.time_s
        upper, lower = upper + out.upper, lower + out.lower
        converged &= out.converged
        iterations += out.iterations
    if Y.shape[1] > 1:
        trace = [(t_solve, upper, lower)]
    return {
        "instance": name, "n": int(X.shape[0]), "r1": int(Up.shape[1]), "P": args.P, "C": int(Y.shape[1]),
        "beta": args.beta, "tol": args.tol, "time_limit_s": args.time_limit_s, "setup_s": setup,
        "time_s": t_solve, "upper": upper, "lower": lower, "rel_gap": (upper - lower) / abs(upper),
        "converged": bool(converged), "iterations": iterations,
        "time_to": {f"{lv:g}": time_to(trace, lv) for lv in (1e-2, 1e-3, 1e-4)}, "trace": trace,
        "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
        "iter_dtype": out.extra["iter_dtype"], "threads": torch.get_num_threads(),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--raw", required=True, help="the fetched CIFAR-10 archive")
    ap.add_argument("--format", default=None, help="e.g. image-folder for the JPEG mirror")
    ap.add_argument("--instances", nargs="+", default=["cifar10-binary"])
    ap.add_argument("--P", type=int, default=1000)
    ap.add_argument("--beta", type=float, default=1.0)
    ap.add_argument("--k", type=int, default=215)
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--time-limit-s", type=float, default=1800.0)
    ap.add_argument("--out", default="results/benchmarks/convex_scale.json")
    args = ap.parse_args()
    raw = load_raw("cifar10", args.raw, format=args.format)
    X, y = raw.X / 255.0, np.asarray(raw.y)
    records = []
    for name in args.instances:
        if name == "cifar10-binary":
            rows = np.flatnonzero(y < 2)
            rec = run(name, X[rows], np.where(y[rows] == 1, 1.0, -1.0), args)
        elif name == "cifar10-onehot-k":
            rec = run(name, truncate(X, args.k), np.eye(10)[y], args)
        else:
            raise SystemExit(f"unknown instance {name!r}")
        records.append(rec)
        print({k: v for k, v in rec.items() if k != "trace"}, flush=True)
        save_json(args.out, records)


if __name__ == "__main__":
    main()
