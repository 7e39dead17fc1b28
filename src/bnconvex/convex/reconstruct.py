"""Reconstruction of the non-convex network from a convex solution (App. C.3).

Each nonzero block ``s_i ∈ R^{r+1}`` (above ``dust · max_j ‖s_j‖``) gives one neuron with
``w1 = V Σ⁻¹ s_{i,1:r}``, ``[γ; α] = [‖s_{i,1:r}‖; s_{i,r+1}] / ‖s_i‖``, ``w2 = ±‖s_i‖ e_c``. Then
``(BN(X w1))₊ = D_i U' s_i / ‖s_i‖`` and the rescaled objective equals the convex one term by term; the
returned network is optimally rescaled, so objective (9) on it equals the convex objective.
"""

from __future__ import annotations

import numpy as np

from bnconvex.network import BNNetwork


def _kept(norms: np.ndarray, dust: float) -> np.ndarray:
    """Indices of blocks above ``dust · max‖s‖`` (interior-point solvers leave tiny nonzeros)."""
    return np.flatnonzero(norms > dust * norms.max()) if norms.size and norms.max() > 0 else np.zeros(0, int)


def reconstruct(blocks: list, V: np.ndarray, Sigma: np.ndarray, C: int, dust: float = 1e-8) -> BNNetwork:
    """Network from ``blocks`` = [(s (r+1,), sign ±1, output column c), ...], with the right singular
    vectors V (d×r) and singular values Sigma (r,) of the centered data (BN before ReLU)."""
    norms = np.array([np.linalg.norm(b[0]) for b in blocks])
    keep = _kept(norms, dust)
    W1, gamma, alpha, W2 = np.zeros((V.shape[0], keep.size)), np.zeros(keep.size), np.zeros(keep.size), np.zeros(
        (keep.size, C))
    for j, k in enumerate(keep):
        s, sign, c = blocks[k]
        W1[:, j] = V @ (s[:-1] / Sigma)
        gamma[j], alpha[j] = np.linalg.norm(s[:-1]) / norms[k], s[-1] / norms[k]
        W2[j, c] = sign * norms[k]
    return BNNetwork(W1, gamma, alpha, W2).rescaled()


def reconstruct_bn_after_relu(blocks: list, d: int, dust: float = 1e-8) -> BNNetwork:
    """Thm G.1: blocks [(s_i = [Σ_i V_iᵀ w_i; a_i], w_i, sign)] give ``w1 = w_i``,
    ``[γ; α] = [‖Σ_i V_iᵀ w_i‖; a_i]/‖s_i‖``, ``w2 = ±‖s_i‖``, with BN after the ReLU."""
    norms = np.array([np.linalg.norm(b[0]) for b in blocks])
    keep = _kept(norms, dust)
    W1, gamma, alpha, W2 = np.zeros((d, keep.size)), np.zeros(keep.size), np.zeros(keep.size), np.zeros((keep.size, 1))
    for j, k in enumerate(keep):
        s, w, sign = blocks[k]
        W1[:, j] = w
        gamma[j], alpha[j], W2[j, 0] = np.linalg.norm(s[:-1]) / norms[k], s[-1] / norms[k], sign * norms[k]
    return BNNetwork(W1, gamma, alpha, W2, bn_after_relu=True).rescaled()
