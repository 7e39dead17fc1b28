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
{"dataset", "n", "P", "cvxpy_s", "ours_s", "speedup", "rel_obj_diff", "ours_gap", "device", ...}; with --pyscnn
also pyscnn's augmented Lagrangian on the same program (U' as data, the same gates, no bias or unitization, λ = β/n),
judged by our objective and cone margins: "pyscnn_s", "pyscnn_rel_obj", "pyscnn_violation", "pyscnn_time_to_1e-6".

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


def sampled_gates(Up, P, seed=0):
    """The Gaussian directions G (r+1 × P') behind ``patterns(X, "sample", P, seed)``: one per distinct pattern
    (the first drawn), so that ``1[U'G ≥ 0]`` is the same pattern set (pyscnn takes gates, not patterns)."""
    S = np.random.default_rng(seed).standard_normal((Up.shape[1], P))
    _, first = np.unique(Up @ S >= 0, axis=1, return_index=True)
    return S[:, np.sort(first)]


def _pyscnn_child(Up, G, y, beta, tol, queue):
    from scnn.metrics import Metrics
    from scnn.models import ConvexReLU
    from scnn.optimize import optimize_model
    from scnn.regularizers import NeuronGL1
    from scnn.solvers import AL

    n = Up.shape[0]
    model = ConvexReLU(G, c=1)
    metrics = Metrics(metric_freq=1, model_loss=True, constraint_gaps=True, time=True)
    t0 = time.perf_counter()
    # U' as the data, the same gates, no bias, no unitization; its loss is ‖r‖²/(2n), so λ = β/n
    model, metrics = optimize_model(model, AL(model, tol=tol, constraint_tol=tol), metrics, Up, y[:, None],
                                    regularizer=NeuronGL1(beta / n), return_convex=True, unitize_data=False,
                                    dtype="float64")
    elapsed = time.perf_counter() - t0
    v, w = (np.asarray(p)[0].T for p in model.parameters)  # (r+1, P') each: s_i and s'_i
    trace = [(float(t), float(f) * n, float(g)) for t, f, g in
             zip(metrics.time, metrics.model_loss, metrics.constraint_gaps, strict=False)]
    queue.put((elapsed, v, w, np.asarray(model.G), trace))  # model.G: its gates, reordered (the same set)


def pyscnn_capped(Up, G, y, beta, tol, cap_s):
    """pyscnn's augmented Lagrangian (Mishkin et al., ICML 2022) on our program, in a child process capped at
    cap_s: (time, S (2, r+1, P'), its gates (the columns of S), trace [(t, objective·n, constraint gap)]) or
    Nones; pyscnn is optional."""
    try:
        import scnn  # noqa: F401
    except ImportError:
        return None, None, None, None
    queue = mp.Queue()
    proc = mp.Process(target=_pyscnn_child, args=(Up, G, y, beta, tol, queue))
    proc.start()
    try:  # read before joining: a child blocks on a result larger than the pipe's buffer until it is read
        elapsed, v, w, gates, trace = queue.get(timeout=cap_s)
    except Exception:  # queue.Empty: past cap_s, or the child failed
        proc.terminate()
        return None, None, None, None
    finally:
        proc.join()
    return elapsed, np.stack([v, w]), gates, trace


def pyscnn_record(Up, G, y, beta, p_star, args):
    """pyscnn's result judged with our own objective and cone margins: its final objective relative to p*,
    its largest cone violation, and the first time its iterates were within 1e-6 of p* (None if never)."""
    elapsed, S, gates, trace = pyscnn_capped(Up, G, y, beta, args.pyscnn_tol, args.cap_s)
    if elapsed is None:
        return {"pyscnn_s": None, "pyscnn_note": "not installed or did not finish within --cap-s"}
    D = (Up @ gates > 0).astype(float)  # pyscnn's own activations (the same pattern set as ours)
    yhat = (D * (Up @ (S[0] - S[1]))).sum(axis=1)
    objective = 0.5 * np.sum((yhat - y) ** 2) + beta * np.linalg.norm(S, axis=1).sum()
    violation = float(np.clip(-np.stack([(2 * D - 1) * (Up @ S[k]) for k in range(2)]), 0, None).max())
    reach = next((t for t, f, _ in trace if f <= p_star * (1 + 1e-6)), None)
    return {"pyscnn_s": elapsed, "pyscnn_objective": float(objective),
            "pyscnn_rel_obj": float((objective - p_star) / abs(p_star)), "pyscnn_violation": violation,
            "pyscnn_time_to_1e-6": reach, "pyscnn_tol": args.pyscnn_tol}


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
    anchor = {}
    if args.pyscnn and C == 1:
        Up = compact_svd(X).U_prime
        anchor = pyscnn_record(Up, sampled_gates(Up, P), y, args.beta, ours["primal_convex"], args)
    return {**anchor,
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
    ap.add_argument("--pyscnn", action="store_true",
                    help="also run pyscnn's augmented Lagrangian (optional: pip install --no-deps pyscnn "
                         "opt_einsum linalg_backends)")
    ap.add_argument("--pyscnn-tol", type=float, default=1e-6, help="its KKT and constraint tolerances")
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
