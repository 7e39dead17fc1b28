"""The two-layer models of Sec. 5 and App. A: the BN ReLU network (9) (mini-batch or full batch), the whitened
model (16) and the convex program (8) trained in App. A's penalized form.

Truncation (17) enters through :class:`~bnconvex.models.base.SpectralMap` (whitened and convex models) or
through the training data (BN and no-BN models); test data are never truncated (App. A.1).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from bnconvex.convex.reconstruct import reconstruct_no_bn, signed_classes
from bnconvex.models.base import (
    BatchNorm,
    EvalCache,
    PenalizedConvexModel,
    SpectralMap,
    SquaredLossModel,
    init_uniform,
    load_network,
    reconstruct_blocks,
)
from bnconvex.network import BNNetwork


class BNNet(SquaredLossModel):
    """Two-layer network ``f(X) = (BN_{γ,α}(X W1))₊ W2`` (9); with ``bn_after_relu``, ``BN_{γ,α}((X W1)₊) W2``
    (App. G); with ``bn=False``, ``(X W1 + b1)₊ W2``.

    Shapes: W1 (d, m1), γ, α (m1,), W2 (m1, C). Objective (9): ``½‖f − Y‖² + β/2 Σ_j (γ_j² + α_j² + ‖w2_j‖²)``
    (W1 is not regularized: BN is scale-invariant in it, App. B.2.1); without BN, ``β/2 (‖W1‖² + ‖W2‖²)``.
    ``n``: the training-set size of the BN convention (None: full batch, the size of each batch).
    Start as the paper's baseline: W1, W2 uniform(±1/√fan_in), γ = 1, α = 0.
    """

    def __init__(self, d: int, m1: int, C: int, n: int | None, beta: float, bn: bool = True, seed: int = 0,
                 dtype=torch.float32, bn_after_relu: bool = False, generator: torch.Generator | None = None):
        super().__init__()
        g = generator or torch.Generator().manual_seed(seed)  # a deep network's draws continue its generator
        self.W1 = torch.nn.Parameter(init_uniform(d, m1, g, dtype))
        self.W2 = torch.nn.Parameter(init_uniform(m1, C, g, dtype))
        self.bn = BatchNorm(m1, n, dtype=dtype) if bn else None
        self.b1 = None if bn else torch.nn.Parameter(torch.zeros(m1, dtype=dtype))
        self.beta, self.bn_after_relu = beta, bn_after_relu

    @classmethod
    def from_network(cls, net: BNNetwork, n: int | None = None, beta: float = 0.0, dtype=torch.float64,
                     stats: tuple | None = None, width: int | None = None) -> BNNet:
        """The torch model of the numpy reference :class:`BNNetwork`, padded with zero neurons up to ``width``
        (at least one neuron). ``stats``: BN running (mean, variance), for inference (then in eval mode)."""
        d, m, C = net.W1.shape[0], max(width or 0, net.width, 1), net.W2.shape[1]
        model = cls(d, m, C, n, beta, dtype=dtype, bn_after_relu=net.bn_after_relu)
        load_network(model, net, stats)
        with torch.no_grad():
            model.W2[: net.width] = torch.as_tensor(net.W2, dtype=dtype)
        return model.eval() if stats is not None else model

    def to_network(self) -> BNNetwork:
        """The numpy reference network with these weights (float64)."""
        a = lambda p: p.detach().cpu().double().numpy()
        return BNNetwork(a(self.W1), a(self.bn.gamma), a(self.bn.alpha), a(self.W2), self.bn_after_relu)

    def hidden(self, X: torch.Tensor) -> torch.Tensor:
        Z = X @ self.W1
        if self.bn is None:
            return torch.relu(Z + self.b1)
        return self.bn(torch.relu(Z)) if self.bn_after_relu else torch.relu(self.bn(Z))

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.hidden(X) @ self.W2

    def regularizer(self) -> torch.Tensor:
        if self.bn is not None:
            return self.bn.gamma.pow(2).sum() + self.bn.alpha.pow(2).sum() + self.W2.pow(2).sum()
        return self.W1.pow(2).sum() + self.W2.pow(2).sum()

    def first_layer(self) -> torch.Tensor:
        """Hidden-layer weights in input space, (d, m1), for the cosine similarity (18)."""
        return self.W1


class WhitenedNet(SquaredLossModel):
    """Whitened model (16): ``f = Σ_j (U q_j/‖q_j‖ γ_j + α_j/√n · 1)₊ w2_jᵀ`` with weight normalization.

    Shapes: q (k, m1), γ, α (m1,), W2 (m1, C). The start is the BN baseline's, mapped by ``q = Σ Vᵀ w1``
    (Lemma 5.1), so both models begin at the same function. Its objective is (9)'s regularizer.
    """

    def __init__(self, spectral: SpectralMap, m1: int, C: int, beta: float, seed: int = 0, dtype=torch.float32):
        super().__init__()
        base = BNNet(spectral.V.shape[0], m1, C, spectral.n, beta, seed=seed, dtype=torch.float64)
        q0 = (spectral.Sigma[:, None] * spectral.V.T) @ base.W1.detach().numpy()
        self.q = torch.nn.Parameter(torch.as_tensor(q0, dtype=dtype))
        self.gamma = torch.nn.Parameter(torch.ones(m1, dtype=dtype))
        self.alpha = torch.nn.Parameter(torch.zeros(m1, dtype=dtype))
        self.W2 = torch.nn.Parameter(base.W2.detach().to(dtype))
        mu, VSinv = spectral.tensors(dtype)
        self.register_buffer("mu", mu)
        self.register_buffer("VSinv", VSinv)
        self.n, self.beta = spectral.n, beta

    def whiten(self, X: torch.Tensor) -> torch.Tensor:
        """Rows of U for training inputs: (b, k); an evaluated input's rows are kept (:class:`EvalCache`)."""
        if "_map_cache" not in self.__dict__:
            self._map_cache = EvalCache()
        return self._map_cache.get(X, lambda X: (X - self.mu) @ self.VSinv)

    def forward_whitened(self, U: torch.Tensor) -> torch.Tensor:
        pre = U @ (self.q / self.q.norm(dim=0).clamp_min(torch.finfo(self.q.dtype).tiny)) * self.gamma
        return torch.relu(pre + self.alpha / math.sqrt(self.n)) @ self.W2

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.forward_whitened(self.whiten(X))

    def regularizer(self) -> torch.Tensor:
        return self.gamma.pow(2).sum() + self.alpha.pow(2).sum() + self.W2.pow(2).sum()

    def first_layer(self) -> torch.Tensor:
        """q (k, m1): the cosine similarity (18) of the whitened model uses e_i in place of v_i."""
        return self.q


class ConvexNet(PenalizedConvexModel):
    """The convex program (8) (Thm 2.2, columnwise vector output) in the penalized form of App. A.

    For a raw input x, ``u'(x) = [(x − μ) V_k Σ_k⁻¹, 1/√n]`` (a row of U'), and the pattern of arrangement i is
    ``d_i(x) = 1[u'(x) h_i ≥ 0]`` for P = m1 Gaussian directions h_i (sampled patterns, as the paper).
    Parameters S, S' (P, k+1, C), starting at 0 as in the paper. On the training set:

    - prediction ``ŷ = Σ_i D_i U' (S_i − S'_i)``;
    - objective ``½‖ŷ − Y‖² + β Σ_{i,c} (‖S_ic‖ + ‖S'_ic‖)``;
    - penalty ``ρ Σ_i 1ᵀ[(−(2D_i − I)U'S_i)₊ + (−(2D_i − I)U'S'_i)₊]`` replacing the cone constraints.

    Inference goes through :meth:`reconstruct` (App. C.3, App. A.1).
    """

    def __init__(self, spectral: SpectralMap, P: int, C: int, beta: float, rho: float, seed: int = 0,
                 dtype=torch.float32):
        super().__init__()
        self._blocks(spectral.k + 1, P, C, seed, dtype)
        mu, VSinv = spectral.tensors(dtype)
        self.register_buffer("mu", mu)
        self.register_buffer("VSinv", VSinv)
        self.spectral, self.n, self.beta, self.rho = spectral, spectral.n, beta, rho

    def _blocks(self, k1: int, P: int, C: int, seed: int, dtype) -> None:
        """P Gaussian directions H (k1, P) of the sampled patterns (seeded) and S, S' (P, k1, C) at 0."""
        g = torch.Generator().manual_seed(seed)
        self.register_buffer("H", torch.randn(k1, P, generator=g, dtype=torch.float64).to(dtype))
        self.S = torch.nn.Parameter(torch.zeros(P, k1, C, dtype=dtype))
        self.S_neg = torch.nn.Parameter(torch.zeros(P, k1, C, dtype=dtype))

    def u_prime(self, X: torch.Tensor) -> torch.Tensor:
        """Rows of U' (b, k+1); the map is fixed, so an evaluated input's rows are kept (:class:`EvalCache`)."""
        if "_map_cache" not in self.__dict__:
            self._map_cache = EvalCache()
        return self._map_cache.get(X, self._u_prime)

    def _u_prime(self, X: torch.Tensor) -> torch.Tensor:
        U = (X - self.mu) @ self.VSinv
        return torch.cat([U, torch.full_like(U[:, :1], 1 / math.sqrt(self.n))], dim=1)

    def _fit_and_penalty(self, X):
        Up = self.u_prime(X)
        sign = torch.where(Up @ self.H >= 0, 1.0, -1.0).to(Up.dtype).unsqueeze(-1)   # (b, P, 1)
        Z = torch.einsum("bk,pkc->bpc", Up, self.S)
        Z_neg = torch.einsum("bk,pkc->bpc", Up, self.S_neg)
        on = (sign > 0).to(Z.dtype)
        pred = (on * (Z - Z_neg)).sum(dim=1)
        violation = torch.relu(-sign * Z) + torch.relu(-sign * Z_neg)
        return pred, violation

    def penalized_objective(self, X, Y) -> torch.Tensor:
        return self.batch_objective(X, Y, X.shape[0])

    def first_layer(self) -> torch.Tensor:
        return self.S.detach().flatten(1).T

    def predictor(self) -> BNNet:
        return self.reconstruct()

    def reconstruct(self) -> BNNet:
        """The non-convex BN network of App. C.3 (:func:`bnconvex.convex.reconstruct.reconstruct`), one neuron
        per nonzero column s = S_ic (or S'_ic): ``w1 = V_k Σ_k⁻¹ s_{1:k}``, ``[γ; α] = [‖s_{1:k}‖; s_{k+1}]/‖s‖``,
        ``w2 = ±‖s‖ e_c``.

        BN runs in eval mode with the training statistics of ``X w1`` (mean μᵀw1, variance ‖s_{1:k}‖²/n),
        so for any input ``(BN(x w1))₊ w2 = ±(u'(x) s)₊ e_c``; on training rows where the constraints hold
        this is ``D_i U' s``.
        """
        cols, signs = self.columns()
        C = self.S.shape[2]
        net, stats = reconstruct_blocks(cols, signed_classes(signs.numpy(), np.tile(np.arange(C), len(signs) // C),
                                                              C), self.spectral)
        return BNNet.from_network(net, self.n, self.beta, self.S.dtype, stats).to(self.S.device)


class ConvexNoBNNet(ConvexNet):
    """Fig. 13's convex no-BN model: the convex program of a two-layer ReLU network with bias and without BN
    (Pilanci & Ergen, 2020), i.e. :class:`ConvexNet`'s program and penalty on the raw rows ``x̃ = [x, 1]`` (d+1)
    in place of U' (no whitening; patterns ``1[x̃ h_i ≥ 0]``), trained the same way (App. A).

    Its network (:meth:`reconstruct`, :func:`~bnconvex.convex.reconstruct.reconstruct_no_bn`) is a
    :class:`BNNet` without BN whose output is the program's on every input where the cones hold. The
    program regularizes the bias with the weights (β/2 (‖W1‖² + ‖b1‖² + ‖W2‖²)), the no-BN objective of
    ``BNNet`` leaves b1 out, so the network's objective is at most the program's.
    """

    def __init__(self, d: int, n: int, P: int, C: int, beta: float, rho: float, seed: int = 0,
                 dtype=torch.float32):
        PenalizedConvexModel.__init__(self)
        self._blocks(d + 1, P, C, seed, dtype)
        self.spectral, self.n, self.beta, self.rho = None, n, beta, rho

    def u_prime(self, X: torch.Tensor) -> torch.Tensor:
        """Rows of X̃ = [X, 1] (b, d+1)."""
        return torch.cat([X, torch.ones_like(X[:, :1])], dim=1)

    def reconstruct(self) -> BNNet:
        """The ReLU network without BN of the blocks: one neuron per nonzero column of S, S'."""
        cols, signs = self.columns()
        C = self.S.shape[2]
        E = signed_classes(signs.numpy(), np.tile(np.arange(C), len(signs) // C), C)
        W1, b1, W2 = reconstruct_no_bn(cols.numpy(), E, dust=0.0)
        dtype, d, m = self.S.dtype, self.S.shape[1] - 1, max(W1.shape[1], 1)
        net = BNNet(d, m, C, self.n, self.beta, bn=False, dtype=dtype)
        t = lambda a: torch.as_tensor(a, dtype=dtype)  # noqa: E731
        with torch.no_grad():
            for param in (net.W1, net.b1, net.W2):
                param.zero_()
            net.W1[:, : W1.shape[1]], net.b1[: b1.shape[0]], net.W2[: W2.shape[0]] = t(W1), t(b1), t(W2)
        return net.to(self.S.device)
