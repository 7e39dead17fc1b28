"""What every torch model shares: the interface of the training loop, the paper's batch norm, the one
initialisation and the whitening map of the training data.

The interface (:class:`Model`), used by :func:`bnconvex.train.train`:

- ``batch_objective(X_B, Y_B, n)``: the mini-batch estimate of the training objective (the data term scaled
  by n/b, so that its mean over an epoch is the full objective);
- ``objective(X, Y)``: the exact full-batch objective on the whole training set (BN with batch statistics,
  running statistics untouched; a penalized convex model without its penalty);
- ``predictor()``: the network used for inference (App. A.1): BN with running statistics; a convex model
  through its reconstructed non-convex BN network;
- ``set_momentum(momentum)`` of the BN running statistics, and ``first_layer()`` for the cosine similarity (18).
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass

import numpy as np
import torch

from bnconvex.convex.reconstruct import reconstruct
from bnconvex.linalg import CompactSVD, compact_svd, k_for_variance
from bnconvex.network import BNNetwork


class EvalCache:
    """Values of the last ``size`` inputs a model evaluated without gradients (the epoch's evaluation on the
    whole training and test sets), reused while the same tensor, unchanged, comes back and ``key`` (e.g. the
    parameters' versions) is the same. Under autograd (training batches) nothing is kept. At n = 50,000 the
    whitening map alone is ~1e12 flops, and an evaluation asks for it several times (objective, penalty,
    violations)."""

    def __init__(self, size: int = 2):
        self.size, self.entries = size, []

    def get(self, X: torch.Tensor, compute, key=()):
        if torch.is_grad_enabled():
            return compute(X)
        for ref, version, k, value in self.entries:
            if ref() is X and X._version == version and k == key:
                return value
        value = compute(X)
        self.entries = [(weakref.ref(X), X._version, key, value)] + self.entries[: self.size - 1]
        return value

    def __deepcopy__(self, memo):  # a copied model starts with an empty cache
        return EvalCache(self.size)


def init_uniform(fan_in: int, fan_out: int, generator: torch.Generator, dtype) -> torch.Tensor:
    """PyTorch's default Linear init (Kaiming uniform, a = √5): uniform(±1/√fan_in), drawn in float64 and then
    cast, so a seed gives the same weights in float32 and float64."""
    draw = torch.rand(fan_in, fan_out, generator=generator, dtype=torch.float64)
    return ((draw * 2 - 1) / math.sqrt(fan_in)).to(dtype)


class BatchNorm(torch.nn.Module):
    """BN with the paper's √n convention (eq. 2): ``(z − μ_B)/σ_B · γ/√n + α/√n``.

    ``n`` is the training-set size, fixed at construction (None: the size of each batch, for full-batch
    training), so on the full batch this is exactly ``Pc z/‖Pc z‖ γ + α/√n`` (σ_B the biased standard
    deviation), and a mini-batch gives its stochastic estimate. Running statistics follow
    ``torch.nn.BatchNorm1d`` (momentum-weighted mean and unbiased variance), and eval mode uses them;
    ``√n · BatchNorm == torch.nn.BatchNorm1d`` in both modes.
    """

    def __init__(self, m: int, n: int | None, momentum: float = 0.1, eps: float = 0.0, dtype=torch.float32):
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
        root_n = math.sqrt(self.n or Z.shape[0])
        eps = max(self.eps, torch.finfo(Z.dtype).tiny)
        if self.training and not self.update_stats:  # batch statistics, running statistics untouched
            return torch.nn.functional.batch_norm(Z, None, None, self.gamma / root_n, self.alpha / root_n,
                                                  training=True, eps=eps)
        return torch.nn.functional.batch_norm(Z, self.running_mean, self.running_var, self.gamma / root_n,
                                              self.alpha / root_n, training=self.training,
                                              momentum=self.momentum, eps=eps)


class frozen_stats:
    """Context: the model in training mode (BN with batch statistics) without touching running statistics."""

    def __init__(self, model: torch.nn.Module):
        self.model = model
        self.bns = [mod for mod in model.modules() if isinstance(mod, BatchNorm)]

    def __enter__(self):
        self.training = self.model.training
        self.saved = [bn.update_stats for bn in self.bns]
        self.model.train()
        for bn in self.bns:
            bn.update_stats = False

    def __exit__(self, *exc):
        self.model.train(self.training)
        for bn, update in zip(self.bns, self.saved, strict=True):
            bn.update_stats = update


class Model(torch.nn.Module):
    """The interface of the training loop (module docstring); ``beta`` is the regularization weight."""

    beta: float

    def batch_objective(self, X_B: torch.Tensor, Y_B: torch.Tensor, n: int) -> torch.Tensor:
        raise NotImplementedError

    def objective(self, X: torch.Tensor, Y: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def first_layer(self) -> torch.Tensor:
        raise NotImplementedError

    def predictor(self) -> torch.nn.Module:
        return self

    def set_momentum(self, momentum: float) -> None:
        for bn in self.modules():
            if isinstance(bn, BatchNorm):
                bn.momentum = momentum


class SquaredLossModel(Model):
    """Objective ``½‖f − Y‖² + β/2 · regularizer()`` (9) / (16)."""

    def regularizer(self) -> torch.Tensor:
        raise NotImplementedError

    def batch_objective(self, X_B, Y_B, n: int) -> torch.Tensor:
        return 0.5 * n / X_B.shape[0] * (self(X_B) - Y_B).pow(2).sum() + 0.5 * self.beta * self.regularizer()

    def objective(self, X, Y) -> torch.Tensor:
        """On the full training set, BN with full-batch statistics, running statistics untouched."""
        with frozen_stats(self):
            return 0.5 * (self(X) - Y).pow(2).sum() + 0.5 * self.beta * self.regularizer()


class PenalizedConvexModel(Model):
    """A convex program trained in App. A's penalized form: parameters S, S' (…, P, k+1, C), objective
    ``½‖ŷ − Y‖² + β Σ ‖columns of S, S'‖`` and the penalty ``ρ Σ (cone violations)`` replacing the cones.
    Subclasses give ``_fit_and_penalty(X) -> (ŷ (b, C), violations)``."""

    S: torch.nn.Parameter
    S_neg: torch.nn.Parameter
    rho: float

    def _fit_and_penalty(self, X):
        raise NotImplementedError

    def _fit_and_penalty_cached(self, X):
        """:meth:`_fit_and_penalty`, kept per evaluated input while S and S' are unchanged (:class:`EvalCache`)."""
        if "_eval_cache" not in self.__dict__:
            self._eval_cache = EvalCache()
        key = (id(self.S), self.S._version, id(self.S_neg), self.S_neg._version)
        return self._eval_cache.get(X, self._fit_and_penalty, key=key)

    def _stats(self, X):
        """(prediction, violation sum, violation max) over all rows of X."""
        pred, violation = self._fit_and_penalty_cached(X)
        return pred, float(violation.sum()), (float(violation.max()) if violation.numel() else 0.0) + 0.0

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """The convex model's prediction ``Σ_i D_i U'(S_i − S'_i)`` (its own patterns, not the network's)."""
        return self._fit_and_penalty_cached(X)[0]

    def regularizer(self) -> torch.Tensor:
        return self.S.norm(dim=-2).sum() + self.S_neg.norm(dim=-2).sum()

    def batch_objective(self, X_B, Y_B, n: int) -> torch.Tensor:
        pred, violation = self._fit_and_penalty_cached(X_B)
        scale = n / X_B.shape[0]
        return (0.5 * scale * (pred - Y_B).pow(2).sum() + self.beta * self.regularizer()
                + self.rho * scale * violation.sum())

    def objective(self, X, Y) -> torch.Tensor:
        """The exact convex objective (no penalty); meaningful as the program's value when feasible."""
        return 0.5 * (self(X) - Y).pow(2).sum() + self.beta * self.regularizer()

    @torch.no_grad()
    def penalized_objective(self, X, Y) -> torch.Tensor:
        pred, total, _ = self._stats(X)
        return 0.5 * (pred - Y).pow(2).sum() + self.beta * self.regularizer() + self.rho * total

    @torch.no_grad()
    def max_violation(self, X) -> float:
        """Largest cone-constraint violation ``max (−(2D_i − I)U's)₊`` over the rows of X."""
        return self._stats(X)[2]

    def columns(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Every column s of S and S' as rows (2·…·P·C, k+1), in the order (family, …, pattern, class), and
        the family's sign (+1 for S, −1 for S') of each."""
        S = torch.stack([self.S.detach(), self.S_neg.detach()]).cpu().double()   # (2, …, P, k+1, C)
        cols = S.transpose(-1, -2).reshape(-1, S.shape[-2])
        signs = torch.ones(2, cols.shape[0] // 2, dtype=torch.float64)
        signs[1] = -1
        return cols, signs.reshape(-1)


def reconstruct_blocks(cols: torch.Tensor, E: np.ndarray, spectral: SpectralMap) -> tuple[BNNetwork, tuple]:
    """App. C.3 through :func:`bnconvex.convex.reconstruct.reconstruct` (unrescaled, every nonzero column) and
    the BN running statistics of the training data for each neuron: mean ``μᵀw1``, variance
    ``‖s_{1:k}‖²/n`` (1 where ``s_{1:k} = 0``: γ = 0 there, so any positive variance gives the same output)."""
    net = reconstruct(cols.numpy(), E, spectral.V, spectral.Sigma, dust=0.0, rescale=False)
    top = net.gamma * np.linalg.norm(net.W2, axis=1)  # ‖s_{1:k}‖ = γ‖s‖
    return net, (spectral.mu @ net.W1, np.where(top > 0, top**2 / spectral.n, 1.0))


def load_network(model: torch.nn.Module, net: BNNetwork, stats: tuple | None = None) -> torch.nn.Module:
    """Copy the first layer and BN of the numpy network ``net`` (width m) into the first m neurons of a torch
    ``model`` with ``W1``, ``bn``, ``W2`` and zero everything else (W2 is then filled by the caller);
    ``stats``: the BN running (mean, variance), for inference."""
    t = lambda a: torch.as_tensor(np.asarray(a), dtype=model.W1.dtype, device=model.W1.device)
    m = net.width
    with torch.no_grad():
        for param in (model.W1, model.W2, model.bn.gamma, model.bn.alpha):
            param.zero_()
        model.W1[:, :m], model.bn.gamma[:m], model.bn.alpha[:m] = t(net.W1), t(net.gamma), t(net.alpha)
        if stats is not None:
            model.bn.running_mean[:m], model.bn.running_var[:m] = t(stats[0]), t(stats[1])
    return model


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
    def fit(cls, X: np.ndarray, k: int | None = None, variance_fraction: float | None = None,
            svd: CompactSVD | None = None) -> SpectralMap:
        """SVD of Pc X (``svd``: already computed, e.g. :func:`bnconvex.linalg.load_svd`); keep k directions
        (given, or by variance fraction, or all r)."""
        svd = compact_svd(X) if svd is None else svd
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
