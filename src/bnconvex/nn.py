"""Torch version of the two-layer BN ReLU network of :mod:`bnconvex.network` (full-batch BN, α/√n).

Kept apart from :mod:`bnconvex.network` so that numpy-only jobs do not pay torch's import time.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from bnconvex.network import BNNetwork


def batch_norm(Z: torch.Tensor, gamma: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
    """Full-batch BN of the columns of Z (n×m): ``Pc z/‖Pc z‖ · γ + α/√n · 1`` (eq. 2).

    A constant column (``Pc z = 0``) has no direction: its normalized part is 0, as in :mod:`bnconvex.network`.
    """
    Zc = Z - Z.mean(dim=0, keepdim=True)
    norm = Zc.norm(dim=0, keepdim=True).clamp_min(torch.finfo(Z.dtype).tiny)
    return Zc / norm * gamma + alpha / math.sqrt(Z.shape[0])


def uniform_init(fan_in: int, fan_out: int, generator: torch.Generator, dtype) -> torch.Tensor:
    """PyTorch's default Linear init (Kaiming uniform with a = √5): uniform(±1/√fan_in)."""
    return (torch.rand(fan_in, fan_out, generator=generator, dtype=dtype) * 2 - 1) / math.sqrt(fan_in)


class BNReLUNet(torch.nn.Module):
    """``f(X) = (BN_{γ,α}(X W1))₊ W2`` with full-batch BN; W1 (d×m), gamma, alpha (m,), W2 (m×C).

    With ``bn_after_relu=True``: ``f(X) = BN_{γ,α}((X W1)₊) W2`` (App. G).
    """

    def __init__(self, W1: torch.Tensor, gamma: torch.Tensor, alpha: torch.Tensor, W2: torch.Tensor,
                 bn_after_relu: bool = False):
        super().__init__()
        self.W1 = torch.nn.Parameter(W1.clone())
        self.gamma = torch.nn.Parameter(gamma.clone())
        self.alpha = torch.nn.Parameter(alpha.clone())
        self.W2 = torch.nn.Parameter(W2.clone())
        self.bn_after_relu = bn_after_relu

    @classmethod
    def random(cls, d: int, m: int, C: int, seed: int = 0, dtype=torch.float64,
               bn_after_relu: bool = False) -> BNReLUNet:
        """PyTorch-style start: W1, W2 uniform(±1/√fan_in), γ = 1, α = 0 (as the paper's BN baseline)."""
        g = torch.Generator().manual_seed(seed)
        W1, W2 = uniform_init(d, m, g, dtype), uniform_init(m, C, g, dtype)
        return cls(W1, torch.ones(m, dtype=dtype), torch.zeros(m, dtype=dtype), W2, bn_after_relu)

    @classmethod
    def from_network(cls, net: BNNetwork, dtype=torch.float64) -> BNReLUNet:
        t = lambda a: torch.as_tensor(np.asarray(a), dtype=dtype)
        return cls(t(net.W1), t(net.gamma), t(net.alpha), t(net.W2), net.bn_after_relu)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        Z = X @ self.W1
        if self.bn_after_relu:
            return batch_norm(torch.relu(Z), self.gamma, self.alpha) @ self.W2
        return torch.relu(batch_norm(Z, self.gamma, self.alpha)) @ self.W2

    def objective(self, X: torch.Tensor, Y: torch.Tensor, beta: float) -> torch.Tensor:
        """Objective (9): ``½‖f − Y‖² + β/2 Σ_j (γ_j² + α_j² + ‖w2_j‖²)``."""
        reg = self.gamma.pow(2).sum() + self.alpha.pow(2).sum() + self.W2.pow(2).sum()
        return 0.5 * (self(X) - Y).pow(2).sum() + 0.5 * beta * reg

    def to_network(self) -> BNNetwork:
        a = lambda p: p.detach().cpu().double().numpy()
        return BNNetwork(a(self.W1), a(self.gamma), a(self.alpha), a(self.W2), self.bn_after_relu)


def train_full_batch(
    net: torch.nn.Module,
    X: torch.Tensor,
    Y: torch.Tensor,
    beta: float,
    steps: int,
    lr: float,
    optimizer: str = "adam",
) -> list[float]:
    """Full-batch GD or Adam on ``net.objective`` (objective (9)) over the parameters that require
    gradients. Returns the objective before every step and after the last."""
    params = [p for p in net.parameters() if p.requires_grad]
    if optimizer == "adam":
        opt = torch.optim.Adam(params, lr=lr)
    elif optimizer == "gd":
        opt = torch.optim.SGD(params, lr=lr)
    else:
        raise ValueError(f"optimizer must be 'adam' or 'gd', got {optimizer!r}")
    history = []
    for _ in range(steps):
        opt.zero_grad()
        obj = net.objective(X, Y, beta)
        obj.backward()
        opt.step()
        history.append(float(obj.detach()))
    with torch.no_grad():
        history.append(float(net.objective(X, Y, beta)))
    return history
