"""Optimality certificates of the convex programs: a dual-feasible point and the lower bound it gives.

Every program here has the form ``min_s L(Σ_i G_i s_i) + β Σ_i ‖s_i‖`` over cones ``K_i = {s : B_i s ≥ 0}``
(with a second family s'_i entering with a minus sign). Its dual is

    max_v −L*(v)   s.t.   max_{s ∈ K_i, ‖s‖ ≤ 1} ±vᵀ G_i s ≤ β   for every i and both signs,

and by Moreau's decomposition ``max_{s ∈ K, ‖s‖≤1} gᵀs = ‖Π_K(g)‖ = min_{ρ ≥ 0} ‖g + Bᵀρ‖``, an NNLS
problem checked exactly for each pattern (shared/FORMULAS.md, "Certificate").

Given a candidate v (e.g. ``∇L(ŷ)`` at the solution), scaling it by ``min(1, β/m)``, where m is the largest
constraint value (per output column for the squared loss, whose column-wise program separates), makes it
feasible (the conjugates' domains are star-shaped around 0 for our losses), and
``−L*(v̂)`` is then a lower bound on the program over the same patterns; over a complete pattern set, on the
non-convex training problem at any width.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import nnls

from bnconvex import losses


@dataclass
class PatternSystem:
    """The blocks ``(G_i, B_i)`` of a program, built one at a time (P dense n×k matrices are never stored).

    BN before ReLU (Thm 2.2/2.3): ``G_i = D_i U'``, ``B_i = (2D_i − I) U'``. BN after ReLU (Thm G.1): pass
    ``per_pattern`` = [(U'_i, B_i, M_i)]: ``G_i = U'_i`` and the cone ``{s = [M_i w; a] : B_i w ≥ 0}``, a
    projection of a polyhedral cone, checked by :func:`projected_cone_max`.
    """

    U_prime: np.ndarray | None = None
    D: np.ndarray | None = None
    per_pattern: list | None = None

    def __iter__(self):
        if self.per_pattern is not None:
            yield from ((Up_i, (B_i, M_i)) for Up_i, B_i, M_i in self.per_pattern)
            return
        for i in range(self.D.shape[1]):
            mask = self.D[:, i, None]
            yield mask * self.U_prime, np.where(mask, self.U_prime, -self.U_prime)


def cone_max(g: np.ndarray, B: np.ndarray) -> float:
    """``max_{s: Bs ≥ 0, ‖s‖ ≤ 1} gᵀs = min_{ρ ≥ 0} ‖g + Bᵀρ‖`` (NNLS)."""
    _, residual = nnls(B.T, -g, maxiter=50 * B.shape[0])
    return float(residual)


def projected_cone_max(g: np.ndarray, B: np.ndarray, M: np.ndarray) -> float:
    """``max gᵀs`` over ``s = [M w; a]``, ``B w ≥ 0``, ``‖s‖ ≤ 1`` (Thm G.1's cone), as a small SOCP.

    By Farkas this equals ``min_{ρ ≥ 0, NᵀBᵀρ = 0} ‖g + [B M⁺, 0]ᵀρ‖`` (N: a basis of null(M)), an
    equality-constrained NNLS; the SOCP is solved by Clarabel (default tolerances, ~1e-8) and its value is
    inflated by 1e-7 relative (+1e-10) so that the scaled dual point stays feasible despite that tolerance.
    """
    import cvxpy as cp

    w, a = cp.Variable(B.shape[1]), cp.Variable()
    s = cp.hstack([M @ w, cp.reshape(a, (1,), order="C")])
    prob = cp.Problem(cp.Maximize(g @ s), [B @ w >= 0, cp.norm(s, 2) <= 1])
    prob.solve(solver=cp.CLARABEL)
    if prob.status != "optimal":
        raise RuntimeError(f"the G.1 dual-constraint check returned status {prob.status!r}")
    return float(prob.value) * (1 + 1e-7) + 1e-10


def dual_constraint(V: np.ndarray, system: PatternSystem) -> float:
    """``max_{i, c, ±} max_{s ∈ K_i, ‖s‖≤1} ±V_cᵀ G_i s`` (V: n or n×C; columns c checked separately)."""
    V = V[:, None] if V.ndim == 1 else V
    if isinstance(system, PatternSystem) and system.per_pattern is None and \
            system.U_prime.shape[0] == system.U_prime.shape[1]:
        return square_dual_constraint(V, system.D)
    worst = 0.0
    for G, B in system:
        for g in (G.T @ V).T:  # one column of V at a time
            if np.linalg.norm(g) <= worst:  # ‖Π_K g‖ ≤ ‖g‖ cannot raise the maximum
                continue
            if isinstance(B, tuple):  # Thm G.1: a projected cone
                worst = max(worst, projected_cone_max(g, *B), projected_cone_max(-g, *B))
            else:
                worst = max(worst, cone_max(g, B), cone_max(-g, B))
    return worst


def square_dual_constraint(V: np.ndarray, D: np.ndarray) -> float:
    """:func:`dual_constraint` when U' is square (r + 1 = n, so orthogonal): with ``t = U's`` the cone is the
    orthant of the pattern and ``max_{s ∈ K_i, ‖s‖≤1} ±vᵀD_iU's = ‖(±D_i v)₊‖`` in closed form."""
    Dm = np.asarray(D, float)
    worst = 0.0
    for v in V.T:
        for sign in (1.0, -1.0):
            worst = max(worst, float(np.sqrt(Dm.T @ np.clip(sign * v, 0, None) ** 2).max()))
    return worst


def lower_bound(loss: str, candidates: list[np.ndarray], y: np.ndarray, beta: float,
                system: PatternSystem) -> dict:
    """The best lower bound ``−L*(v̂)`` over the dual candidates, each scaled to feasibility."""
    best = {"lower_bound": -np.inf, "dual_constraint": np.inf, "dual_scale": 0.0}
    for V in candidates:
        if V is None or not np.all(np.isfinite(V)):
            continue
        V = losses.project_dual(loss, np.asarray(V, float).reshape(y.shape), y)
        if loss == "squared" and V.ndim == 2:
            # the column-wise program's dual constraints and L* both separate over columns: scale each
            m = np.array([dual_constraint(V[:, c], system) for c in range(V.shape[1])])
            scale = np.where(m <= beta, 1.0, beta / np.maximum(m, 1e-300))
        else:
            m = np.array(dual_constraint(V, system))
            scale = np.array(1.0 if m <= beta else beta / m)
        lb = -losses.conjugate(loss, scale * V, y)
        if lb > best["lower_bound"]:
            best = {"lower_bound": float(lb), "dual_constraint": float(np.max(m * scale)),
                    "dual_scale": float(np.min(scale))}
    return best
