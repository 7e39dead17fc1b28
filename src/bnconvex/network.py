"""The two-layer BN ReLU network of the paper, BN before ReLU (eqs. 2, 6/9, 4/10).

Convention (docs/formulas.md): full-batch BN carries the shift ``α/√n``,

    BN_{γ,α}(z) = Pc z / ‖Pc z‖₂ · γ + α/√n · 1,          so ‖BN(z)‖₂ = √(γ² + α²),

which is PyTorch's ``(z − μ)/σ · γ + α`` divided by √n (σ = ‖Pc z‖/√n); the √n is absorbed by the next
layer. The network is ``f(X) = Σ_j (BN_{γ_j,α_j}(X w1_j))₊ w2_jᵀ`` with

- ``W1`` (d×m): first-layer weights, columns ``w1_j`` (not regularized: BN is scale invariant in w1);
- ``gamma``, ``alpha`` (m,): BN scale and shift;
- ``W2`` (m×C): second-layer weights, rows ``w2_j``.

Objective (9): ``L(f(X), Y) + β/2 Σ_j (γ_j² + α_j² + ‖w2_j‖²)``, L the squared loss ``½‖f(X) − Y‖_F²`` of the
paper or any convex loss of :mod:`bnconvex.losses` (App. B.1).

Thm 3.1's CNN is the same network on patches: for patches ``(K, n, h)`` the BN statistics are taken over all nK
rows (channel-wise BN, ``α/√(nK)``) and the K positions are sum-pooled, ``f = Σ_k (BN(X_k W1))₊ W2``.

This numpy network is the reference (the oracle the tests compare against); the torch models of
:mod:`bnconvex.models` load it with ``from_network`` and return it with ``to_network``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bnconvex import losses


def as_2d(Y: np.ndarray) -> np.ndarray:
    """Targets as an n×C array (a 1-D y becomes n×1)."""
    Y = np.asarray(Y, dtype=float)
    return Y[:, None] if Y.ndim == 1 else Y


def batch_norm(Z: np.ndarray, gamma: np.ndarray, alpha: np.ndarray, ref: np.ndarray | None = None):
    """Full-batch BN of the columns of Z (n×m) with the α/√n convention.

    When ``ref`` (n_ref×m pre-activations of the training batch) is given, its mean and norm are used, as
    BN does at inference with full-batch running statistics (App. A.1); ``n`` is then ``n_ref``.
    A column with ``‖Pc z‖ = 0`` has no direction; its normalized part is taken as 0.
    """
    ref = Z if ref is None else ref
    n = ref.shape[0]
    mu = ref.mean(axis=0)
    norm = np.linalg.norm(ref - mu, axis=0)
    safe = np.where(norm > 0, norm, 1.0)
    direction = np.where(norm > 0, (Z - mu) / safe, 0.0)
    return direction * gamma + alpha / np.sqrt(n)


@dataclass
class BNNetwork:
    """Weights of a two-layer BN ReLU network (BN before ReLU). Shapes in the module docstring."""

    W1: np.ndarray
    gamma: np.ndarray
    alpha: np.ndarray
    W2: np.ndarray
    bn_after_relu: bool = False  # True: f = Σ_j BN((X w1_j)₊) w2_jᵀ (App. G)

    def __post_init__(self):
        self.W1 = np.asarray(self.W1, dtype=float)
        self.gamma = np.asarray(self.gamma, dtype=float).reshape(-1)
        self.alpha = np.asarray(self.alpha, dtype=float).reshape(-1)
        self.W2 = np.asarray(self.W2, dtype=float)
        if self.W2.ndim == 1:
            self.W2 = self.W2[:, None]
        m = self.W1.shape[1]
        if not (self.gamma.shape == self.alpha.shape == (m,) and self.W2.shape[0] == m):
            raise ValueError(
                f"inconsistent shapes: W1 {self.W1.shape}, gamma {self.gamma.shape}, "
                f"alpha {self.alpha.shape}, W2 {self.W2.shape}"
            )

    @property
    def width(self) -> int:
        return int(self.W1.shape[1])

    def hidden(self, X: np.ndarray, ref: np.ndarray | None = None) -> np.ndarray:
        """``(BN(X W1))₊`` (or ``BN((X W1)₊)`` when ``bn_after_relu``), n×m; for patches (K, n, h), the
        sum over the K positions of the hidden layer of all nK patch rows (module docstring).

        ``ref``: training data whose BN statistics are used (inference)."""
        X = np.asarray(X, dtype=float)
        if X.ndim == 3:
            K, n, h = X.shape
            ref = None if ref is None else np.asarray(ref, dtype=float).reshape(-1, h)
            return self.hidden(X.reshape(K * n, h), ref).reshape(K, n, -1).sum(axis=0)
        Z = X @ self.W1
        Zref = None if ref is None else np.asarray(ref, dtype=float) @ self.W1
        if self.bn_after_relu:
            relu_ref = None if Zref is None else np.maximum(Zref, 0.0)
            return batch_norm(np.maximum(Z, 0.0), self.gamma, self.alpha, relu_ref)
        return np.maximum(batch_norm(Z, self.gamma, self.alpha, Zref), 0.0)

    def forward(self, X: np.ndarray, ref: np.ndarray | None = None) -> np.ndarray:
        """``f(X)``, n×C, for X (n×d) or patches (K, n, h). Full-batch BN on X, or with the statistics of
        ``ref`` (e.g. the training set)."""
        return self.hidden(X, ref) @ self.W2

    def predict(self, X: np.ndarray, ref: np.ndarray) -> np.ndarray:
        """Class predictions ``argmax_c f(X)_c`` using the BN statistics of the training data ``ref``."""
        return np.argmax(self.forward(X, ref), axis=1)

    def loss(self, X: np.ndarray, Y: np.ndarray, loss: str = "squared") -> float:
        """``L(f(X), Y)``; a 1-D Y (scalar output) is compared with the single output column."""
        f = self.forward(X)
        Y = np.asarray(Y, dtype=float)
        return losses.value(loss, f[:, 0] if Y.ndim == 1 else f, Y)

    def objective(self, X: np.ndarray, Y: np.ndarray, beta: float, loss: str = "squared") -> float:
        """Objective (9): ``L(f, Y) + β/2 Σ_j (γ_j² + α_j² + ‖w2_j‖²)``."""
        reg = np.sum(self.gamma**2 + self.alpha**2) + np.sum(self.W2**2)
        return self.loss(X, Y, loss) + 0.5 * beta * float(reg)

    def rescaled_objective(self, X: np.ndarray, Y: np.ndarray, beta: float) -> float:
        """Minimum of (9) over the rescalings ``(γ, α, w2) → (ηγ, ηα, w2/η)``:
        ``½‖f − Y‖² + β Σ_j ‖w2_j‖ √(γ_j² + α_j²)`` (equals (10) when γ_j² + α_j² = 1)."""
        bn_norm = np.sqrt(self.gamma**2 + self.alpha**2)
        return self.loss(X, Y) + beta * float(np.sum(np.linalg.norm(self.W2, axis=1) * bn_norm))

    def rescaled(self) -> BNNetwork:
        """The optimal rescaling ``η_j² = ‖w2_j‖ / √(γ_j² + α_j²)``: same f, and (9) = rescaled objective.

        Neurons with ``‖w2_j‖ = 0`` or ``γ_j = α_j = 0`` contribute nothing to f; they are zeroed.
        """
        w2_norm = np.linalg.norm(self.W2, axis=1)
        bn_norm = np.sqrt(self.gamma**2 + self.alpha**2)
        alive = (w2_norm > 0) & (bn_norm > 0)
        eta = np.zeros_like(w2_norm)
        eta[alive] = np.sqrt(w2_norm[alive] / bn_norm[alive])
        inv_eta = np.divide(1.0, eta, out=np.zeros_like(eta), where=alive)
        return BNNetwork(
            self.W1.copy(), self.gamma * eta, self.alpha * eta, self.W2 * inv_eta[:, None], self.bn_after_relu
        )

    def to_dict(self) -> dict[str, np.ndarray]:
        return {
            "W1": self.W1,
            "gamma": self.gamma,
            "alpha": self.alpha,
            "W2": self.W2,
            "bn_after_relu": np.array(self.bn_after_relu),
        }

    @classmethod
    def from_npz(cls, path) -> BNNetwork:
        with np.load(path) as z:
            after = bool(z["bn_after_relu"]) if "bn_after_relu" in z else False
            return cls(z["W1"], z["gamma"], z["alpha"], z["W2"], after)


@dataclass
class ReLUNetwork:
    """A two-layer ReLU network with bias and without BN, ``f(X) = (X W1 + 1 b1ᵀ)₊ W2`` (W1 d×m, b1 (m,), W2
    m×C): the network of the convex program on ``X̃ = [X, 1]`` (Pilanci & Ergen, 2020; Fig. 13's convex
    no-BN model), whose objective regularizes the bias as a weight of X̃:
    ``L(f, Y) + β/2 (‖W1‖² + ‖b1‖² + ‖W2‖²)``. (``bnconvex.models.BNNet`` without BN leaves b1 unregularized.)"""

    W1: np.ndarray
    b1: np.ndarray
    W2: np.ndarray

    def __post_init__(self):
        self.W1 = np.asarray(self.W1, dtype=float)
        self.b1 = np.asarray(self.b1, dtype=float).reshape(-1)
        self.W2 = np.asarray(self.W2, dtype=float)
        if self.W2.ndim == 1:
            self.W2 = self.W2[:, None]
        if not (self.b1.shape == (self.W1.shape[1],) and self.W2.shape[0] == self.W1.shape[1]):
            raise ValueError(f"inconsistent shapes: W1 {self.W1.shape}, b1 {self.b1.shape}, W2 {self.W2.shape}")

    @property
    def width(self) -> int:
        return int(self.W1.shape[1])

    def forward(self, X: np.ndarray, ref: np.ndarray | None = None) -> np.ndarray:
        """``f(X)``, n×C (``ref`` is accepted for the interface of :class:`BNNetwork` and unused: no BN)."""
        return np.maximum(np.asarray(X, dtype=float) @ self.W1 + self.b1, 0.0) @ self.W2

    def objective(self, X: np.ndarray, Y: np.ndarray, beta: float, loss: str = "squared") -> float:
        f, Y = self.forward(X), np.asarray(Y, dtype=float)
        reg = np.sum(self.W1**2) + np.sum(self.b1**2) + np.sum(self.W2**2)
        return losses.value(loss, f[:, 0] if Y.ndim == 1 else f, Y) + 0.5 * beta * float(reg)

    def to_dict(self) -> dict[str, np.ndarray]:
        return {"W1": self.W1, "b1": self.b1, "W2": self.W2}

    @classmethod
    def from_npz(cls, path) -> ReLUNetwork:
        with np.load(path) as z:
            return cls(z["W1"], z["b1"], z["W2"])
