"""Convex losses of App. B.1, each with its value, gradient, Fenchel conjugate and CVXPY expression.

Conventions: predictions ``u`` and targets ``y`` are n-vectors (scalar output) or n×C arrays (vector
output). ``squared``: any real y; ``hinge`` and ``logistic``: y ∈ {−1, +1}; ``cross_entropy``: one-hot Y
(softmax). The dual of ``min_u L(u) + …`` used by the certificates is ``max_v −L*(v)`` (see
:mod:`bnconvex.convex.certificate`); ``conjugate`` returns +inf outside its domain.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, logsumexp, softmax, xlogy

SCALAR_LOSSES = ("squared", "hinge", "logistic")
VECTOR_LOSSES = ("squared", "cross_entropy")


def value(loss: str, u: np.ndarray, y: np.ndarray) -> float:
    if loss == "squared":
        return 0.5 * float(np.sum((u - y) ** 2))
    if loss == "hinge":
        return float(np.sum(np.maximum(0.0, 1.0 - y * u)))
    if loss == "logistic":
        return float(np.sum(np.logaddexp(0.0, -y * u)))
    if loss == "cross_entropy":
        return float(np.sum(logsumexp(u, axis=1) - np.sum(y * u, axis=1)))
    raise ValueError(f"unknown loss {loss!r}")


def gradient(loss: str, u: np.ndarray, y: np.ndarray) -> np.ndarray:
    """A (sub)gradient of L at u; for hinge, −y where 1 − yu > 0, else 0."""
    if loss == "squared":
        return u - y
    if loss == "hinge":
        return np.where(1.0 - y * u > 0, -y, 0.0)
    if loss == "logistic":
        return -y * expit(-y * u)
    if loss == "cross_entropy":
        return softmax(u, axis=1) - y
    raise ValueError(f"unknown loss {loss!r}")


def conjugate(loss: str, v: np.ndarray, y: np.ndarray, tol: float = 1e-12) -> float:
    """``L*(v) = sup_u vᵀu − L(u)``; +inf outside the domain (up to ``tol``)."""
    if loss == "squared":
        return 0.5 * float(np.sum(v**2)) + float(np.sum(v * y))
    if loss in ("hinge", "logistic"):
        t = -y * v  # must lie in [0, 1]
        if np.any(t < -tol) or np.any(t > 1 + tol):
            return np.inf
        t = np.clip(t, 0.0, 1.0)
        if loss == "hinge":
            return float(-np.sum(t))
        return float(np.sum(xlogy(t, t) + xlogy(1 - t, 1 - t)))
    if loss == "cross_entropy":
        p = v + y  # each row must lie in the simplex
        if np.any(p < -tol) or np.any(np.abs(p.sum(axis=1) - 1) > 1e-9):
            return np.inf
        p = np.clip(p, 0.0, None)
        return float(np.sum(xlogy(p, p)))
    raise ValueError(f"unknown loss {loss!r}")


def project_dual(loss: str, v: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Project a dual candidate into the domain of L* (solver duals can sit just outside it)."""
    if loss in ("hinge", "logistic"):
        return -y * np.clip(-y * v, 0.0, 1.0)
    if loss == "cross_entropy":
        return _project_simplex_rows(v + y) - y
    return v


def _project_simplex_rows(P: np.ndarray) -> np.ndarray:
    """Euclidean projection of each row onto the probability simplex (sort-based)."""
    n, C = P.shape
    U = -np.sort(-P, axis=1)
    css = np.cumsum(U, axis=1) - 1.0
    k = np.arange(1, C + 1)
    rho = np.sum(U - css / k > 0, axis=1)
    theta = css[np.arange(n), rho - 1] / rho
    return np.maximum(P - theta[:, None], 0.0)


def cvxpy_expr(loss: str, u, y: np.ndarray):
    """The loss as a CVXPY expression of the prediction variable u."""
    import cvxpy as cp

    if loss == "squared":
        return 0.5 * cp.sum_squares(u - y)
    if loss == "hinge":
        return cp.sum(cp.pos(1 - cp.multiply(y, u)))
    if loss == "logistic":
        return cp.sum(cp.logistic(-cp.multiply(y, u)))
    if loss == "cross_entropy":
        return cp.sum(cp.log_sum_exp(u, axis=1)) - cp.sum(cp.multiply(y, u))
    raise ValueError(f"unknown loss {loss!r}")


def check_targets(loss: str, y: np.ndarray) -> None:
    """Raise a ValueError naming the problem when y does not suit the loss."""
    vector = y.ndim == 2
    if vector and loss not in VECTOR_LOSSES:
        raise ValueError(f"loss {loss!r} is for scalar output; vector output takes {VECTOR_LOSSES}")
    if not vector and loss not in SCALAR_LOSSES:
        raise ValueError(f"loss {loss!r} is for vector output; scalar output takes {SCALAR_LOSSES}")
    if loss in ("hinge", "logistic") and not np.all(np.isin(y, (-1.0, 1.0))):
        raise ValueError(f"loss {loss!r} needs labels y in {{-1, +1}}")
    if loss == "cross_entropy" and not (np.all(np.isin(y, (0.0, 1.0))) and np.all(y.sum(axis=1) == 1)):
        raise ValueError("loss 'cross_entropy' needs one-hot Y")
