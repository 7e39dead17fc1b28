"""Our solver (solver="bnconvex") against CVXPY + Clarabel on the same Thm 2.2 instances, in one run.

Instances (real data, squared loss, β = --beta, P patterns sampled as 1[U'h ≥ 0] with seed 0):

- ``digits``: scikit-learn's 1797 8×8 digits (embedded, offline), pixels / 16, even vs odd as ±1, seeded
  subsets of n rows; r + 1 ≤ 65 < n, so ours is the interior-point method;
- ``cifar10-2class``: a prepared CIFAR-10 subset (--cifar, classes 0 and 1 as ±1), n ≤ d, so U' is square
  and ours is the dual L-BFGS-B of :mod:`bnconvex.convex.solvers.orthant_dual`;
- ``cifar10-3class``: the whole prepared three-class subset (n = 1500, d = 3072), one-hot targets
  (the column-wise vector program, three columns), P = --cifar-P.

CVXPY runs in a child process capped at --cap-s seconds; it is skipped (null) above n·P·(r+1) >
--cvxpy-max-entries, where its dense model does not fit this machine's memory. Ours stops on its own
certified relative gap --tol; ``ours_s`` is its solve time (with the certificates it stops on), and
``ours_total_s`` adds the independent recomputation in :func:`bnconvex.convex.solve` (batched multiplier
bounds refined by NNLS where they bind: benchmarks/certificate.py), reconstruction included. ``ours_gap`` is
that recomputed gap. Records go to --out as
{"dataset", "n", "P", "cvxpy_s", "ours_s", "speedup", "rel_obj_diff", "ours_gap", "device", ...}.

Usage: python benchmarks/convex_solver.py [--instances digits cifar10-2class cifar10-3class] [--n 200 1000]
       [--P 50 200 1000]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import platform
import time

import numpy as np
import torch

from bnconvex.convex import patterns, solve
from bnconvex.convex.solvers import choose_own_method
from bnconvex.data import load_prepared
from bnconvex.data.sources import digits_parity
from bnconvex.io import save_json
from bnconvex.linalg import compact_svd


def cifar_two_class(path, n, seed=0):
    data = load_prepared(path)
    rows = np.flatnonzero(data.y_train < 2)
    idx = np.sort(np.random.default_rng(seed).choice(rows, n, replace=False))
    return data.X_train[idx], np.where(data.y_train[idx] == 1, 1.0, -1.0)


def cifar_three_class(path):
    data = load_prepared(path)
    return data.X_train, np.eye(int(data.y_train.max()) + 1)[data.y_train]


def _cvxpy_child(X, y, D, beta, queue):
    cert = solve(X, y, beta, patterns=D).certificate
    queue.put((cert["time_s"], cert["primal_convex"], cert["rel_gap"]))


def cvxpy_capped(X, y, D, beta, cap_s):
    """(time, objective, gap) of CVXPY + Clarabel in a child process; (None, None, None) past cap_s."""
    queue = mp.Queue()
    proc = mp.Process(target=_cvxpy_child, args=(X, y, D, beta, queue))
    proc.start()
    proc.join(cap_s)
    if proc.is_alive():
        proc.terminate()
        proc.join()
        return None, None, None
    return queue.get() if not queue.empty() else (None, None, None)


def run_instance(name, X, y, P, args, device):
    D = patterns(X, "sample", P=P, seed=0)
    n, r1 = compact_svd(X).U_prime.shape
    C = 1 if y.ndim == 1 else y.shape[1]
    t0 = time.perf_counter()
    ours = solve(X, y, args.beta, patterns=D, solver="bnconvex", tol=args.tol, time_limit_s=args.cap_s).certificate
    total = time.perf_counter() - t0
    cvx_s = cvx_obj = cvx_gap = None
    skipped = n * D.shape[1] * C * r1 > args.cvxpy_max_entries
    if not skipped:
        cvx_s, cvx_obj, cvx_gap = cvxpy_capped(X, y, D, args.beta, args.cap_s)
    rel = None if cvx_obj is None else (ours["primal_convex"] - cvx_obj) / abs(cvx_obj)
    return {
        "dataset": name, "n": n, "d": int(X.shape[1]), "r1": r1, "C": C, "P": int(D.shape[1]),
        "beta": args.beta, "cvxpy_s": cvx_s, "ours_s": ours["time_s"], "ours_total_s": total,
        "speedup": None if cvx_s is None else cvx_s / ours["time_s"], "rel_obj_diff": rel,
        "ours_gap": ours["rel_gap"], "ours_status": ours["status"], "ours_method": choose_own_method(n, r1, P),
        "ours_objective": ours["primal_convex"], "cvxpy_objective": cvx_obj, "cvxpy_gap": cvx_gap,
        "cvxpy_note": ("skipped: n·P·C·(r+1) above --cvxpy-max-entries" if skipped
                       else "did not finish within --cap-s" if cvx_s is None else "finished"),
        "device": device, "torch_threads": torch.get_num_threads(),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--instances", nargs="+", default=["digits", "cifar10-2class", "cifar10-3class"])
    ap.add_argument("--cifar", default="data/processed/cifar10.npz")
    ap.add_argument("--n", type=int, nargs="+", default=[200, 1000])
    ap.add_argument("--P", type=int, nargs="+", default=[50, 200, 1000])
    ap.add_argument("--cifar-P", type=int, default=1000)
    ap.add_argument("--beta", type=float, default=0.1)
    ap.add_argument("--tol", type=float, default=1e-6)
    ap.add_argument("--cap-s", type=float, default=600.0)
    ap.add_argument("--cvxpy-max-entries", type=float, default=2e7)
    ap.add_argument("--out", default="results/benchmarks/convex_solver.json")
    args = ap.parse_args()
    device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else (platform.processor() or "cpu")
    records = []

    def record(rec):
        records.append(rec)
        print(rec, flush=True)
        save_json(args.out, records)

    for name in args.instances:
        if name == "cifar10-3class":
            X, Y = cifar_three_class(args.cifar)
            record(run_instance(name, X, Y, args.cifar_P, args, device))
            continue
        for n in args.n:
            X, y = digits_parity(n) if name == "digits" else cifar_two_class(args.cifar, n)
            for P in args.P:
                record(run_instance(name, X, y, P, args, device))


if __name__ == "__main__":
    main()
