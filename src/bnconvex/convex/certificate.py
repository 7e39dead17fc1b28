"""Optimality certificates of the convex programs: a dual-feasible point and the lower bound it gives.

Every program here has the form ``min_s L(Σ_i G_i s_i) + β Σ_i ‖s_i‖`` over cones ``K_i = {s : B_i s ≥ 0}``
(with a second family s'_i entering with a minus sign). Its dual is

    max_v −L*(v)   s.t.   max_{s ∈ K_i, ‖s‖ ≤ 1} ±vᵀ G_i s ≤ β   for every i and both signs,

and by Moreau's decomposition ``max_{s ∈ K, ‖s‖≤1} gᵀs = ‖Π_K(g)‖ = min_{ρ ≥ 0} ‖g + Bᵀρ‖``, an NNLS
problem (docs/formulas.md, "Certificates"). Any ρ ≥ 0 gives an upper bound of it, so every pattern is bounded at
once with multipliers found by a batched first-order method (:func:`multiplier_bounds`), and exact NNLS is
run only on the patterns whose bound could set the maximum (:func:`dual_constraint`).

A candidate v (e.g. ``∇L(ŷ)``) scaled by ``min(1, β/m)``, m the largest constraint value (per output column
for the squared loss, whose column-wise program separates), is feasible (the conjugates' domains are
star-shaped around 0), and ``−L*(v̂)`` bounds the program over the same patterns from below; over a complete
pattern set, the non-convex training problem at any width.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch
from scipy.optimize import nnls

from bnconvex import losses


@dataclass
class PatternSystem:
    """The blocks ``(G_i, B_i)`` of a program, built one at a time (P dense n×k matrices are never stored).

    BN before ReLU (Thm 2.2/2.3): ``G_i = D_i U'``, ``B_i = (2D_i − I) U'``; Thm 3.1 (``K`` patches, U' of
    nK rows): ``G_i = S (D_i U')``, S = [I, …, I] sum-pooling the K row blocks. BN after ReLU (Thm G.1): pass
    ``per_pattern`` = [(U'_i, B_i, M_i)]: ``G_i = U'_i`` and the cone ``{s = [M_i w; a] : B_i w ≥ 0}``, a
    projection of a polyhedral cone, checked by :func:`projected_cone_max`.
    """

    U_prime: np.ndarray | None = None
    D: np.ndarray | None = None
    per_pattern: list | None = None
    K: int = 1

    def __iter__(self):
        if self.per_pattern is not None:
            yield from ((Up_i, (B_i, M_i)) for Up_i, B_i, M_i in self.per_pattern)
            return
        for i in range(self.D.shape[1]):
            mask = self.D[:, i, None]
            G = mask * self.U_prime
            if self.K > 1:
                G = G.reshape(self.K, -1, G.shape[1]).sum(axis=0)
            yield G, np.where(mask, self.U_prime, -self.U_prime)


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


def multiplier_bounds(Q, D, A, iters: int = 200, floor: float = -np.inf, chunk: int = 2**24, lam0=None,
                      return_lam: bool = False, work_dtype=torch.float64):
    """Upper bounds ``u_j ≥ max_{s: B_j s ≥ 0, ‖s‖ ≤ 1} g_jᵀ s`` for a batch of J cone checks, all at once.

    Pair j: ``g_j = Qᵀ(D_j ∘ a_j)`` and ``B_j = diag(2D_j − 1) Q`` (Q: N×k, U' or Thm 3.1's stacked patches;
    D: N×J 0/1; A: N×J, the vectors a_j). By Moreau / Farkas the maximum is ``min_{λ ≥ 0} ‖g_j + B_jᵀλ‖``, so
    ``‖Qᵀ(D_j a_j + S_j λ_j)‖`` (S_j = 2D_j − 1) bounds it from above for **any** λ_j ≥ 0: how λ is found does
    not matter for soundness. Here: the orthant point ``λ = (−D a)₊`` (exact when Q is square and orthogonal)
    or ``lam0`` (N×J, e.g. a solver's multipliers; clipped to λ ≥ 0), then up to ``iters`` steps of FISTA with
    projection on λ ≥ 0 on ``½‖Qᵀ(D a + S λ)‖²`` (step 1/‖Q‖²), every product batched over the pairs; the
    best bound seen, and ‖g_j‖ (λ = 0), are kept. A pair whose bound falls to ``floor`` or below stops
    iterating (the caller needs no better). The search runs in ``work_dtype`` (float32 halves its cost:
    only λ comes out of it); the bounds returned are evaluated in float64 at the λ found, so they are sound
    whatever the search's rounding. Torch on the device of torch inputs (numpy in, numpy out); pairs are
    processed in chunks of at most ``chunk`` entries of an N×J array: memory O(N·J), no per-pattern blocks.
    ``return_lam``: also the multipliers of the bounds (N×J; zero where λ = 0 was best).
    """
    as_numpy = not isinstance(Q, torch.Tensor)
    dev = Q.device if not as_numpy else "cpu"
    t = lambda M: None if M is None else torch.as_tensor(np.array(M) if not isinstance(M, torch.Tensor) else M,
                                                         dtype=torch.float64, device=dev)
    Q, D, A, lam0 = t(Q), t(D), t(A), t(lam0)
    N, J = D.shape
    Qw = Q.to(work_dtype)
    step = 1.0 / max(float(torch.linalg.matrix_norm(Q, 2)) ** 2, 1e-300)
    out = torch.empty(J, dtype=torch.float64, device=dev)
    lam_out = torch.zeros((N, J), dtype=torch.float64, device=dev) if return_lam else None
    width = max(1, chunk // max(N, 1))
    for lo in range(0, J, width):
        sl = slice(lo, min(J, lo + width))
        Da, S = D[:, sl] * A[:, sl], 2 * D[:, sl] - 1
        lam = _fista_multipliers(Qw, Da.to(work_dtype), S.to(work_dtype), step, iters, floor,
                                 None if lam0 is None else lam0[:, sl].to(work_dtype)).to(torch.float64)
        zero = torch.linalg.vector_norm(Q.T @ Da, dim=0)
        found = torch.linalg.vector_norm(Q.T @ (Da + S * lam), dim=0)
        out[sl] = torch.minimum(zero, found)
        if return_lam:
            lam_out[:, sl] = torch.where((found < zero)[None], lam, torch.zeros_like(lam))
    if as_numpy:
        out = out.cpu().numpy()
        lam_out = None if lam_out is None else lam_out.cpu().numpy()
    return (out, lam_out) if return_lam else out


def _fista_multipliers(Q, Da, S, step, iters, floor, lam0=None, shift=None):
    """The search of :func:`multiplier_bounds` on one chunk (torch, in Q's dtype): ``Da = D ∘ A``,
    ``S = 2D − 1``; returns the λ ≥ 0 (N×J) of the best bound seen per pair. ``shift`` (J,): minimize
    ``½‖Qᵀ(D a + S λ)‖² − shift_j Σλ`` instead (the dual of a projection onto ``S Q x ≥ shift``); "best" is
    then by that objective."""
    def bound(lam, cols):
        value = torch.linalg.vector_norm(Q.T @ (Da[:, cols] + S[:, cols] * lam), dim=0)
        return value if shift is None else value**2 / 2 - shift[cols] * lam.sum(0)

    everything = torch.arange(Da.shape[1], device=Da.device)
    best_lam = torch.clamp(-Da, min=0) if lam0 is None else torch.clamp(lam0, min=0)
    best = bound(best_lam, everything)
    cols = everything[best > floor]
    lam = best_lam[:, cols]
    y, t = lam, 1.0
    for it in range(1, iters + 1):
        if not len(cols):
            break
        Dc, Sc = Da[:, cols], S[:, cols]
        grad = Sc * (Q @ (Q.T @ (Dc + Sc * y)))
        lam_next = torch.clamp(y - step * (grad if shift is None else grad - shift[cols]), min=0)
        t_next = (1 + np.sqrt(1 + 4 * t * t)) / 2
        y, lam, t = lam_next + ((t - 1) / t_next) * (lam_next - lam), lam_next, t_next
        if it % 20 == 0 or it == iters:
            value = bound(lam, cols)
            better = value < best[cols]
            best[cols] = torch.where(better, value, best[cols])
            best_lam[:, cols] = torch.where(better[None], lam, best_lam[:, cols])
            keep = best[cols] > floor
            cols, lam, y = cols[keep], lam[:, keep], y[:, keep]
    return best_lam


def project_on_cones(Q, S, sign, iters: int = 200, lam0=None, work_dtype=torch.float64, margin: float = 0.0):
    """Blocks ``S`` (k×J) projected (approximately) onto their cones ``{x : sign_j ∘ (Q x) ≥ 0}`` (Q: N×k with
    orthonormal columns, sign: N×J of ±1): ``x_j = s_j + Qᵀ(sign_j ∘ λ_j)`` (Moreau: exact at
    ``λ = argmin_{λ ≥ 0} ‖s_j + Qᵀ(sign_j ∘ λ)‖``) with λ from the FISTA of :func:`multiplier_bounds` (the
    problem with ``D a = Q s``), searched in ``work_dtype`` from ``lam0``; x in Q's dtype. ``margin`` > 0
    projects onto ``sign_j ∘ (Q x) ≥ margin·‖s_j‖/√N`` instead, strictly inside the cone, so that the search's
    inexactness rarely leaves x outside it. Returns (x, λ). x may still violate its cone slightly: callers
    that need exact feasibility finish the repair."""
    step = 1.0 / max(float(torch.linalg.matrix_norm(Q, 2)) ** 2, 1e-300)
    Qw = Q.to(work_dtype)
    shift = (margin / np.sqrt(Q.shape[0])) * torch.linalg.vector_norm(S, dim=0).to(work_dtype) if margin else None
    lam = _fista_multipliers(Qw, (Q @ S).to(work_dtype), sign.to(work_dtype), step, iters, -np.inf,
                             None if lam0 is None else lam0.to(work_dtype), shift).to(Q.dtype)
    return S + Q.T @ (sign * lam), lam


EXACT_MAX_ENTRIES = 2e7  # N·k of Q above which no NNLS runs (each would take minutes): FISTA bounds only


def _batched_dual_constraint(V: np.ndarray, system: PatternSystem, slack: float = 1e-10, iters: int = 200,
                             probe: int = 8) -> float:
    """:func:`dual_constraint` for BN-before-ReLU systems (Thm 2.2/2.3/3.1), every (pattern, column, sign)
    checked at once:

    1. the bounds of λ = 0 and of the orthant point (:func:`multiplier_bounds` with no iterations), then the
       ``probe`` largest refined exactly (NNLS): a floor, the largest constraint value known so far;
    2. FISTA multiplier bounds on every pair above the floor, each stopping once below it;
    3. NNLS in decreasing order of bound, until the next bound is within ``slack`` (relative) of the maximum.

    Every value used bounds its cone maximum from above (an NNLS residual too, at its ρ ≥ 0), so the result
    bounds the true maximum from above and exceeds it by at most ``slack`` relative: a dual point scaled by
    it stays feasible. Above :data:`EXACT_MAX_ENTRIES` (Q of N·k entries, e.g. CIFAR-10's 10,000 × 3073) no
    NNLS runs: the result is the largest FISTA bound (searched in float32, evaluated in float64), still an
    upper bound of the maximum, but it may exceed it by more than ``slack``: the lower bound it gives is
    sound and possibly looser."""
    Q, D, K = system.U_prime, np.asarray(system.D, float), system.K
    N, P = D.shape
    columns = [np.tile(V[:, c], K) for c in range(V.shape[1])]  # G_iᵀv = U'ᵀ D_i (Sᵀv), S sum-pooling
    pairs = [(sign, c) for c in range(len(columns)) for sign in (1.0, -1.0)]
    large = Q.size > EXACT_MAX_ENTRIES

    def batch(floor, its):
        return np.concatenate([multiplier_bounds(Q, D, np.broadcast_to(s * columns[c][:, None], (N, P)), its,
                                                 floor, work_dtype=torch.float32 if large else torch.float64)
                               for s, c in pairs])

    def exact(idx, bound):
        (sign, c), i = pairs[idx // P], idx % P
        mask = D[:, i]
        return min(float(bound), cone_max(Q.T @ (mask * sign * columns[c]), np.where(mask[:, None] > 0, Q, -Q)))

    if large:  # FISTA starts at the orthant point and keeps the λ = 0 bound: no separate cheap pass
        return float(batch(-np.inf, iters).max())
    cheap = batch(-np.inf, 0)
    floor = max((exact(idx, cheap[idx]) for idx in np.argsort(-cheap)[:probe]), default=0.0)
    bounds = np.minimum(cheap, batch(floor, iters))
    worst, rest = 0.0, 0.0
    for idx in np.argsort(-bounds):
        if bounds[idx] <= worst * (1 + slack):
            rest = float(bounds[idx])  # the largest bound not refined: every later one is smaller
            break
        worst = max(worst, exact(idx, bounds[idx]))
    return max(worst, rest)


def dual_constraint(V: np.ndarray, system: PatternSystem, batched: bool = True) -> float:
    """``max_{i, c, ±} max_{s ∈ K_i, ‖s‖≤1} ±V_cᵀ G_i s`` (V: n or n×C; columns c checked separately).

    Square U' (r + 1 = n): closed form. BN before ReLU (``per_pattern`` None): batched multiplier bounds
    refined by NNLS where they bind (:func:`_batched_dual_constraint`); ``batched=False``: NNLS on every
    pattern (the reference the tests compare with). Thm G.1's projected cones: one SOCP per pattern."""
    V = V[:, None] if V.ndim == 1 else V
    if system.per_pattern is None and system.K == 1 and system.U_prime.shape[0] == system.U_prime.shape[1]:
        return square_dual_constraint(V, system.D)
    if system.per_pattern is None and batched:
        return _batched_dual_constraint(V, system)
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
                system: PatternSystem, batched: bool = True) -> dict:
    """The best lower bound ``−L*(v̂)`` over the dual candidates, each scaled to feasibility
    (:func:`dual_constraint`; ``batched``: its batched multiplier bounds, else NNLS on every pattern)."""
    best = {"lower_bound": -np.inf, "dual_constraint": np.inf, "dual_scale": 0.0}
    for V in candidates:
        if V is None or not np.all(np.isfinite(V)):
            continue
        V = losses.project_dual(loss, np.asarray(V, float).reshape(y.shape), y)
        if loss == "squared" and V.ndim == 2:
            # the column-wise program's dual constraints and L* both separate over columns: scale each
            m = np.array([dual_constraint(V[:, c], system, batched) for c in range(V.shape[1])])
            scale = np.where(m <= beta, 1.0, beta / np.maximum(m, 1e-300))
        else:
            m = np.array(dual_constraint(V, system, batched))
            scale = np.array(1.0 if m <= beta else beta / m)
        lb = -losses.conjugate(loss, scale * V, y)
        if lb > best["lower_bound"]:
            best = {"lower_bound": float(lb), "dual_constraint": float(np.max(m * scale)),
                    "dual_scale": float(np.min(scale))}
    return best


@dataclass
class Certificate:
    """What a solve certifies (keys in :func:`bnconvex.convex.solve`); ``extra``: program-specific keys (K of
    Thm 3.1, the sandwich of Thm 2.3). :meth:`to_dict` is the JSON the workflow writes: extend, never rename."""

    program: str
    loss: str
    n: int
    d: int
    C: int
    beta: float
    P: int
    patterns_complete: bool
    solver: str
    status: str
    primal_convex: float
    primal_network: float
    lower_bound: float
    dual_constraint: float
    dual_scale: float
    max_violation: float
    width: int
    time_s: float
    certificate_time_s: float
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        pc, pn, gap = self.primal_convex, self.primal_network, self.primal_convex - self.lower_bound
        return {
            "program": self.program, "theorem": self.program.split("-")[0], "loss": self.loss,
            "n": int(self.n), "d": int(self.d), "C": int(self.C), "beta": float(self.beta), "P": int(self.P),
            "patterns_complete": bool(self.patterns_complete), "solver": self.solver, "status": self.status,
            "valid": self.status == "optimal", "primal_convex": float(pc), "primal_network": float(pn),
            "network_rel_diff": float(abs(pn - pc) / max(abs(pc), 1e-300)), "lower_bound": self.lower_bound,
            "dual_constraint": self.dual_constraint, "dual_scale": self.dual_scale, "gap": float(gap),
            "rel_gap": float(gap / max(abs(pc), 1e-300)), "max_violation": float(self.max_violation),
            "width": int(self.width), "time_s": float(self.time_s),
            "certificate_time_s": float(self.certificate_time_s), **self.extra,
        }


def certify(program: str, X, y, beta: float, loss: str, *, yhat, reg: float, violation: float, dual,
            system: PatternSystem, network, P: int, complete: bool, solver: str, status: str, time_s: float,
            own_dual: bool = False, **extra) -> Certificate:
    """The certificate of a solution (predictions ``yhat``, penalty ``reg`` = Σ block norms) on data X (n×d, or
    K×n×d patches) whose ``network`` is evaluated on X. Dual candidates: ``∇L(ŷ)`` and the solver's ``dual`` of
    ``u = ŷ`` (both signs for CVXPY; ``own_dual``: ours, ``ŷ − y``), each scaled to feasibility over ``system``."""
    candidates = [losses.gradient(loss, yhat, y)]
    if dual is not None:
        dual = np.asarray(dual, float)
        candidates += [dual] if own_dual else [dual, -dual]
    t0 = time.perf_counter()
    lb = lower_bound(loss, candidates, y, beta, system)
    t_cert = time.perf_counter() - t0
    if np.ndim(X) == 3:
        extra = {"K": int(np.shape(X)[0]), **extra}
    return Certificate(
        program, loss, *np.shape(X)[-2:], 1 if y.ndim == 1 else y.shape[1], beta, P, complete, solver, status,
        losses.value(loss, yhat, y) + beta * float(reg), network.objective(X, y, beta, loss), lb["lower_bound"],
        lb["dual_constraint"], lb["dual_scale"], max(violation, 0.0), network.width, time_s, t_cert, extra,
    )
