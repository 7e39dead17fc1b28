"""Trainable models of Sec. 5 and App. A, in torch (CPU or GPU), for mini-batch training.

Every model maps raw inputs X (b×d) to outputs (b×C) and offers the same interface to the training loop
(:mod:`bnconvex.train`):

- ``batch_objective(X_B, Y_B, n)``: the mini-batch estimate of the training objective (the data term scaled
  by n/b, so that its mean over an epoch is the full objective);
- ``objective(X, Y)``: the exact full-batch objective on the whole training set (BN with batch statistics,
  running statistics untouched; the convex model without its penalty);
- ``predictor()``: the network used for inference (App. A.1): BN with running statistics; the convex model
  through its reconstructed non-convex BN network.

Models
------
- :class:`BNNet`: the two-layer BN ReLU network (9), or its no-BN counterpart (``bn=False``).
- :class:`WhitenedNet`: the whitened model (16), ``(U q/‖q‖ γ + α/√n)₊ w2``.
- :class:`ConvexNet`: the convex program (8) in the penalized form of App. A, trained by SGD, with sampled
  patterns (P = m1) and the columnwise vector output.

Truncation (17) enters through :class:`SpectralMap` (whitened and convex models) or through the training
data (BN and no-BN models); test data are never truncated (App. A.1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from bnconvex.linalg import compact_svd, k_for_variance


class BatchNorm(torch.nn.Module):
    """BN with the paper's √n convention (eq. 2): ``(z − μ_B)/σ_B · γ/√n + α/√n``.

    ``n`` is the training-set size, fixed at construction, so on the full batch this is exactly
    ``Pc z/‖Pc z‖ γ + α/√n`` (σ_B the biased standard deviation), and a mini-batch gives its stochastic
    estimate. Running statistics follow ``torch.nn.BatchNorm1d`` (momentum-weighted mean and unbiased
    variance), and eval mode uses them; ``√n · BatchNorm == torch.nn.BatchNorm1d`` in both modes.
    """

    def __init__(self, m: int, n: int, momentum: float = 0.1, eps: float = 0.0, dtype=torch.float32):
        super().__init__()
        self.n, self.momentum, self.eps = n, momentum, eps
        self.gamma = torch.nn.Parameter(torch.ones(m, dtype=dtype))
        self.alpha = torch.nn.Parameter(torch.zeros(m, dtype=dtype))
        self.register_buffer("running_mean", torch.zeros(m, dtype=dtype))
        self.register_buffer("running_var", torch.ones(m, dtype=dtype))
        self.update_stats = True

    def forward(self, Z: torch.Tensor) -> torch.Tensor:
        """Z: (b, m) pre-activations. One fused ``batch_norm`` kernel, with γ/√n and α/√n as its affine part;
        ``eps`` is at least the dtype's tiny, so a constant column maps to 0 (no direction) instead of NaN."""
        root_n = math.sqrt(self.n)
        eps = max(self.eps, torch.finfo(Z.dtype).tiny)
        if self.training and not self.update_stats:  # batch statistics, running statistics untouched
            return torch.nn.functional.batch_norm(Z, None, None, self.gamma / root_n, self.alpha / root_n,
                                                  training=True, eps=eps)
        return torch.nn.functional.batch_norm(Z, self.running_mean, self.running_var, self.gamma / root_n,
                                              self.alpha / root_n, training=self.training,
                                              momentum=self.momentum, eps=eps)


class BNNet(torch.nn.Module):
    """Two-layer network ``f(X) = (BN_{γ,α}(X W1))₊ W2`` (9); with ``bn=False``, ``(X W1 + b1)₊ W2``.

    Shapes: W1 (d, m1), γ, α (m1,), W2 (m1, C). Objective (9): ``½‖f − Y‖² + β/2 Σ_j (γ_j² + α_j² + ‖w2_j‖²)``
    (W1 is not regularized: BN is scale-invariant in it, App. B.2.1); without BN, ``β/2 (‖W1‖² + ‖W2‖²)``.
    Start as the paper's baseline: W1, W2 uniform(±1/√fan_in), γ = 1, α = 0.
    """

    def __init__(self, d: int, m1: int, C: int, n: int, beta: float, bn: bool = True, seed: int = 0,
                 dtype=torch.float32):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.W1 = torch.nn.Parameter(_uniform(d, m1, g, dtype))
        self.W2 = torch.nn.Parameter(_uniform(m1, C, g, dtype))
        self.bn = BatchNorm(m1, n, dtype=dtype) if bn else None
        self.b1 = None if bn else torch.nn.Parameter(torch.zeros(m1, dtype=dtype))
        self.beta = beta

    def hidden(self, X: torch.Tensor) -> torch.Tensor:
        Z = X @ self.W1
        return torch.relu(self.bn(Z) if self.bn is not None else Z + self.b1)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.hidden(X) @ self.W2

    def regularizer(self) -> torch.Tensor:
        if self.bn is not None:
            return self.bn.gamma.pow(2).sum() + self.bn.alpha.pow(2).sum() + self.W2.pow(2).sum()
        return self.W1.pow(2).sum() + self.W2.pow(2).sum()

    def batch_objective(self, X_B, Y_B, n: int) -> torch.Tensor:
        return 0.5 * n / X_B.shape[0] * (self(X_B) - Y_B).pow(2).sum() + 0.5 * self.beta * self.regularizer()

    def objective(self, X, Y) -> torch.Tensor:
        """Objective (9) on the full training set, BN with full-batch statistics, running stats untouched."""
        with _frozen_stats(self):
            return 0.5 * (self(X) - Y).pow(2).sum() + 0.5 * self.beta * self.regularizer()

    def set_momentum(self, momentum: float) -> None:
        if self.bn is not None:
            self.bn.momentum = momentum

    def first_layer(self) -> torch.Tensor:
        """Hidden-layer weights in input space, (d, m1), for the cosine similarity (18)."""
        return self.W1

    def predictor(self) -> torch.nn.Module:
        return self


@dataclass
class SpectralMap:
    """Whitening of raw inputs with the training data's SVD, truncated to k (17).

    ``u(x) = (x − μ) V_k Σ_k⁻¹``; on the training rows this is exactly the rows of ``U_k``. Arrays: mu (d,),
    V (d, k), Sigma (k,). ``n`` is the training-set size (for the bias column 1/√n of U').
    """

    mu: np.ndarray
    V: np.ndarray
    Sigma: np.ndarray
    n: int

    @classmethod
    def fit(cls, X: np.ndarray, k: int | None = None, variance_fraction: float | None = None) -> SpectralMap:
        """SVD of Pc X; keep k directions (given, or by variance fraction, or all r)."""
        svd = compact_svd(X)
        if k is None:
            k = k_for_variance(svd.Sigma, variance_fraction) if variance_fraction else svd.rank
        if not 1 <= k <= svd.rank:
            raise ValueError(f"truncation k={k} must lie in [1, rank={svd.rank}]")
        return cls(np.asarray(X).mean(axis=0), svd.V[:, :k], svd.Sigma[:k], X.shape[0])

    @property
    def k(self) -> int:
        return int(self.Sigma.shape[0])

    def tensors(self, dtype, device="cpu"):
        t = lambda a: torch.as_tensor(a, dtype=dtype, device=device)
        return t(self.mu), t(self.V / self.Sigma)


class WhitenedNet(torch.nn.Module):
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
        """Rows of U for training inputs: (b, k)."""
        return (X - self.mu) @ self.VSinv

    def forward_whitened(self, U: torch.Tensor) -> torch.Tensor:
        pre = U @ (self.q / self.q.norm(dim=0).clamp_min(torch.finfo(self.q.dtype).tiny)) * self.gamma
        return torch.relu(pre + self.alpha / math.sqrt(self.n)) @ self.W2

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.forward_whitened(self.whiten(X))

    def regularizer(self) -> torch.Tensor:
        return self.gamma.pow(2).sum() + self.alpha.pow(2).sum() + self.W2.pow(2).sum()

    def batch_objective(self, X_B, Y_B, n: int) -> torch.Tensor:
        return 0.5 * n / X_B.shape[0] * (self(X_B) - Y_B).pow(2).sum() + 0.5 * self.beta * self.regularizer()

    def objective(self, X, Y) -> torch.Tensor:
        return 0.5 * (self(X) - Y).pow(2).sum() + 0.5 * self.beta * self.regularizer()

    def set_momentum(self, momentum: float) -> None:
        pass

    def first_layer(self) -> torch.Tensor:
        """q (k, m1): the cosine similarity (18) of the whitened model uses e_i in place of v_i."""
        return self.q

    def predictor(self) -> torch.nn.Module:
        return self


class ConvexNet(torch.nn.Module):
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
        k1 = spectral.k + 1
        g = torch.Generator().manual_seed(seed)
        self.register_buffer("H", torch.randn(k1, P, generator=g, dtype=torch.float64).to(dtype))
        self.S = torch.nn.Parameter(torch.zeros(P, k1, C, dtype=dtype))
        self.S_neg = torch.nn.Parameter(torch.zeros(P, k1, C, dtype=dtype))
        mu, VSinv = spectral.tensors(dtype)
        self.register_buffer("mu", mu)
        self.register_buffer("VSinv", VSinv)
        self.spectral, self.n, self.beta, self.rho = spectral, spectral.n, beta, rho

    def u_prime(self, X: torch.Tensor) -> torch.Tensor:
        """Rows of U' (b, k+1)."""
        U = (X - self.mu) @ self.VSinv
        return torch.cat([U, torch.full_like(U[:, :1], 1 / math.sqrt(self.n))], dim=1)

    def _blocks(self, X):
        """(D (b, P, 1) as ±1 signs, U'S (b, P, C), U'S' (b, P, C))."""
        Up = self.u_prime(X)
        sign = torch.where(Up @ self.H >= 0, 1.0, -1.0).to(Up.dtype).unsqueeze(-1)
        Z = torch.einsum("bk,pkc->bpc", Up, self.S)
        Z_neg = torch.einsum("bk,pkc->bpc", Up, self.S_neg)
        return sign, Z, Z_neg

    def _fit_and_penalty(self, X):
        sign, Z, Z_neg = self._blocks(X)
        on = (sign > 0).to(Z.dtype)
        pred = (on * (Z - Z_neg)).sum(dim=1)
        violation = torch.relu(-sign * Z) + torch.relu(-sign * Z_neg)
        return pred, violation

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """The convex model's prediction ``Σ_i D_i U'(S_i − S'_i)`` (its own patterns, not the network's)."""
        return self._fit_and_penalty(X)[0]

    def regularizer(self) -> torch.Tensor:
        return self.S.norm(dim=1).sum() + self.S_neg.norm(dim=1).sum()

    def batch_objective(self, X_B, Y_B, n: int) -> torch.Tensor:
        pred, violation = self._fit_and_penalty(X_B)
        scale = n / X_B.shape[0]
        return (0.5 * scale * (pred - Y_B).pow(2).sum() + self.beta * self.regularizer()
                + self.rho * scale * violation.sum())

    def objective(self, X, Y) -> torch.Tensor:
        """The exact convex objective (no penalty); meaningful as the program's value when feasible."""
        return 0.5 * (self(X) - Y).pow(2).sum() + self.beta * self.regularizer()

    def penalized_objective(self, X, Y) -> torch.Tensor:
        return self.batch_objective(X, Y, X.shape[0])

    def max_violation(self, X) -> float:
        """Largest cone-constraint violation ``max (−(2D_i − I)U's)₊`` over the rows of X."""
        with torch.no_grad():
            _, violation = self._fit_and_penalty(X)
        return float(violation.max()) + 0.0 if violation.numel() else 0.0  # + 0.0: no "-0"

    def set_momentum(self, momentum: float) -> None:
        pass

    def first_layer(self) -> torch.Tensor:
        return self.S.detach().flatten(1).T

    def predictor(self) -> BNNet:
        return self.reconstruct()

    def reconstruct(self, tol: float = 0.0) -> BNNet:
        """The non-convex BN network of App. C.3, one neuron per nonzero column s = S_ic (or S'_ic):
        ``w1 = V_k Σ_k⁻¹ s_{1:k}``, ``[γ; α] = [‖s_{1:k}‖; s_{k+1}]/‖s‖``, ``w2 = ±‖s‖ e_c``.

        BN runs in eval mode with the training statistics of ``X w1`` (mean μᵀw1, variance ‖s_{1:k}‖²/n),
        so for any input ``(BN(x w1))₊ w2 = ±(u'(x) s)₊ e_c``; on training rows where the constraints hold
        this is ``D_i U' s``. Neurons with ``‖s‖ ≤ tol`` are dropped.
        """
        dtype = self.S.dtype
        S = torch.cat([self.S.detach(), self.S_neg.detach()], dim=0).cpu()      # (2P, k+1, C)
        sign = torch.cat([torch.ones(self.S.shape[0]), -torch.ones(self.S.shape[0])]).to(dtype)
        cols = S.permute(0, 2, 1).reshape(-1, S.shape[1])                          # (2P·C, k+1)
        out_sign = sign.repeat_interleave(S.shape[2])
        out_class = torch.arange(S.shape[2]).repeat(S.shape[0])
        norms = cols.norm(dim=1)
        keep = norms > tol
        cols, norms, out_sign, out_class = cols[keep], norms[keep], out_sign[keep], out_class[keep]
        m, k = cols.shape[0], cols.shape[1] - 1
        top = cols[:, :k].norm(dim=1)
        net = BNNet(self.mu.shape[0], max(m, 1), S.shape[2], self.n, self.beta, dtype=dtype)
        with torch.no_grad():
            net.W1.zero_(), net.W2.zero_(), net.bn.gamma.zero_(), net.bn.alpha.zero_()
            if m:
                net.W1.copy_(self.VSinv.cpu() @ cols[:, :k].T.cpu())
                net.bn.gamma.copy_(top / norms)
                net.bn.alpha.copy_(cols[:, k] / norms)
                net.W2[torch.arange(m), out_class] = out_sign * norms
                net.bn.running_mean.copy_(self.mu.cpu() @ net.W1)
                # a neuron with s_{1:k} = 0 has γ = 0: any positive variance gives the same output
                net.bn.running_var.copy_(torch.where(top > 0, top.pow(2) / self.n, torch.ones_like(top)))
        return net.eval().to(self.S.device)


def _uniform(fan_in: int, fan_out: int, g: torch.Generator, dtype) -> torch.Tensor:
    """PyTorch's default Linear init (Kaiming uniform, a = √5): uniform(±1/√fan_in), drawn in float64."""
    return ((torch.rand(fan_in, fan_out, generator=g, dtype=torch.float64) * 2 - 1) / math.sqrt(fan_in)).to(dtype)


class _frozen_stats:
    """Context: BN in training mode (batch statistics) without touching the running statistics."""

    def __init__(self, model: torch.nn.Module):
        self.bns = [mod for mod in model.modules() if isinstance(mod, BatchNorm)]

    def __enter__(self):
        self.saved = [(bn.training, bn.update_stats) for bn in self.bns]
        for bn in self.bns:
            bn.train()
            bn.update_stats = False

    def __exit__(self, *exc):
        for bn, (training, update) in zip(self.bns, self.saved, strict=True):
            bn.train(training)
            bn.update_stats = update
