"""Deep BN ReLU networks (Sec. 4): L layers, BN before ReLU (or after, App. G), and the closed form of
their last two layers (Thm 4.1 / 4.2).

Layer l = 1..L−1 maps ``A^(l−1)`` (n×m_{l−1}, ``A^(0) = X``) to ``A^(l) = (BN_{γ_l,α_l}(A^(l−1) W_l))₊``
(or ``BN((A^(l−1) W_l)₊)``), and the output is ``f = A^(L−1) W_L``. The last two layers, given the
features ``A^(L−2)``, are exactly the two-layer network (9) on data ``A^(L−2)``: when ``A^(L−2)`` has range
R^n (n ≤ m_{L−2}, full row rank), Thm 4.1 (scalar) / 4.2 (one-hot) give their optimum in closed form. The
regularization is that of (9) on the last two layers; earlier layers are given. Full-batch BN throughout.
"""

from __future__ import annotations

import numpy as np
import torch

from bnconvex.closed_form import ClosedFormResult, closed_form
from bnconvex.models.base import BatchNorm, SquaredLossModel, init_uniform
from bnconvex.models.two_layer import BNNet


class DeepBNNet(SquaredLossModel):
    """``widths = [m_1, ..., m_{L−1}]``; ``layers[l]`` holds W of hidden layer l+1 and ``norms[l]`` its BN;
    ``head`` is the last two layers as a full-batch :class:`BNNet` (W_{L−1}, γ_{L−1}, α_{L−1}, W_L)."""

    def __init__(self, d: int, widths: list[int], C: int, beta: float, seed: int = 0, dtype=torch.float64,
                 bn_after_relu: bool = False):
        super().__init__()
        if len(widths) < 1:
            raise ValueError("a deep network needs at least one hidden layer (L ≥ 2)")
        g = torch.Generator().manual_seed(seed)
        self.bn_after_relu, self.beta = bn_after_relu, beta
        self.layers, self.norms = torch.nn.ParameterList(), torch.nn.ModuleList()
        fan_in = d
        for m in widths[:-1]:
            self.layers.append(torch.nn.Parameter(init_uniform(fan_in, m, g, dtype)))
            self.norms.append(BatchNorm(m, None, dtype=dtype))
            fan_in = m
        self.head = BNNet(fan_in, widths[-1], C, None, beta, dtype=dtype, bn_after_relu=bn_after_relu, generator=g)

    @property
    def depth(self) -> int:
        """L: the number of weight layers."""
        return len(self.layers) + 2

    def features(self, X: torch.Tensor) -> torch.Tensor:
        """``A^(L−2)``: the input of the last two layers (n×m_{L−2}; X itself when L = 2)."""
        A = X
        for W, bn in zip(self.layers, self.norms, strict=True):
            A = bn(torch.relu(A @ W)) if self.bn_after_relu else torch.relu(bn(A @ W))
        return A

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(X))

    def regularizer(self) -> torch.Tensor:
        """(9)'s regularizer of the last two layers."""
        return self.head.regularizer()

    def first_layer(self) -> torch.Tensor:
        return self.layers[0] if len(self.layers) else self.head.W1

    def freeze_features(self) -> None:
        """Freeze layers 1..L−2 (the setting of Thm 4.1/4.2)."""
        for p in [*self.layers.parameters(), *self.norms.parameters()]:
            p.requires_grad_(False)


def closed_form_last_two(net: DeepBNNet, X: torch.Tensor, Y) -> ClosedFormResult:
    """Set the last two layers of ``net`` to their closed-form optimum given its first L−2 layers.

    Thm 4.2 for one-hot Y (n×C), Thm 4.1 for scalar y, Thm G.2 when BN comes after ReLU (scalar y).
    Raises ``ValueError`` when ``A^(L−2)`` does not have range R^n. Returns the closed form's result;
    ``net.head`` then holds its weights (padded with zero neurons to the head's width when wider), and
    ``net.objective(X, Y)`` equals the certificate's primal.
    """
    with torch.no_grad():
        A = net.features(X).cpu().double().numpy()
    Y = np.asarray(Y, dtype=float)
    if net.bn_after_relu:
        theorem = "G.2"
    else:
        theorem = "4.2" if Y.ndim == 2 and Y.shape[1] > 1 else "4.1"
    try:
        result = closed_form(A, Y, net.beta, theorem=theorem)
    except ValueError as err:
        raise ValueError(f"Thm {theorem} on the layer-(L−2) features A (n×m = {A.shape}): {err}") from err
    net.head = BNNet.from_network(result.network, beta=net.beta, dtype=net.head.W1.dtype,
                                  width=net.head.W1.shape[1])
    return result
