"""Deep BN ReLU networks (Sec. 4): L layers, BN before ReLU (or after, App. G), and the closed form of
their last two layers (Thm 4.1 / 4.2).

Layer l = 1..L−1 maps ``A^(l−1)`` (n×m_{l−1}, ``A^(0) = X``) to ``A^(l) = (BN_{γ_l,α_l}(A^(l−1) W_l))₊``
(or ``BN((A^(l−1) W_l)₊)``), and the output is ``f = A^(L−1) W_L``. The last two layers, given the
features ``A^(L−2)``, are exactly the two-layer network of :mod:`bnconvex.network` on data ``A^(L−2)``:
when ``A^(L−2)`` has range R^n (n ≤ m_{L−2}, full row rank), Thm 4.1 (scalar) / 4.2 (one-hot) give their
optimum in closed form. The regularization is that of (9) on the last two layers; earlier layers are given.
"""

from __future__ import annotations

import numpy as np
import torch

from bnconvex.closed_form import ClosedFormResult, closed_form
from bnconvex.nn import BNReLUNet, batch_norm, uniform_init


class DeepBNReLUNet(torch.nn.Module):
    """``widths = [m_1, ..., m_{L−1}]``; ``layers[l]`` holds (W, γ, α) of hidden layer l+1; ``head`` is the
    last two layers as a :class:`BNReLUNet` (W_{L−1}, γ_{L−1}, α_{L−1}, W_L)."""

    def __init__(self, d: int, widths: list[int], C: int, seed: int = 0, dtype=torch.float64,
                 bn_after_relu: bool = False):
        super().__init__()
        if len(widths) < 1:
            raise ValueError("a deep network needs at least one hidden layer (L ≥ 2)")
        g = torch.Generator().manual_seed(seed)
        self.bn_after_relu = bn_after_relu
        self.layers = torch.nn.ParameterList()
        fan_in = d
        for m in widths[:-1]:
            self.layers.append(torch.nn.Parameter(uniform_init(fan_in, m, g, dtype)))
            self.layers.append(torch.nn.Parameter(torch.ones(m, dtype=dtype)))
            self.layers.append(torch.nn.Parameter(torch.zeros(m, dtype=dtype)))
            fan_in = m
        m = widths[-1]
        self.head = BNReLUNet(uniform_init(fan_in, m, g, dtype), torch.ones(m, dtype=dtype),
                              torch.zeros(m, dtype=dtype), uniform_init(m, C, g, dtype), bn_after_relu)

    @property
    def depth(self) -> int:
        """L: the number of weight layers."""
        return len(self.layers) // 3 + 2

    def features(self, X: torch.Tensor) -> torch.Tensor:
        """``A^(L−2)``: the input of the last two layers (n×m_{L−2}; X itself when L = 2)."""
        A = X
        for i in range(0, len(self.layers), 3):
            W, gamma, alpha = self.layers[i], self.layers[i + 1], self.layers[i + 2]
            Z = A @ W
            A = batch_norm(torch.relu(Z), gamma, alpha) if self.bn_after_relu else torch.relu(
                batch_norm(Z, gamma, alpha))
        return A

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(X))

    def objective(self, X: torch.Tensor, Y: torch.Tensor, beta: float) -> torch.Tensor:
        """Objective (9) of the last two layers given the (frozen) earlier layers."""
        return self.head.objective(self.features(X), Y, beta)

    def freeze_features(self) -> None:
        """Freeze layers 1..L−2 (the setting of Thm 4.1/4.2)."""
        for p in self.layers:
            p.requires_grad_(False)


def closed_form_last_two(net: DeepBNReLUNet, X: torch.Tensor, Y, beta: float) -> ClosedFormResult:
    """Set the last two layers of ``net`` to their closed-form optimum given its first L−2 layers.

    Thm 4.2 for one-hot Y (n×C), Thm 4.1 for scalar y, Thm G.2 when BN comes after ReLU (scalar y).
    Raises ``ValueError`` when ``A^(L−2)`` does not have range R^n. Returns the closed form's result;
    ``net.head`` then holds its weights (padded with zero neurons to the head's width when wider), and
    ``net.objective(X, Y, β)`` equals the certificate's primal.
    """
    with torch.no_grad():
        A = net.features(X).cpu().double().numpy()
    Y = np.asarray(Y, dtype=float)
    if net.bn_after_relu:
        theorem = "G.2"
    else:
        theorem = "4.2" if Y.ndim == 2 and Y.shape[1] > 1 else "4.1"
    try:
        result = closed_form(A, Y, beta, theorem=theorem)
    except ValueError as err:
        raise ValueError(f"Thm {theorem} on the layer-(L−2) features A (n×m = {A.shape}): {err}") from err
    net.head = BNReLUNet.from_network(_pad_width(result.network, net.head.W1.shape[1]),
                                      dtype=net.head.W1.dtype)
    return result


def _pad_width(network, m: int):
    """The closed-form network with zero neurons appended up to width m (they add nothing to f or (9))."""
    from bnconvex.network import BNNetwork

    extra = m - network.width
    if extra <= 0:
        return network
    pad = lambda a, rows: np.concatenate([a, np.zeros((rows, *a.shape[1:]))])
    return BNNetwork(np.concatenate([network.W1, np.zeros((network.W1.shape[0], extra))], axis=1),
                     pad(network.gamma, extra), pad(network.alpha, extra), pad(network.W2, extra),
                     network.bn_after_relu)
