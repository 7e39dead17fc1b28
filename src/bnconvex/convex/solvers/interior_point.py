"""Our interior-point solver for the Thm 2.2 program when ``U'`` is not square (r + 1 < n), squared loss.

Method: a primal-dual interior-point method with Mehrotra's predictor-corrector (Boyd & Vandenberghe,
*Convex Optimization*, §11.7; Mehrotra, SIAM J. Optim. 2, 1992) on

    min_s  f0(s) = ½‖Σ_k G_k s_k − y‖² + β Σ_k ρ_ε(s_k)   s.t.   c_k = B_k s_k ≥ 0   (multipliers λ_k ≥ 0),

with ``G_k = ±D_i U'``, ``B_k = (2D_i − I)U'`` for the two families k = (i, ±), and the norm smoothed as
``ρ_ε(s) = √(‖s‖² + ε²)``, ε tied to the duality measure so that it costs at most 1% of the current gap
(the certificates below use the exact norm). Structure used in every Newton step, which a generic conic
solver (CVXPY + Clarabel factorizes a sparse KKT system with 2P·n·(r+1) nonzeros) cannot see:

- the Hessian of the barrier part is block diagonal, one (r+1)×(r+1) block per k, ``U'ᵀ diag(λ_k/c_k) U'``
  (since ``(2D_i − I)² = I``) plus the smoothed norm's, formed as one batched product;
- the fit's Hessian ``MᵀM`` has rank ≤ n, so the Newton system is solved by Woodbury through the n×n
  matrix ``I + Σ_i D_i U' A_i U'ᵀ D_i`` (A_i: the inverse blocks of the pattern's two families, summed): one
  GEMM of an n×P(r+1) matrix with its transpose and one n×n Cholesky factor, shared by predictor and
  corrector; every ``D_i U'`` product is a masked batched product, torch throughout (CPU or GPU).

Start: each pattern's cone needs an interior direction ``h_i`` (``(2D_i − I)U'h_i > 0``): a batched
perceptron (LP for the rest; a pattern with an empty interior raises ValueError), then a few Newton steps
towards each cone's analytic centre; the start is ``s_k = a_k h_i`` with ``a ≥ 0`` fitted to y by NNLS.

Certificates (independent of the path): the iterate is strictly feasible, so its objective is an upper
bound; ``v = y − ŷ`` with any ``λ_k ≥ 0`` bounds each pattern's dual constraint,
``max_{s∈K_k,‖s‖≤1} vᵀG_k s ≤ ‖G_kᵀv + B_kᵀλ_k‖``; λ is improved by a few batched projected-gradient steps
on that NNLS (exact NNLS once complementarity is negligible), and v scaled by ``min(1, β/max_k ‖…‖)``
gives the lower bound ``½‖y‖² − ½‖v̂ − y‖²``.
"""

from __future__ import annotations

import time

import numpy as np
import torch
from scipy.optimize import nnls

from bnconvex.convex.certificate import cone_max
from bnconvex.convex.solvers.base import OwnSolver, SolverResult, rel_gap, timed_out


def interior_directions(U: torch.Tensor, D: torch.Tensor, steps: int = 2000, center: int = 15) -> torch.Tensor:
    """Unit h (r1×P) with ``(2D_i − I)U'h_i > 0`` for every pattern i (perceptron, then LP for the rest),
    then moved towards the analytic centre of each cone (``center`` damped Newton steps on
    ``Σ_j log c_j − n‖h‖²/2``), so that an interior-point method starts well inside every cone."""
    return _center(U, 2 * D - 1, _feasible_directions(U, D, steps), center)


def _center(U, sign, H, steps):
    n = U.shape[0]
    for _ in range(steps):
        c = sign * (U @ H)  # (n, P), > 0
        grad = U.T @ (sign / c) - n * H
        hess = (U.T[None] * (1.0 / c**2).T[:, None, :]) @ U  # (P, r1, r1)
        hess.diagonal(dim1=-2, dim2=-1).add_(n)
        step = torch.linalg.solve(hess, grad.T[..., None])[..., 0].T  # (r1, P)
        dc = sign * (U @ step)
        ratio = torch.where(dc < 0, -c / dc, torch.full_like(c, np.inf)).amin(0)
        H = H + torch.clamp(0.9 * ratio, max=1.0) * step
    return H / H.norm(dim=0, keepdim=True)


def perceptron_directions(U: torch.Tensor, D: torch.Tensor, steps: int) -> torch.Tensor:
    """Unit h (r1×P) with ``(2D_i − I)U'h_i > 0`` found by a batched perceptron in at most ``steps`` rounds;
    a zero column where it found none."""
    sign = 2 * D - 1
    H = U.T @ sign  # the rows' signed mean direction: a good start for sampled patterns
    for _ in range(steps):
        bad = _violated(U, sign, H)
        if not bad.any():
            break
        H = H + U.T @ (sign * bad) * (1.0 / bad.sum(0, keepdim=True).clamp_min(1))
    H = torch.where(_violated(U, sign, H).any(0, keepdim=True), torch.zeros_like(H), H)
    return H / torch.linalg.vector_norm(H, dim=0, keepdim=True).clamp_min(1e-300)


def _violated(U, sign, H):
    margin = sign * (U @ H)
    return margin <= 1e-9 * margin.abs().amax(0, keepdim=True)


def _feasible_directions(U: torch.Tensor, D: torch.Tensor, steps: int) -> torch.Tensor:
    """:func:`perceptron_directions`, then an LP for the patterns it left without one."""
    H = perceptron_directions(U, D, steps)
    sign = 2 * D - 1
    for i in torch.nonzero((H == 0).all(0)).flatten().tolist():
        H[:, i] = torch.as_tensor(_lp_interior(U.cpu().double().numpy(), sign[:, i].cpu().double().numpy()),
                                  dtype=H.dtype, device=H.device)
    return H / H.norm(dim=0, keepdim=True)


def _lp_interior(U: np.ndarray, sign: np.ndarray) -> np.ndarray:
    """``max σ s.t. sign ∘ (U h) ≥ σ, −1 ≤ h ≤ 1`` by HiGHS; ValueError when σ* ≤ 0 (empty interior)."""
    from scipy.optimize import linprog

    r1 = U.shape[1]
    A = np.hstack([-(sign[:, None] * U), np.ones((U.shape[0], 1))])
    res = linprog(np.r_[np.zeros(r1), -1.0], A_ub=A, b_ub=np.zeros(U.shape[0]),
                  bounds=[(-1, 1)] * r1 + [(None, 1)], method="highs")
    if res.status != 0 or -res.fun <= 1e-12:
        raise ValueError("a pattern's cone has an empty interior: the barrier solver needs strictly "
                         "realizable patterns (sample them as 1[U'h ≥ 0] for Gaussian h)")
    return res.x[:r1]


def _cholesky(A: torch.Tensor) -> torch.Tensor:
    """Cholesky factor(s) of symmetric positive (semi)definite A, with a growing relative jitter where rounding
    made a block indefinite; raises FloatingPointError when even 1e-6 relative does not help."""
    L, info = torch.linalg.cholesky_ex(A)
    jitter = 1e-12
    while bool((info > 0).any()):
        if jitter > 1e-6:
            raise FloatingPointError("a Newton block stayed indefinite")
        scale = A.diagonal(dim1=-2, dim2=-1).abs().amax(-1, keepdim=True)
        L, info = torch.linalg.cholesky_ex(A + torch.diag_embed(jitter * scale.expand_as(A[..., 0])))
        jitter *= 100
    return L


def interior_point_entries(n: int, r1: int, P: int) -> float:
    """Float entries the interior-point method holds at once: block Hessians and inverses (2P(r+1)² each),
    the n×P(r+1) Woodbury factor, the n×n matrix, and margins and multipliers (2nP each)."""
    return 6.0 * P * r1**2 + n * P * r1 + n * n + 6.0 * n * P


class InteriorPoint(OwnSolver):
    """For U' of n×r1 with r1 < n; the interface is :class:`OwnSolver`'s."""

    def __init__(self, U_prime, D, y, beta: float, dtype=torch.float64, device=None):
        super().__init__(U_prime, D, y, beta, dtype, device)
        self.sign = 2 * self.D - 1  # (n, P)
        self.sigma = torch.tensor([1.0, -1.0], dtype=dtype, device=self.device)[:, None, None]
        self.m = 2 * self.P * self.n  # barrier degree
        self._kr = None
        self.correctors = 2

    # S: (2, r1, P) [family, coordinate, pattern]; margins and multipliers λ: (2, n, P)
    def margins(self, S):
        """c_k = B_k s_k, (2, n, P)."""
        return self.sign * (self.U @ S)

    def _weighted_grams(self, W):
        """``U'ᵀ diag(W_k) U'`` for every block, (2, P, r1, r1): one GEMM against the rows' Khatri–Rao
        squares ``u_j ⊗ u_j`` (n × r1², cached when it is small enough), else a batched product."""
        if self.n * self.r1**2 <= 5e7:
            if self._kr is None:
                self._kr = (self.U[:, :, None] * self.U[:, None, :]).reshape(self.n, -1)
            return (W.permute(0, 2, 1).reshape(-1, self.n) @ self._kr).reshape(2, self.P, self.r1, self.r1)
        chunk = max(1, int(5e7 // (2 * self.r1 * self.n)))  # patterns per batched product
        Wt = W.permute(0, 2, 1)
        return torch.cat([(self.U.T[None, None] * Wt[:, i:i + chunk, None, :]) @ self.U
                          for i in range(0, self.P, chunk)], dim=1)

    def _factor(self, S, W, t_fit, eps, beta_scale):
        """Factorize ``t_fit MᵀM + blockdiag(U'ᵀ diag(W_k) U' + beta_scale·β ∇²ρ_ε(s_k))`` and return the map
        g (2, P, r1) ↦ −(that matrix)⁻¹ g. Woodbury through ``I/t_fit + Σ_i D_i U' A_i U'ᵀ D_i`` (n×n)."""
        rho = ((S**2).sum(1) + eps**2).sqrt()  # (2, P)
        H = self._weighted_grams(W)
        Sp = S.permute(0, 2, 1)
        H = H - (beta_scale * self.beta / rho**3)[..., None, None] * Sp[..., :, None] * Sp[..., None, :]
        H.diagonal(dim1=-2, dim2=-1).add_((beta_scale * self.beta / rho)[..., None])
        Hinv = torch.cholesky_inverse(_cholesky(H))
        A = Hinv.sum(0)  # (P, r1, r1): both families of pattern i share D_i U'
        # patterns whose A_i is negligible (both families inactive, held at 0 by the smoothing) change
        # K by less than rounding: leave them out of the GEMM, the one O(n²P(r+1)) product per step
        trace = A.diagonal(dim1=-2, dim2=-1).sum(-1)
        keep = torch.nonzero(trace > 1e-14 * trace.max()).flatten()
        F = torch.einsum("nr,prs->nps", self.U, _cholesky(A[keep])) * self.D[:, keep, None]  # [D_i U' L_i]
        F = F.reshape(self.n, -1)
        K = F @ F.T
        K.diagonal().add_(1.0 / t_fit)
        chol = _cholesky(K)

        def solve(g):
            Hg = (Hinv @ g[..., None])[..., 0]  # (2, P, r1)
            MHg = (self.sigma * (self.U[None] @ Hg.permute(0, 2, 1)) * self.D[None]).sum((0, 2))  # Σ_k G_k (H⁻¹g)_k
            z = torch.cholesky_solve(MHg[:, None], chol)[:, 0]
            MTz = self.sigma * (self.U.T @ (self.D * z[:, None])).T[None]  # G_kᵀz, (2, P, r1)
            return -(Hg - (Hinv @ MTz[..., None])[..., 0])

        return solve

    def grad_f0(self, S, eps):
        """∇ of ½‖e‖² + β Σ ρ_ε(s_k), (2, r1, P)."""
        e = self.fit(S) - self.y
        rho = ((S**2).sum(1) + eps**2).sqrt()
        return self.sigma * (self.U.T @ (self.D * e[:, None])) + self.beta * S / rho[:, None]

    def start(self):
        """A strictly feasible start: s_k = a_k h_i along each pattern's interior direction, with the a_k ≥ 0
        fitted to y by NNLS over the 2P columns ``±D_i U'h_i`` and floored at their mean (a start well inside
        every cone takes ~30% fewer steps than one near the NNLS fit, measured on digits n = 1000, P = 200)."""
        H = interior_directions(self.U, self.D)  # (r1, P), unit columns
        cols = self.D * (self.U @ H)  # (n, P)
        Phi = torch.cat([cols, -cols], dim=1).cpu().double().numpy()
        try:
            a, _ = nnls(Phi, self.y.cpu().double().numpy(), maxiter=20 * Phi.shape[1])
        except RuntimeError:  # no NNLS fit within its iteration limit: the floor alone is a valid start
            a = np.zeros(Phi.shape[1])
        floor = max(a.mean(), float(self.y.norm()) / (4 * self.P))
        a = torch.as_tensor(np.maximum(a, floor), dtype=H.dtype, device=H.device).reshape(2, 1, self.P)
        return H[None] * a

    def step(self, S, lam):
        """One Mehrotra predictor-corrector step (affine direction, centring σ = (μ_aff/μ)³, second-order
        correction), 0.99 of the way to the boundary. Returns (S, λ, α)."""
        c = self.margins(S)
        mu = float((c * lam).sum()) / self.m
        eps = 0.01 * mu * self.m / (2 * self.P * self.beta)  # smoothing error ≤ 1% of the current gap
        gf = self.grad_f0(S, eps)
        solve = self._factor(S, lam / c, 1.0, eps, 1.0)

        def direction(target):  # Newton step towards λ∘c = target, ∇f0 = Bᵀλ
            dS = solve((gf - self.U.T @ (self.sign * (target / c))).permute(0, 2, 1)).permute(0, 2, 1)
            dc = self.margins(dS)
            return dS, dc, (target - lam * c - lam * dc) / c

        def max_alpha(dc, dlam):
            inf = torch.tensor(np.inf, dtype=c.dtype, device=c.device)
            ratios = [torch.where(da < 0, -a / da, inf).min() for a, da in ((c, dc), (lam, dlam))]
            return min([1.0] + [float(r) for r in ratios])

        dS, dc, dlam = direction(torch.zeros_like(c))
        a_aff = max_alpha(dc, dlam)
        mu_aff = float(((c + a_aff * dc) * (lam + a_aff * dlam)).sum()) / self.m
        sigma_mu = (mu_aff / mu) ** 3 * mu
        target = sigma_mu - dc * dlam
        dS, dc, dlam = direction(target)
        alpha = max_alpha(dc, dlam)
        for _ in range(self.correctors):  # Gondzio's centrality correctors (same factorization)
            trial = min(1.0, alpha + 0.2)
            v = (c + trial * dc) * (lam + trial * dlam)
            w = torch.clamp(0.1 * sigma_mu - v, min=0) + torch.clamp(10 * sigma_mu - v, max=0).clamp(min=-10 * sigma_mu)
            cand = direction(target + w)
            a_new = max_alpha(cand[1], cand[2])
            if a_new < 1.01 * alpha:
                break
            (dS, dc, dlam), alpha, target = cand, a_new, target + w
        alpha = min(1.0, 0.99 * alpha)
        return S + alpha * dS, lam + alpha * dlam, alpha

    def run(self, tol=1e-6, time_limit_s=None, *, warm=None, max_iter=200, verbose=False) -> SolverResult:
        """Iterate :meth:`step` until the certified relative gap is ≤ tol. ``warm``: a previous run's
        ``warm`` (S, λ), e.g. along a β path."""
        t0 = time.perf_counter()
        S = self.start() if not warm else warm["S"].clone()
        lam = warm["lam"].clone() if warm else (self.objective(S) / self.m) / self.margins(S)
        best = {"upper": np.inf, "lower": -np.inf}
        it = 0
        for it in range(1, max_iter + 1):
            try:
                S, lam, alpha = self.step(S, lam)
            except FloatingPointError:  # the Newton system lost definiteness in this precision
                break
            eta = float((self.margins(S) * lam).sum())
            upper, lower, m = self.certify(S, lam, refine=30 if eta < 1e-3 * abs(self.objective(S)) else 0)
            # complementarity far below the tolerance: the primal is done; certify exactly, then stop
            done = eta < 0.01 * tol * abs(upper)
            if done and upper - lower > tol * abs(upper):
                upper, lower, m = self.certify(S, lam, exact=True)
            if upper < best["upper"]:
                best.update(upper=upper, S=S.clone())
            if lower > best["lower"]:
                best.update(lower=lower, dual_constraint=m, dual=self.y - self.fit(S))
            gap = rel_gap(best["upper"], best["lower"])
            if verbose:
                print(f"it {it} alpha {alpha:.2e} upper {upper:.10g} lower {lower:.10g} gap {gap:.2e} "
                      f"{time.perf_counter() - t0:.1f}s", flush=True)
            if gap <= tol or done or timed_out(t0, time_limit_s):
                break
        if "S" not in best:
            upper, lower, m = self.certify(S, lam, exact=True)
            best.update(upper=upper, S=S, lower=lower, dual_constraint=m, dual=self.y - self.fit(S))
        return SolverResult(best["S"], best["upper"], best["lower"], best.get("dual_constraint", np.inf), it,
                            time.perf_counter() - t0, rel_gap(best["upper"], best["lower"]) <= tol,
                            dual=best.get("dual"), warm={"S": S, "lam": lam})

    def certify(self, S, lam, refine: int = 30, exact: bool = False):
        """(upper, lower, dual constraint value) at a strictly feasible S with cone multipliers λ ≥ 0.

        Any λ ≥ 0 bounds each pattern's dual constraint, ``min_{ρ≥0} ‖G_kᵀv + B_kᵀρ‖ ≤ ‖G_kᵀv + B_kᵀλ_k‖``;
        λ is first improved by ``refine`` accelerated projected-gradient steps on that NNLS (step 1, since
        ``‖B_k‖ = ‖U'‖ = 1``), batched over all blocks, and the better bound is kept per block."""
        v = self.y - self.fit(S)
        g = self.sigma * (self.U.T @ (self.D * v[:, None]))  # (2, r1, P)
        bound = (g + self.U.T @ (self.sign * lam)).norm(dim=1)
        x, z, theta = lam, lam, 1.0
        for _ in range(refine):
            x_new = torch.clamp(z - self.sign * (self.U @ (g + self.U.T @ (self.sign * z))), min=0)
            theta_new = (1 + (1 + 4 * theta**2) ** 0.5) / 2
            z, x, theta = x_new + ((theta - 1) / theta_new) * (x_new - x), x_new, theta_new
        bound = torch.minimum(bound, (g + self.U.T @ (self.sign * x)).norm(dim=1))
        if exact:  # exact NNLS where the bound still exceeds β (the active blocks, near the optimum)
            Un, sign, gn = self.U.cpu().double().numpy(), self.sign.cpu().double().numpy(), g.cpu().double().numpy()
            for k, i in torch.nonzero(bound > self.beta).tolist():
                bound[k, i] = min(float(bound[k, i]), cone_max(gn[k, :, i], sign[:, i, None] * Un))
        return self.objective(S), *self.dual_bound(v, float(bound.max()))
