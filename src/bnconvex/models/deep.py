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

    def features(self, X: torch.Tensor, ref: torch.Tensor | None = None) -> torch.Tensor:
        """``A^(L−2)``: the input of the last two layers (n×m_{L−2}; X itself when L = 2). With ``ref`` (the
        training inputs, n_ref×d) every BN uses the exact full-batch statistics of ``ref``'s activations, as
        BN at inference (App. A.1; :func:`bnconvex.network.batch_norm` with ``ref``); without, those of X."""
        A, A_ref = X, ref
        for W, bn in zip(self.layers, self.norms, strict=True):
            if A_ref is None:
                A = self._activate(A @ W, bn)
            else:
                A, A_ref = self._activate(A @ W, bn, A_ref @ W), self._activate(A_ref @ W, bn, A_ref @ W)
        return A

    def _activate(self, Z, bn, Z_ref=None):
        """``(BN(Z))₊`` (or ``BN((Z)₊)`` after ReLU); BN with the statistics of the reference pre-activations
        ``Z_ref`` when given, else of Z (``bn`` itself)."""
        if self.bn_after_relu:
            return bn(torch.relu(Z)) if Z_ref is None else _batch_norm_ref(bn, torch.relu(Z), torch.relu(Z_ref))
        return torch.relu(bn(Z) if Z_ref is None else _batch_norm_ref(bn, Z, Z_ref))

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(X))

    def regularizer(self) -> torch.Tensor:
        """(9)'s regularizer of the last two layers."""
        return self.head.regularizer()

    def first_layer(self) -> torch.Tensor:
        return self.layers[0] if len(self.layers) else self.head.W1

    @classmethod
    def from_dict(cls, arrays) -> DeepBNNet:
        """The network (float64) of :meth:`to_dict`'s arrays, e.g. ``np.load`` of a saved network."""
        L = max(int(key[2:]) for key in arrays if key.startswith("W_"))
        W = [np.asarray(arrays[f"W_{l}"]) for l in range(1, L + 1)]
        net = cls(W[0].shape[0], [w.shape[1] for w in W[:-1]], W[-1].shape[1], float(arrays["beta"]),
                  bn_after_relu=bool(arrays["bn_after_relu"]))
        t = lambda a: torch.as_tensor(np.asarray(a), dtype=torch.float64)  # noqa: E731
        hidden = [*zip(net.layers, net.norms, strict=True), (net.head.W1, net.head.bn)]
        with torch.no_grad():
            for l, (weight, bn) in enumerate(hidden, start=1):
                weight.copy_(t(arrays[f"W_{l}"]))
                bn.gamma.copy_(t(arrays[f"gamma_{l}"]))
                bn.alpha.copy_(t(arrays[f"alpha_{l}"]))
            net.head.W2.copy_(t(arrays[f"W_{L}"]))
        return net

    def to_dict(self) -> dict[str, np.ndarray]:
        """The weights as float64 arrays named after the paper: ``W_l``, ``gamma_l``, ``alpha_l`` of hidden
        layers l = 1..L−1 and the output layer ``W_L``; ``beta``, ``bn_after_relu``."""
        a = lambda p: p.detach().cpu().double().numpy()  # noqa: E731
        out = {}
        for l, (W, bn) in enumerate(zip(self.layers, self.norms, strict=True), start=1):
            out |= {f"W_{l}": a(W), f"gamma_{l}": a(bn.gamma), f"alpha_{l}": a(bn.alpha)}
        L = self.depth
        head = self.head.to_network()
        return out | {f"W_{L - 1}": head.W1, f"gamma_{L - 1}": head.gamma, f"alpha_{L - 1}": head.alpha,
                      f"W_{L}": head.W2, "beta": np.array(float(self.beta)),
                      "bn_after_relu": np.array(self.bn_after_relu)}

    def freeze_features(self) -> None:
        """Freeze layers 1..L−2 (the setting of Thm 4.1/4.2)."""
        for p in [*self.layers.parameters(), *self.norms.parameters()]:
            p.requires_grad_(False)


def _batch_norm_ref(bn: BatchNorm, Z: torch.Tensor, Z_ref: torch.Tensor) -> torch.Tensor:
    """``bn`` applied to Z with the exact (biased) mean and variance of ``Z_ref`` and its √n_ref."""
    root_n = Z_ref.shape[0] ** 0.5
    mu, var = Z_ref.mean(dim=0), Z_ref.var(dim=0, unbiased=False)
    safe = torch.where(var > 0, var, torch.ones_like(var))
    direction = torch.where(var > 0, (Z - mu) / safe.sqrt(), torch.zeros_like(Z))
    return direction * bn.gamma / root_n + bn.alpha / root_n


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
