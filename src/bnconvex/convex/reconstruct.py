"""Reconstruction of the non-convex network from a convex solution (App. C.3).

Each nonzero block ``s_i ∈ R^{r+1}`` (above ``dust · max_j ‖s_j‖``) gives one neuron with
``w1 = V Σ⁻¹ s_{i,1:r}``, ``[γ; α] = [‖s_{i,1:r}‖; s_{i,r+1}] / ‖s_i‖``, ``w2 = ±‖s_i‖ e_c``. Then
``(BN(X w1))₊ = D_i U' s_i / ‖s_i‖`` and the rescaled objective equals the convex one term by term; the
returned network is optimally rescaled, so objective (9) on it equals the convex objective.
"""

from __future__ import annotations

import numpy as np

from bnconvex.network import BNNetwork


def reconstruct(blocks: list, bases: list, C: int, dust: float = 1e-6, bn_after_relu: bool = False) -> BNNetwork:
    """Network from ``blocks`` = [(s (r_i+1,), sign ±1, output column c, basis index i), ...].

    ``bases[i] = (V_i, Σ_i)``: right singular vectors (d×r_i) and singular values (r_i,) of the centered data
    the first layer acts on (one basis for BN before ReLU; one per pattern for BN after ReLU, Thm G.1).
    Blocks with ``‖s‖ ≤ dust · max ‖s‖`` are dropped (interior-point solvers leave tiny nonzeros).
    """
    norms = np.array([np.linalg.norm(b[0]) for b in blocks])
    top = norms.max() if norms.size else 0.0
    keep = np.flatnonzero(norms > dust * top) if top > 0 else np.zeros(0, int)
    d, m = bases[0][0].shape[0], keep.size
    W1, gamma, alpha, W2 = np.zeros((d, m)), np.zeros(m), np.zeros(m), np.zeros((m, C))
    for j, k in enumerate(keep):
        s, sign, c, i = blocks[k]
        V_i, Sigma_i = bases[i]
        W1[:, j] = V_i @ (s[:-1] / Sigma_i)
        gamma[j], alpha[j] = np.linalg.norm(s[:-1]) / norms[k], s[-1] / norms[k]
        W2[j, c] = sign * norms[k]
    return BNNetwork(W1, gamma, alpha, W2, bn_after_relu).rescaled()
