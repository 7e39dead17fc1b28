"""ADMM on rows for the Thm 2.2 program (squared loss; scalar output, or column by column for the column-wise
vector form, which decouples over output columns): ``method="admm"`` of solver="bnconvex", for problems whose
interior-point Newton system does not fit (:mod:`bnconvex.convex.solvers.interior_point`), e.g. CIFAR-10 at
n = 10,000, r + 1 = 3073. Memory O(n·P + n·(r+1)): no n×n matrix, no per-pattern (r+1)² blocks.

Method: ADMM (Boyd et al., "Distributed optimization and statistical learning via the alternating direction
method of multipliers", 2011, §3–4) on the splitting, for the two families k ∈ {s, s'} and patterns i,

    min ½‖Σ_i D_i (z_i − z'_i) − y‖² + Σ_{k,i} 1[z_{k,i} ∈ K_i] + β Σ_{k,i} ‖s_{k,i}‖   s.t.   z_{k,i} = U' s_{k,i},

with ``K_i = {z ∈ Rⁿ : (2D_i − I) z ≥ 0}`` an orthant (the cone ``(2D_i − I)U's ≥ 0`` of Thm 2.2 read in
z = U's). Structure used:

- s-update: ``U'ᵀU' = I``, so ``argmin β‖s‖ + ρ/2 ‖U's − c‖²`` is group soft-thresholding of ``U'ᵀc``:
  one batched product ``U'ᵀ (n×2P)``;
- z-update: separable over the n rows. Off the pattern (D_ij = 0) it is a clip; on it, row j's entries
  solve ``min ½(Σa − Σb − y_j)² + ρ/2 ‖a − c_a‖² + ρ/2 ‖b − c_b‖²``, a, b ≥ 0, whose solution is
  ``a = (c_a − t/ρ)₊``, ``b = (c_b + t/ρ)₊`` with t the row's residual, the root of a monotone piecewise-linear
  equation (:func:`row_prox`: safeguarded Newton, all rows at once);
- one iteration is two products with U' (``U'ᵀ`` and ``U'``) over all patterns plus elementwise work, in
  torch (CPU or GPU), float32 where the target gap allows (``tol ≥ 1e-5``) — certificates are float64;
- over-relaxation (α = 1.6) and ρ by residual balancing (Boyd et al. §3.3.1, §3.4.1).

Certificates (every iterate; the method stops on them):

- lower bound: ``v = y − ŷ(z)`` and the cone multipliers ADMM carries, ``λ_{k,i} = ((2D_i − I)(ρu_{k,i} ∓ D_i v))₊``
  (at a fixed point ``ρu_{s,i} = D_i v + (2D_i − I)λ_{s,i}``), so each pattern's dual constraint is bounded by
  ``‖U'ᵀ(±D_i v + (2D_i − I)λ)‖`` (sound for any λ ≥ 0), refined by batched FISTA
  (:func:`bnconvex.convex.certificate.multiplier_bounds`) where it exceeds β; v scaled to feasibility;
- upper bound: the blocks s projected onto their cones (:func:`bnconvex.convex.certificate.project_on_cones`,
  batched, warm-started, strictly inside by a margin tied to tol), what still violates moved along an interior
  direction of its cone (or zeroed), then every block rescaled by ``a ≥ 0`` (:meth:`ADMM.rescale`): a
  feasible point, its objective in float64.

A cheap estimate (the unrefined bound and s's objective) is computed every ``check_every`` iterations; the
full certificate when the estimate reaches tol or halves below 0.2, at most ~20% of the time on certificates
(a trace of the best certified bounds over time in ``extra["trace"]``), and when time runs out.

Measured (2 cores): digits n = 1000, P = 200, β = 0.1: 0.8% certified gap in 100 s (the interior point
certifies 1e-8 in ~30 s); tiny problems reach 1e-7. At CIFAR-10 scale see docs/solvers.md: the upper bound
(the repair of s into the cones) is what lags.
"""

from __future__ import annotations

import time

import numpy as np
import torch

from bnconvex.convex.certificate import multiplier_bounds, project_on_cones
from bnconvex.convex.solvers.base import OwnSolver, SolverResult, rel_gap, timed_out
from bnconvex.convex.solvers.interior_point import perceptron_directions


def row_prox(C: torch.Tensor, D: torch.Tensor, y: torch.Tensor, rho: float, t: torch.Tensor,
             tol: float, max_iter: int = 30) -> tuple[torch.Tensor, torch.Tensor]:
    """``argmin_z ½‖Σ_i D_i(z_i − z'_i) − y‖² + ρ/2‖z − C‖²`` over ``z_{k,i} ∈ K_i`` (module doc).

    C, z: (2, n, P) (the families s, s'); D: (n, P) 0/1; y, t: (n,), t the previous residuals (warm start).
    Returns (z, t) with t the rows' residuals ``ŷ_j − y_j``. Root of ``h(t) = t − Σ_i D_ij (c_ij − t/ρ)₊ +
    Σ_i D_ij (c'_ij + t/ρ)₊ + y_j`` (increasing) by Newton inside a bracket, secant when Newton leaves it."""
    c0, c1 = C[0], C[1]

    acc = torch.float64  # the rows' sums accumulate in float64 whatever the entries' dtype: no rounding stall
    yd = y.to(acc)

    def h(t):
        tc = t.to(C.dtype)[:, None] / rho
        a, b = D * (c0 - tc), D * (c1 + tc)
        value = t - a.clamp_min(0).sum(1, dtype=acc) + b.clamp_min(0).sum(1, dtype=acc) + yd
        return value, 1 + ((a > 0).sum(1) + (b > 0).sum(1)) / rho

    hi = torch.clamp((D * c0.clamp_min(0)).sum(1, dtype=acc) - yd, min=0)  # h(hi) ≥ 0
    lo = torch.clamp(-(D * c1.clamp_min(0)).sum(1, dtype=acc) - yd, max=0)  # h(lo) ≤ 0
    h_hi, h_lo = h(hi)[0], h(lo)[0]
    t = torch.minimum(torch.maximum(t.to(acc), lo), hi)
    scale = tol * (1 + yd.abs() + hi - lo)  # per row: the size of its sums
    for _ in range(max_iter):
        value, slope = h(t)
        if bool((value.abs() <= scale).all()):
            break
        neg = value < 0
        lo, h_lo = torch.where(neg, t, lo), torch.where(neg, value, h_lo)
        hi, h_hi = torch.where(neg, hi, t), torch.where(neg, h_hi, value)
        newton = t - value / slope
        secant = lo - h_lo * (hi - lo) / (h_hi - h_lo).clamp_min(1e-30)
        t = torch.where((newton <= lo) | (newton >= hi), secant, newton)
    on, t = D > 0, t.to(C.dtype)
    z0 = torch.where(on, (c0 - t[:, None] / rho).clamp_min(0), c0.clamp_max(0))
    z1 = torch.where(on, (c1 + t[:, None] / rho).clamp_min(0), c1.clamp_max(0))
    return torch.stack([z0, z1]), t


def shrink(G: torch.Tensor, tau: float) -> torch.Tensor:
    """Group soft-thresholding of the blocks (columns along dim 1) of G (2, r1, P)."""
    return G * torch.clamp(1 - tau / torch.linalg.vector_norm(G, dim=1, keepdim=True).clamp_min(1e-30), min=0)


class ADMM(OwnSolver):
    """For any U' (n×r1, orthonormal columns); the interface is :class:`OwnSolver`'s. Certificates are always
    float64 (the blocks returned too); ``dtype`` float32 makes every iteration float32, float64 (default) lets
    ``run`` choose: float32 when ``tol ≥ 1e-5``, else float64 (``run(iter_dtype=…)`` overrides)."""

    def __init__(self, U_prime, D, y, beta: float, dtype=torch.float64, device=None):
        super().__init__(U_prime, D, y, beta, torch.float64, device)
        self.iter_dtype = None if dtype == torch.float64 else dtype
        self.sign = 2 * self.D - 1
        self._directions = None
        self._projection_lam = None  # (2, n, P): the last projections' multipliers, a warm start for the next

    def run(self, tol=1e-6, time_limit_s=None, *, warm=None, rho=None, max_iter=100_000, check_every=10,
            relax: float = 1.6, iter_dtype=None, refine_iters: int = 20, project_iters: int = 50,
            progress=None, directions=None, cert_time_share: float = 0.25) -> SolverResult:
        """``progress``: called as ``progress(it, t, upper, lower, rho)`` after every full certificate.
        ``cert_time_share``: a due full certificate waits until the time since the last one is at least this
        share of the run so far (certificates take minutes at CIFAR scale); 0 certifies whenever one is due, so
        the iterations no longer depend on the machine's speed or load.
        ``directions``: known interior directions of the cones (r1×P, e.g. the Gaussian directions that sampled
        the patterns), used by the repair wherever their margins check positive in float64 (the perceptron
        elsewhere)."""
        if directions is not None:
            self._known_directions(directions)
        it_dtype = iter_dtype or self.iter_dtype or (torch.float32 if tol >= 1e-5 else torch.float64)
        U, D, y = (a.to(it_dtype) for a in (self.U, self.D, self.y))
        sign = 2 * D - 1
        warm = warm or {}
        zeros = torch.zeros((2, self.n, self.P), dtype=it_dtype, device=self.device)
        Z = warm["Z"].to(it_dtype) if "Z" in warm else zeros
        W = warm["W"].to(it_dtype) if "W" in warm else zeros.clone()  # the scaled dual u
        t = warm["t"].to(it_dtype) if "t" in warm else -y.clone()
        rho = float(rho or warm.get("rho") or 1.0)
        prox_tol = 1e-5 if it_dtype == torch.float32 else 1e-12
        t0 = time.perf_counter()
        best = {"upper": np.inf, "lower": -np.inf, "dual_constraint": np.inf}
        trace, last_full, last_time, cert_s, it = [], np.inf, 0.0, 0.0, 0
        for it in range(1, max_iter + 1):
            S = shrink(torch.einsum("nr,knp->krp", U, Z + W), self.beta / rho)
            US = torch.einsum("nr,krp->knp", U, S)
            relaxed = relax * US + (1 - relax) * Z
            Z_old = Z
            Z, t = row_prox(relaxed - W, D, y, rho, t, prox_tol)
            W = W + Z - relaxed
            if it % check_every and it < max_iter:
                continue
            v = y - (D * (Z[0] - Z[1])).sum(1)
            lam = torch.clamp(sign * (rho * W - torch.stack([D, -D]) * v[:, None]), min=0)
            bounds = torch.linalg.vector_norm(
                torch.einsum("nr,knp->krp", U, torch.stack([D, -D]) * v[:, None] + sign * lam), dim=1)
            est_lower, _ = self.dual_bound(v, float(bounds.max()))
            fit = (D * (US[0] - US[1])).sum(1)
            est_upper = float(0.5 * ((fit - y) ** 2).sum() + self.beta * torch.linalg.vector_norm(S, dim=1).sum())
            est = rel_gap(est_upper, est_lower)
            out_of_time = timed_out(t0, time_limit_s) or it == max_iter
            now = time.perf_counter() - t0
            # a full certificate when the estimate reaches tol, or halves below 0.2, at most ~20% of the time
            due = est <= tol or (est <= min(0.2, last_full / 2))
            if out_of_time or (due and now - last_time >= cert_time_share * now):
                last_full, last_time = est, now
                self._certify(S, Z, lam, best, refine_iters, project_iters, tol)
                trace.append((time.perf_counter() - t0, best["upper"], best["lower"]))
                last_time = trace[-1][0]
                cert_s += last_time - now
                if progress:
                    progress(it, *trace[-1], rho)
                if rel_gap(best["upper"], best["lower"]) <= tol or out_of_time or timed_out(t0, time_limit_s):
                    break  # (a certificate that ran past the limit ends the run too)
            primal_res = float(torch.linalg.vector_norm(Z - US))
            dual_res = rho * float(torch.linalg.vector_norm(torch.einsum("nr,knp->krp", U, Z - Z_old)))
            factor = 2.0 if primal_res > 10 * dual_res else 0.5 if dual_res > 10 * primal_res else 1.0
            if factor != 1.0:
                rho *= factor
                W = W / factor
        return SolverResult(best["S"], best["upper"], best["lower"], best["dual_constraint"], it,
                            time.perf_counter() - t0, rel_gap(best["upper"], best["lower"]) <= tol,
                            dual=best.get("dual"), warm={"Z": Z, "W": W, "t": t, "rho": rho},
                            extra={"rho": rho, "trace": trace, "certificate_s": cert_s,
                                   "iter_dtype": str(it_dtype).replace("torch.", "")})

    # certificates: λ and projections searched in the iterations' dtype, every bound evaluated in self.U's
    def _certify(self, S, Z, lam, best, refine_iters, project_iters, tol):
        dt, work = self.U.dtype, S.dtype
        Z = Z.to(dt)
        v = self.y - (self.D * (Z[0] - Z[1])).sum(1)
        lower, m = self.lower_bound(v, lam, refine_iters, work)
        if lower > best["lower"]:
            best.update(lower=lower, dual_constraint=m, dual=v)
        Sf = self.rescale(self.feasible(S.to(dt), project_iters, work, margin=min(1e-3, tol / 10)))
        upper = self.objective(Sf)
        if upper < best["upper"]:
            best.update(upper=upper, S=Sf)

    def lower_bound(self, v, lam, iters: int = 100, work_dtype=torch.float64) -> tuple[float, float]:
        """``dual_bound`` of v (n,) with every (pattern, sign) bounded at multipliers λ (2, n, P) refined by
        FISTA where the bound exceeds β (sound for any λ ≥ 0: :func:`multiplier_bounds`)."""
        D2 = torch.cat([self.D, self.D], dim=1)
        A = torch.cat([v[:, None].expand(-1, self.P), -v[:, None].expand(-1, self.P)], dim=1)
        bounds = multiplier_bounds(self.U, D2, A, iters=iters, floor=self.beta, work_dtype=work_dtype,
                                   lam0=torch.cat([lam[0], lam[1]], dim=1))
        return self.dual_bound(v, float(bounds.max()))

    def feasible(self, S, iters: int = 200, work_dtype=torch.float64, margin: float = 1e-5) -> torch.Tensor:
        """Blocks S (2, r1, P) made feasible: projected onto their cones (strictly inside, by ``margin``
        relative, raised tenfold once for the blocks the inexact projection left outside; warm-started
        from the last call's multipliers), then
        what still violates moved along an interior direction h_i (``(2D_i − I)U'h_i > 0``) just enough, or
        zeroed where none is known. Every margin is checked in float64."""
        out = S.clone()
        live = torch.linalg.vector_norm(S, dim=1) > 0  # (2, P)
        for k in range(2):
            cols = torch.nonzero(live[k]).flatten()
            if not len(cols):
                continue
            sign = self.sign[:, cols]
            if self._projection_lam is None or self._projection_lam.dtype != work_dtype:
                self._projection_lam = torch.zeros((2, self.n, self.P), dtype=work_dtype, device=self.device)
            X, bad = S[k][:, cols].clone(), torch.arange(len(cols), device=self.device)
            for attempt in range(2):  # what the search left outside its cone: again, deeper inside
                X[:, bad], lam = project_on_cones(self.U, S[k][:, cols[bad]], sign[:, bad], iters=iters,
                                                  work_dtype=work_dtype, margin=margin * 10**attempt,
                                                  lam0=self._projection_lam[k][:, cols[bad]])
                if attempt == 0:
                    self._projection_lam[k][:, cols] = lam.to(work_dtype)
                slack = sign * (self.U @ X)
                bad = torch.nonzero((slack < 0).any(0)).flatten()
                if not len(bad):
                    break
            if len(bad):
                H = self.directions(cols[bad], work_dtype)
                hm = sign[:, bad] * (self.U @ H)
                ok = (hm > 0).all(0)
                tau = torch.where(slack[:, bad] < 0, -slack[:, bad] / hm.clamp_min(1e-300),
                                  torch.zeros_like(hm)).amax(0) * (1 + 1e-9)
                X[:, bad] = torch.where(ok[None], X[:, bad] + tau * H, torch.zeros_like(H))
            out[k][:, cols] = X
        return out

    def rescale(self, S, iters: int = 300) -> torch.Tensor:
        """Feasible blocks S (2, r1, P) scaled by ``a ≥ 0`` (cones are closed under it, so S stays feasible) to
        ``min_a ½‖F a − y‖² + β Σ_k a_k ‖s_k‖``, F's columns the blocks' fits ``±D_i U's_k`` (n×2P): a
        nonnegative lasso in 2P unknowns, FISTA from a = 1 (never worse than a = 1: the better is kept)."""
        US = self.U @ S.permute(1, 0, 2).reshape(self.r1, 2 * self.P)  # (n, 2P)
        F = torch.cat([self.D, -self.D], dim=1) * US
        c = self.beta * torch.linalg.vector_norm(S, dim=1).flatten()
        value = lambda a: float(0.5 * ((F @ a - self.y) ** 2).sum() + c @ a)
        step = 1.0 / max(float(torch.linalg.matrix_norm(F, 2)) ** 2, 1e-300)
        a = torch.ones(2 * self.P, dtype=S.dtype, device=S.device)
        start, prev, z, t = value(a), a, a, 1.0
        for _ in range(iters):
            a_next = torch.clamp(z - step * (F.T @ (F @ z - self.y) + c), min=0)
            t_next = (1 + np.sqrt(1 + 4 * t * t)) / 2
            z, prev, t = a_next + ((t - 1) / t_next) * (a_next - prev), a_next, t_next
        if value(prev) >= start:
            return S
        return S * prev.reshape(2, 1, self.P)

    def _known_directions(self, H):
        H = torch.as_tensor(np.asarray(H, dtype=float), dtype=self.U.dtype, device=self.device)
        inside = ((self.sign * (self.U @ H)) > 0).all(0)
        self._directions = torch.where(inside[None], H / torch.linalg.vector_norm(H, dim=0).clamp_min(1e-300), 0)
        self._tried = inside.clone()  # the perceptron still runs where a given direction failed

    def directions(self, cols: torch.Tensor, work_dtype=torch.float64, steps: int = 50) -> torch.Tensor:
        """Interior directions of the cones of patterns ``cols`` (r1×len(cols), in self.U's dtype; a zero
        column where the perceptron found none in ``steps`` rounds), found once per pattern and kept."""
        if self._directions is None:
            self._directions = torch.zeros((self.r1, self.P), dtype=self.U.dtype, device=self.device)
            self._tried = torch.zeros(self.P, dtype=torch.bool, device=self.device)
        new = cols[~self._tried[cols]]
        if len(new):
            H = perceptron_directions(self.U.to(work_dtype), self.D[:, new].to(work_dtype), steps)
            self._directions[:, new] = H.to(self.U.dtype)
            self._tried[new] = True
        return self._directions[:, cols]
