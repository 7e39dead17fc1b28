"""Our solver for the Thm 2.2 program when ``U'`` is square (r + 1 = n: n ≤ d, e.g. any CIFAR subset of at
most 3073 images), squared loss.

Reduction. With U' orthogonal (n×n), ``t_i = U' s_i`` is a change of variables that keeps norms, turns the
cone ``(2D_i − I)U's_i ≥ 0`` into a sign pattern on t_i, and ``D_i U' s_i = D_i t_i``. Entries of t_i off
D_i only add to the norm, so at the optimum ``t_i = a_i ≥ 0`` supported on D_i (and ``b_i`` for s'_i):

    p* = min_{a_i, b_i ≥ 0, supp ⊆ D_i}  ½‖Σ_i (a_i − b_i) − y‖² + β Σ_i (‖a_i‖ + ‖b_i‖).

Its dual is the projection ``v* = argmin_v ½‖v − y‖²`` over ``‖(D_i v)₊‖ ≤ β``, ``‖(−D_i v)₊‖ ≤ β`` (the
per-pattern NNLS of docs/formulas.md, "Certificates", has this closed form when U' is square), and ``p* = ½‖y‖² −
½‖v* − y‖²``. Method: we dualize those 2P constraints once more with multipliers μ ≥ 0. The inner
minimization over v is separable and closed-form — ``v_j = y_j / w_j`` with ``w = 1 + E μ``, where the n×2P
matrix ``E = [D ∘ 1[y > 0], D ∘ 1[y < 0]]`` — so

    q(μ) = ½‖v(μ) − y‖² + Σ_k μ_k (½ Σ_j E_jk v_j(μ)² − β²/2),      ∇q(μ)_k = ½ Σ_j E_jk v_j² − β²/2,

is smooth and concave, and ``max_{μ≥0} q`` is a bound-constrained smooth problem in 2P variables, solved by
L-BFGS-B (Byrd, Lu, Nocedal & Zhu, SIAM J. Sci. Comput. 16, 1995; scipy's). Every evaluation is two masked
mat-vecs in torch (CPU or GPU); nothing n×n is formed.

Certificates at any μ ≥ 0 (both independent of how μ was found):

- primal (upper bound): ``a_k = μ_k (E_k ∘ v)``, signed per family, is feasible, and ``Σ a − Σ b = y − v``
  exactly, so ``upper = ½‖v‖² + β Σ_k μ_k ‖E_k ∘ v‖``;
- dual (lower bound): ``v`` scaled by ``min(1, β/m)``, ``m = max_k ‖E_k ∘ v‖`` (v has the sign of y, so
  ``(±D_i v)₊ = E_k ∘ v``), gives ``lower = ½‖y‖² − ½‖v̂ − y‖²``.
"""

from __future__ import annotations

import time

import numpy as np
import torch
from scipy.optimize import minimize

from bnconvex.convex.solvers.base import OwnSolver, SolverResult, rel_gap, timed_out


class OrthantDual(OwnSolver):
    """U' must be square (n×n, orthogonal); the interface is :class:`OwnSolver`'s."""

    def __init__(self, U_prime, D, y, beta: float, dtype=torch.float64, device=None):
        super().__init__(U_prime, D, y, beta, dtype, device)
        if self.n != self.r1:
            raise ValueError(f"OrthantDual needs a square U' (r + 1 = n), got {tuple(self.U.shape)}")
        self.pos, self.neg = (self.y > 0).to(dtype), (self.y < 0).to(dtype)

    def _w(self, mu: torch.Tensor) -> torch.Tensor:
        """``w = 1 + E μ``; μ (2P,) = [μ for the s_i, μ for the s'_i]."""
        return 1 + self.pos * (self.D @ mu[: self.P]) + self.neg * (self.D @ mu[self.P:])

    def _v(self, mu: torch.Tensor) -> torch.Tensor:
        """``v(μ) = y / w``, the minimizer of the Lagrangian over v."""
        return self.y / self._w(mu)

    def _block_sq_norms(self, v: torch.Tensor) -> torch.Tensor:
        """``‖E_k ∘ v‖²`` for every block k (2P,)."""
        v2 = v * v
        return torch.cat([self.D.T @ (self.pos * v2), self.D.T @ (self.neg * v2)])

    def value_and_grad(self, mu: np.ndarray) -> tuple[float, np.ndarray]:
        """``−q(μ)`` and its gradient (L-BFGS-B minimizes)."""
        m = torch.as_tensor(mu, dtype=self.y.dtype, device=self.device)
        w = self._w(m)
        g = (0.5 * self._block_sq_norms(self.y / w)).double() - 0.5 * self.beta**2
        # q = ½ Σ_j y_j² (1 − 1/w_j) − β²/2 Σ μ (v = y/w substituted), summed in float64: the float32 path
        # then still resolves the small changes of q near the optimum
        q = 0.5 * (self.y.double() ** 2 * (1 - 1 / w.double())).sum() - 0.5 * self.beta**2 * float(np.sum(mu))
        return -float(q), -g.cpu().numpy()

    def certify(self, mu: np.ndarray) -> dict:
        """Upper and lower bounds at μ (module doc); exact up to rounding, whatever μ ≥ 0 is."""
        m = torch.as_tensor(np.maximum(mu, 0), dtype=self.y.dtype, device=self.device)
        v = self._v(m)
        norms = self._block_sq_norms(v).clamp_min(0).sqrt()
        upper = float(0.5 * (v * v).sum() + self.beta * (m * norms).sum())
        lower, constraint = self.dual_bound(v, float(norms.max()))
        return {"upper": upper, "lower": lower, "dual_constraint": constraint, "mu": m, "v": v}

    def primal(self, mu: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        """The blocks in s-space, (2, r1, P): ``s_i = U'ᵀ a_i``, ``s'_i = U'ᵀ b_i``."""
        A = self.D * (self.pos * v)[:, None] * mu[None, : self.P]
        B = self.D * (-self.neg * v)[:, None] * mu[None, self.P:]
        return torch.stack([self.U.T @ A, self.U.T @ B])

    def run(self, tol=1e-6, time_limit_s=None, *, warm=None, max_iter=100_000, check_every=10,
            memory=30) -> SolverResult:
        """Maximize q over μ ≥ 0 until the certified relative gap is ≤ tol. ``warm``: a previous run's
        ``warm`` (its μ), e.g. along a β path."""
        mu0 = np.zeros(2 * self.P) if not warm else np.asarray(warm["mu"], float)
        t0 = time.perf_counter()
        state = {"it": 0, "best": None}

        def keep(mu):
            cert = self.certify(mu)
            best = state["best"]
            if best is None or cert["upper"] - cert["lower"] < best["upper"] - best["lower"]:
                state["best"] = cert
            return cert

        def callback(intermediate_result):
            state["it"] += 1
            if state["it"] % check_every:
                return
            cert = keep(intermediate_result.x)
            if rel_gap(cert["upper"], cert["lower"]) <= tol or timed_out(t0, time_limit_s):
                raise StopIteration

        res = minimize(self.value_and_grad, mu0, jac=True, method="L-BFGS-B", bounds=[(0, None)] * (2 * self.P),
                       callback=callback, options={"maxiter": max_iter, "maxcor": memory, "ftol": 0.0,
                                                   "gtol": 0.0, "maxfun": 10 * max_iter})
        keep(res.x)
        best = state["best"]
        return SolverResult(self.primal(best["mu"], best["v"]), best["upper"], best["lower"],
                            best["dual_constraint"], state["it"], time.perf_counter() - t0,
                            rel_gap(best["upper"], best["lower"]) <= tol, dual=best["v"],
                            warm={"mu": best["mu"].double().cpu().numpy()})
