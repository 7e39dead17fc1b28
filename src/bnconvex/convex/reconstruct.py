"""The one reconstruction of a BN ReLU network from convex blocks (App. C.3; Thm 2.2/2.3, 3.1, G.1 and the
penalized convex models of App. A, numpy and torch alike), and of a ReLU network without BN from the blocks of
its own convex program (Fig. 13's convex no-BN model, :func:`reconstruct_no_bn`).

Each block ``s_j ∈ R^{r+1}`` with ``‖s_j‖ > dust · max_i ‖s_i‖`` gives one neuron:

    w1_j = V Σ⁻¹ s_{j,1:r}  (or a given W1[:, j], Thm G.1),   [γ_j; α_j] = [‖s_{j,1:r}‖; s_{j,r+1}] / ‖s_j‖,
    w2_j = ‖s_j‖ · e_j,

where ``e_j`` is the block's output direction (``±e_c`` for class c; for a CNN over spatial blocks, ``±e_(b,c)``
over the flattened block × class outputs). Then ``(BN(X w1_j))₊ = D_j U' s_j / ‖s_j‖`` on the training rows
where the cone constraint holds, and the rescaled objective of the network equals the convex objective term by
term; with ``rescale=True`` the network is optimally rescaled, so objective (9) equals the convex one.
"""

from __future__ import annotations

import numpy as np

from bnconvex.network import BNNetwork


def kept_blocks(norms: np.ndarray, dust: float) -> np.ndarray:
    """Indices of blocks above ``dust · max‖s‖`` (interior-point solvers leave tiny nonzeros)."""
    return np.flatnonzero(norms > dust * norms.max()) if norms.size and norms.max() > 0 else np.zeros(0, int)


def reconstruct(S: np.ndarray, E: np.ndarray, V: np.ndarray | None = None, Sigma: np.ndarray | None = None,
                W1: np.ndarray | None = None, dust: float = 1e-8, bn_after_relu: bool = False,
                rescale: bool = True) -> BNNetwork:
    """The network of the blocks ``S`` (m × (r+1), one block per row) with output directions ``E`` (m × C).

    The first layer is ``V Σ⁻¹ s_{1:r}`` from the right singular vectors V (d×r) and singular values Sigma (r,)
    of the centered data (BN before ReLU), or the columns of a given ``W1`` (d×m, Thm G.1, where the BN comes
    after the ReLU). Blocks at or below ``dust · max‖s‖`` are dropped (``dust=0``: keep every nonzero block).
    """
    S, E = np.asarray(S, float), np.asarray(E, float)
    norms = np.linalg.norm(S, axis=1)
    keep = kept_blocks(norms, dust)
    S, E, norms = S[keep], E[keep], norms[keep]
    if W1 is None:
        W1 = V @ (S[:, :-1] / Sigma).T
    else:
        W1 = np.asarray(W1, float)[:, keep]
    net = BNNetwork(W1, np.linalg.norm(S[:, :-1], axis=1) / norms, S[:, -1] / norms, norms[:, None] * E,
                    bn_after_relu)
    return net.rescaled() if rescale else net


def reconstruct_no_bn(S: np.ndarray, E: np.ndarray, dust: float = 1e-8) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ReLU network with bias and without BN of blocks ``s_j ∈ R^{d+1}`` (rows of S) of the convex program
    on ``X̃ = [X, 1]`` (Pilanci & Ergen, 2020; program (8) with X̃ in place of U'), output directions E (m × C):

        w1_j = s_{j,1:d} / √‖s_j‖,   b_j = s_{j,d+1} / √‖s_j‖,   w2_j = √‖s_j‖ · e_j,

    so that ``(X w1_j + b_j)₊ w2_jᵀ = (X̃ s_j)₊ e_jᵀ`` for every input, and ``½(‖w1_j‖² + b_j² + ‖w2_j‖²) = ‖s_j‖``,
    the block's term of the convex regularizer. Blocks at or below ``dust · max‖s‖`` are dropped.
    Returns (W1 (d×m), b1 (m,), W2 (m×C)).
    """
    S, E = np.asarray(S, float), np.asarray(E, float)
    norms = np.linalg.norm(S, axis=1)
    keep = kept_blocks(norms, dust)
    S, E, root = S[keep], E[keep], np.sqrt(norms[keep])
    return (S[:, :-1] / root[:, None]).T, S[:, -1] / root, root[:, None] * E


def signed_classes(signs: np.ndarray, classes: np.ndarray, C: int) -> np.ndarray:
    """Output directions ``E`` (m × C): row j is ``signs[j] · e_{classes[j]}``."""
    E = np.zeros((len(signs), C))
    E[np.arange(len(signs)), np.asarray(classes, int)] = signs
    return E
