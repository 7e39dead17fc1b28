"""ADMM for the Thm 2.2 program (squared loss; scalar output, or column by column for the column-wise
vector form, which decouples over output columns): the fallback of solver="bnconvex" (``method="admm"``)
for problems too large for the interior point (:mod:`bnconvex.convex.solvers.interior_point`) when U' is not square.
Its iterations cost O(nP(r+1)) and no (r+1)² blocks, but it converges slowly to high accuracy (measured:
n = 1000, P = 50 on digits did not reach 1e-6 in 400 s; the interior point certifies 1e-6 at P = 200 in
~15 s).

Method: ADMM (Boyd et al., "Distributed optimization and statistical learning via the alternating direction
method of multipliers", 2011, §3–4) on the splitting

    min ½‖M s − y‖² + β Σ_i ‖z_i‖ + 1[u ≥ 0]   s.t.   s = z,  B s = u,

with ``M s = Σ_i D_i U'(s_i − s'_i)`` and ``B_i = (2D_i − I) U'``. Structure used:

- ``B_iᵀ B_i = U'ᵀ U' = I`` (U' has orthonormal columns), so the s-update is ``(MᵀM + 2ρI) s = r``, solved by
  Woodbury through one cached n×n Cholesky factor of ``2ρI + MMᵀ``, where
  ``MMᵀ = 2 (U'U'ᵀ) ∘ (D Dᵀ)`` is formed once; only a change of ρ refactors;
- every ``D_i U'`` product is a masked batched matmul ``D ∘ (U' S)`` over all patterns at once, never P
  dense n×n matrices; torch tensors, so the same code runs on a GPU;
- z-update: group soft-thresholding; u-update: projection on the orthant; ρ by residual balancing.

Certificates: every ``check_every`` iterations a cheap estimate (z's objective and the unrefined dual bound)
decides whether to certify; then the blocks of z are projected exactly onto their cones (NNLS, Moreau:
``Π_K(g) = g + Bᵀρ*``), a feasible point and so a true upper bound; ``v = y − ŷ`` is scaled to feasibility
with per-pattern bounds ``‖U'ᵀD_i v + B_iᵀλ_i‖ ≥ max_{s∈K_i,‖s‖≤1} vᵀD_iU's`` (any λ ≥ 0 is valid: the ADMM
multipliers, the worst patterns refined by an exact NNLS), which gives a lower bound.
"""

from __future__ import annotations

import time

import numpy as np
import torch
from scipy.optimize import nnls

from bnconvex.convex.certificate import cone_max
from bnconvex.convex.solvers.base import OwnSolver, SolverResult, rel_gap, timed_out


def _cone_project(g: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Euclidean projection of g onto {s : B s ≥ 0}: ``g + Bᵀρ*`` with ρ* the NNLS solution."""
    rho, _ = nnls(B.T, -g, maxiter=50 * B.shape[0])
    return g + B.T @ rho


class ADMM(OwnSolver):
    """For any U' (n×r1); the interface is :class:`OwnSolver`'s."""

    def __init__(self, U_prime, D, y, beta: float, dtype=torch.float64, device=None):
        super().__init__(U_prime, D, y, beta, dtype, device)
        self.sign = 2 * self.D - 1
        self.MMt = 2 * (self.U @ self.U.T) * (self.D @ self.D.T)
        self._U_np, self._sign_np = np.asarray(U_prime, float), 2 * np.asarray(D, float) - 1

    # operators on S = (2, r1, P): S[0] the s_i, S[1] the s'_i
    M = OwnSolver.fit

    def MT(self, r):
        G = self.U.T @ (self.D * r[:, None])
        return torch.stack([G, -G])

    def B(self, S):
        return self.sign * torch.einsum("nr,krp->knp", self.U, S)

    def BT(self, A):
        return torch.einsum("nr,knp->krp", self.U, self.sign * A)

    def feasible(self, Z) -> torch.Tensor:
        """Z with every nonzero block projected exactly onto its cone."""
        out = Z.clone()
        norms = Z.norm(dim=1).cpu().numpy()
        Zn = Z.cpu().double().numpy()
        for k, i in zip(*np.nonzero(norms > 0), strict=True):
            Bi = self._sign_np[:, i, None] * self._U_np
            out[k, :, i] = torch.as_tensor(_cone_project(Zn[k, :, i], Bi), dtype=Z.dtype)
        return out

    def lower_bound(self, S, lam, refine: int = 32):
        """Valid lower bound from v = y − M S with multiplier bounds refined by NNLS (module doc)."""
        v = self.y - self.M(S)
        g = self.U.T @ (self.D * v[:, None])
        cone = self.BT(lam)
        bounds = torch.stack([(g + cone[0]).norm(dim=0), (-g + cone[1]).norm(dim=0)])
        bounds = torch.minimum(bounds, g.norm(dim=0).expand(2, -1)).flatten().cpu().numpy()
        if bounds.max() > self.beta:
            gn = g.cpu().double().numpy()
            for idx in np.argsort(-bounds)[:refine]:
                if bounds[idx] <= self.beta:
                    break
                k, i = divmod(int(idx), self.P)
                Bi = self._sign_np[:, i, None] * self._U_np
                bounds[idx] = min(bounds[idx], cone_max(gn[:, i] * (1 - 2 * k), Bi))
        return self.dual_bound(v, float(bounds.max()))

    def run(self, tol=1e-6, time_limit_s=None, *, warm=None, rho=None, max_iter=100_000, check_every=50,
            relax: float = 1.6) -> SolverResult:
        dt, dev = self.U.dtype, self.device
        rho = float(rho) if rho else 0.1 * float(self.MMt.diagonal().mean()) ** 0.5
        eye = torch.eye(self.n, dtype=dt, device=dev)
        chol = torch.linalg.cholesky(2 * rho * eye + self.MMt)
        zeros_s = torch.zeros((2, self.r1, self.P), dtype=dt, device=dev)
        zeros_u = torch.zeros((2, self.n, self.P), dtype=dt, device=dev)
        Z, W1, Uv, W2 = (warm or {}).get("Z", zeros_s), (warm or {}).get("W1", zeros_s), zeros_u, zeros_u
        if warm and "Uv" in warm:
            Uv, W2 = warm["Uv"], warm["W2"]
        MTy = self.MT(self.y)
        t0 = time.perf_counter()
        best = {"upper": np.inf, "lower": -np.inf}
        it = 0
        for it in range(1, max_iter + 1):
            r = MTy + rho * (Z - W1) + rho * self.BT(Uv - W2)
            S = (r - self.MT(torch.cholesky_solve(self.M(r)[:, None], chol)[:, 0])) / (2 * rho)
            # over-relaxation (Boyd et al. §3.4.3): use α·new + (1 − α)·old in the z/u and dual updates
            BS = self.B(S)
            Sh, BSh = relax * S + (1 - relax) * Z, relax * BS + (1 - relax) * Uv
            V = Sh + W1
            Z_old, U_old = Z, Uv
            Z = V * torch.clamp(1 - (self.beta / rho) / V.norm(dim=1, keepdim=True).clamp_min(1e-300), min=0)
            Uv = torch.clamp(BSh + W2, min=0)
            W1 = W1 + Sh - Z
            W2 = W2 + BSh - Uv
            if it % check_every:
                continue
            lam = torch.clamp(-rho * W2, min=0)
            cheap_upper = self.objective(Z)  # Z may violate its cones: only a trigger, never reported
            cheap_lower, _ = self.lower_bound(Z, lam, refine=0)  # valid, but loose
            if (cheap_upper - cheap_lower) / max(abs(cheap_upper), 1e-300) > tol and not (
                    timed_out(t0, time_limit_s)):
                pass
            else:
                Zf = self.feasible(Z)
                upper = self.objective(Zf)
                lower, m = self.lower_bound(Zf, lam)
                if upper < best["upper"]:
                    best.update(upper=upper, Z=Zf)
                if lower > best["lower"]:
                    best.update(lower=lower, dual_constraint=m)
                if rel_gap(best["upper"], best["lower"]) <= tol or timed_out(t0, time_limit_s):
                    break
            # residual balancing (Boyd et al. §3.4.1); the scaled duals W scale by the inverse factor
            primal_res = float(torch.sqrt(((S - Z) ** 2).sum() + ((BS - Uv) ** 2).sum()))
            dual_res = rho * float(torch.sqrt(((Z - Z_old) ** 2).sum() + (self.BT(Uv - U_old) ** 2).sum()))
            factor = 2.0 if primal_res > 10 * dual_res else 0.5 if dual_res > 10 * primal_res else 1.0
            if factor != 1.0:
                rho *= factor
                W1, W2 = W1 / factor, W2 / factor
                chol = torch.linalg.cholesky(2 * rho * eye + self.MMt)
        if "Z" not in best:  # max_iter reached before any certified check
            Zf = self.feasible(Z)
            lower, m = self.lower_bound(Zf, torch.clamp(-rho * W2, min=0))
            best.update(upper=self.objective(Zf), Z=Zf, lower=lower, dual_constraint=m)
        return SolverResult(best["Z"], best["upper"], best["lower"], best.get("dual_constraint", np.inf), it,
                            time.perf_counter() - t0, rel_gap(best["upper"], best["lower"]) <= tol,
                            warm={"Z": Z, "W1": W1, "Uv": Uv, "W2": W2}, extra={"rho": rho})
