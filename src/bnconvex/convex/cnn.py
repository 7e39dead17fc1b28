"""Thm 3.1: a two-layer CNN with channel-wise BN, as a convex program.

Patches ``X_k ∈ R^{n×h}`` (k = 1..K) are stacked as ``M = [X_1; …; X_K] ∈ R^{nK×h}``. BN normalizes each
channel over all nK entries: ``BN(X_k z) = (X_k z − μ1)/√(Σ_k' ‖X_k' z − μ1‖²) · γ + α/√(nK)``, and the
network is ``f = Σ_j Σ_k (BN(X_k z_j))₊ w_j``. With ``Pc M = U_M Σ_M V_Mᵀ`` and
``U'_M = [U_M, 1/√(nK)·1]`` split into row blocks ``U'_{Mk}``, the program is

    min ½‖Σ_i Σ_k D_ik U'_{Mk}(q_i − q'_i) − y‖² + β Σ_i (‖q_i‖ + ‖q'_i‖)
    s.t. (2D_ik − I) U'_{Mk} q_i ≥ 0 for all k (likewise q'_i),

i.e. Thm 2.2 on the nK rows of M followed by sum-pooling over the K patches (``S = [I, …, I]``, n×nK). With
K = 1 and the patch equal to the whole image it is exactly Thm 2.2.
"""

from __future__ import annotations

import time

import numpy as np

from bnconvex import losses
from bnconvex.convex.certificate import lower_bound
from bnconvex.convex.patterns import sampled_patterns
from bnconvex.convex.programs import ConvexResult, _certificate, _cvxpy_solve, _size_check
from bnconvex.convex.reconstruct import reconstruct
from bnconvex.linalg import compact_svd


def extract_patches(images: np.ndarray, kernel: int, stride: int, padding: int = 0) -> np.ndarray:
    """Patches of images (n, channels, H, W) → (K, n, channels·kernel²), K = number of positions."""
    images = np.asarray(images, float)
    if images.ndim != 4:
        raise ValueError(f"images must be (n, channels, H, W), got shape {images.shape}")
    x = np.pad(images, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    n, c, H, W = x.shape
    out = []
    for i in range(0, H - kernel + 1, stride):
        for j in range(0, W - kernel + 1, stride):
            out.append(x[:, :, i:i + kernel, j:j + kernel].reshape(n, -1))
    if not out:
        raise ValueError(f"kernel {kernel} does not fit images of size {H}×{W} (padding included)")
    return np.stack(out)


class _PooledSystem:
    """Blocks of the CNN program for the certificate: ``G_i = S (D_i ∘ U'_M)``, ``B_i = (2D_i − I) U'_M``."""

    def __init__(self, U_prime, D, K, n):
        self.U_prime, self.D, self.K, self.n = U_prime, D, K, n

    def __iter__(self):
        for i in range(self.D.shape[1]):
            mask = self.D[:, i, None]
            G = (mask * self.U_prime).reshape(self.K, self.n, -1).sum(axis=0)
            yield G, np.where(mask, self.U_prime, -self.U_prime)


def solve_cnn(patches: np.ndarray, y: np.ndarray, beta: float, P: int = 100, seed: int = 0,
              patterns: np.ndarray | None = None, solver: str = "clarabel", dust: float = 1e-8,
              **solver_options) -> ConvexResult:
    """Thm 3.1 for scalar y and squared loss over P sampled patterns of the nK rows (or given ``patterns``,
    boolean nK×P, rows ordered patch-major as in ``M``). Returns the network (a :class:`BNNetwork`
    whose W1 holds the filters; evaluate it on the patches) and a certificate."""
    import cvxpy as cp

    patches, y = np.asarray(patches, float), np.asarray(y, float)
    K, n, h = patches.shape
    if y.shape != (n,):
        raise ValueError(f"Thm 3.1 here takes a scalar target of shape ({n},), got {y.shape}")
    if not np.isfinite(beta) or beta <= 0:
        raise ValueError(f"beta must be a positive finite number, got {beta}")
    M = patches.reshape(K * n, h)
    svd = compact_svd(M)  # centers over all nK entries, U' = [U, 1/√(nK)·1]
    Up = svd.U_prime
    r1 = Up.shape[1]
    D = sampled_patterns(Up, P, seed) if patterns is None else np.asarray(patterns, bool)
    P = D.shape[1]
    _size_check(n * K, P, 1, r1)
    Dm, sign = D.astype(float), 2 * D.astype(float) - 1
    pool = np.tile(np.eye(n), (1, K))  # S = [I, …, I]: sums the K patch blocks
    S, Sn = cp.Variable((r1, P)), cp.Variable((r1, P))
    u = cp.Variable(n)
    cons = [u == cp.sum(pool @ cp.multiply(Dm, Up @ (S - Sn)), axis=1)]
    cons += [cp.multiply(sign, Up @ V) >= 0 for V in (S, Sn)]
    reg = cp.sum(cp.norm(S, 2, axis=0)) + cp.sum(cp.norm(Sn, 2, axis=0))
    problem = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(u - y) + beta * reg), cons)
    status, t_solve = _cvxpy_solve(problem, solver, **solver_options)
    if status not in ("optimal", "optimal_inaccurate"):
        raise RuntimeError(f"{solver} returned status {status!r} for the Thm 3.1 program")
    Sv, Snv = S.value, Sn.value
    yhat = (pool @ (Dm * (Up @ (Sv - Snv)))).sum(axis=1)
    primal_convex = losses.value("squared", yhat, y) + beta * float(
        np.linalg.norm(Sv, axis=0).sum() + np.linalg.norm(Snv, axis=0).sum())
    violation = max(float(np.max(-(sign * (Up @ V)))) for V in (Sv, Snv))
    net = reconstruct(np.hstack([Sv, Snv]).T, np.r_[np.ones(P), -np.ones(P)][:, None], svd.V, svd.Sigma, dust=dust)
    dual = cons[0].dual_value
    candidates = [yhat - y] + ([np.asarray(dual, float), -np.asarray(dual, float)] if dual is not None else [])
    t0 = time.perf_counter()
    lb = lower_bound("squared", candidates, y, beta, _PooledSystem(Up, D, K, n))
    cert = _certificate("3.1", M, y, beta, "squared", P, False, solver, status, primal_convex,
                        net.objective(patches, y, beta), lb, max(violation, 0.0), t_solve,
                        time.perf_counter() - t0, int(np.count_nonzero(net.W2)))
    cert.update(n=int(n), d=int(h), K=int(K))
    return ConvexResult(net, cert, Sv[None], Snv[None], D)
