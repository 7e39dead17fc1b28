"""Our own solvers of the Thm 2.2 program (squared loss), one file per method, behind the interface of
:mod:`.base`: ``orthant_dual`` (:class:`OrthantDual`, dual L-BFGS-B, U' square), ``interior_point``
(:class:`InteriorPoint`), ``admm`` (:class:`ADMM` on rows, memory O(nP + n(r+1)), for problems too large for the
interior point).
``solver="bnconvex"`` of :func:`bnconvex.convex.solve` runs them through :func:`solve_columns`.
"""

from __future__ import annotations

import numpy as np
import torch

from bnconvex.convex.solvers.admm import ADMM
from bnconvex.convex.solvers.base import OwnSolver, SolverResult
from bnconvex.convex.solvers.interior_point import InteriorPoint, interior_point_entries
from bnconvex.convex.solvers.orthant_dual import OrthantDual

METHODS = {"orthant": OrthantDual, "ipm": InteriorPoint, "admm": ADMM}
IPM_MAX_ENTRIES = 3e8  # float entries (2.4 GB in float64) up to which method="auto" uses the interior point


def choose_own_method(n: int, r1: int, P: int) -> str:
    """What ``method="auto"`` picks for U' of shape n×r1 and P patterns: "orthant" when U' is square, else
    "ipm" when it fits in memory (:data:`IPM_MAX_ENTRIES`), else "admm"."""
    if n == r1:
        return "orthant"
    return "ipm" if interior_point_entries(n, r1, P) <= IPM_MAX_ENTRIES else "admm"


def solve_columns(Up, D, y, beta, loss, tol=1e-6, time_limit_s=None, dtype=None, device=None, method="auto",
                  **options):
    """Our solver column by column (the column-wise program decouples); ``method``: a key of :data:`METHODS` or
    "auto". Returns (S, S', status, time, dual) as :func:`bnconvex.convex.formulations.columnwise`; the dual is
    ``ŷ − y`` at the solver's best lower bound (which may precede the returned primal iterate), or None."""
    if loss != "squared":
        raise ValueError(f"solver 'bnconvex' handles the squared loss, not {loss!r}; use clarabel or scs")
    if method == "auto":
        method = choose_own_method(*Up.shape, D.shape[1])
    if method not in METHODS:
        raise ValueError(f"method must be 'auto' or one of {sorted(METHODS)}, got {method!r}")
    Y = y[:, None] if y.ndim == 1 else y
    S, Sn, duals, t, ok = [], [], [], 0.0, True
    for c in range(Y.shape[1]):
        out = METHODS[method](Up, D, Y[:, c], beta, dtype=dtype or torch.float64, device=device).run(
            tol=tol, time_limit_s=time_limit_s, **options)
        Sc = out.S.cpu().double().numpy()
        S.append(Sc[0])
        Sn.append(Sc[1])
        duals.append(None if out.dual is None else -out.dual.cpu().double().numpy())
        t += out.time_s
        ok &= out.converged
    dual = None if any(d is None for d in duals) else np.stack(duals, axis=1).reshape(y.shape)
    return np.stack(S), np.stack(Sn), "optimal" if ok else "not_converged", t, dual


__all__ = ["ADMM", "IPM_MAX_ENTRIES", "METHODS", "InteriorPoint", "OrthantDual", "OwnSolver", "SolverResult",
           "choose_own_method", "solve_columns"]
