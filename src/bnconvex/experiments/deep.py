"""Thm 4.1 / 4.2 on real data: the closed form of the last two layers of a *trained* deep BN network.

A deep BN ReLU network (:class:`bnconvex.models.deep.DeepBNNet`, widths m_1..m_{L−1}) is trained end to end
on the closed-form stage's subset (full batch, the one training loop), then its last two layers are replaced
by their optimum given the trained features ``A^(L−2)`` (Thm 4.2 for one-hot Y, Thm 4.1 for ±1 y), certified
by the dual. The trained network's last two layers are a feasible point of the same problem, so its
objective can never be below the certified optimum: the job raises if it is (a bug), and records how far
above it training ended.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch

from bnconvex.closed_form import ClosedFormResult, accuracy, subset_task
from bnconvex.models.deep import DeepBNNet, closed_form_last_two
from bnconvex.train import TrainData, TrainSettings, objective_row, train


@dataclass
class DeepSettings:
    """``widths`` [m_1, ..., m_{L−1}] (L ≥ 3; the features' width m_{L−2} must be at least n for range R^n);
    ``steps`` full-batch steps of ``optimizer`` ("adam" or "gd") at ``lr``; ``seed`` draws the start."""

    widths: list[int]
    steps: int
    lr: float
    optimizer: str = "adam"
    seed: int = 0
    dtype: str = "float32"

    def train_settings(self) -> TrainSettings:
        if self.optimizer not in ("gd", "adam"):
            raise ValueError(f"closed_form.deep.optimizer must be 'gd' or 'adam', got {self.optimizer!r}")
        return TrainSettings(optimizer="sgd" if self.optimizer == "gd" else "adam", lr=self.lr, momentum=0.0,
                             epochs=self.steps, seed=self.seed)


def train_deep(X: np.ndarray, Y: np.ndarray, beta: float, settings: DeepSettings) -> tuple[DeepBNNet, float]:
    """The deep network trained end to end on (X, Y) (n×d, n×C), returned in float64; and the training time."""
    if len(settings.widths) < 2:
        raise ValueError(f"closed_form.deep.widths={settings.widths}: Thm 4.1/4.2 need L ≥ 3 (two or more widths)")
    dtype = getattr(torch, settings.dtype)
    net = DeepBNNet(X.shape[1], list(settings.widths), Y.shape[1], beta, seed=settings.seed, dtype=dtype)
    t0 = time.perf_counter()
    train(net, TrainData(torch.as_tensor(X, dtype=dtype), torch.as_tensor(Y, dtype=dtype)),
          settings.train_settings(), progress=False, evaluate=objective_row)
    return net.double(), time.perf_counter() - t0


def outputs(net: DeepBNNet, X: torch.Tensor, X_ref: torch.Tensor) -> np.ndarray:
    """f(X) (n×C) with every BN on the statistics of the training inputs ``X_ref``."""
    with torch.no_grad():
        A, A_ref = net.features(X, ref=X_ref), net.features(X_ref)
        return net.head.to_network().forward(A.numpy(), ref=A_ref.numpy())


def fit_deep_subset(data, classes, n: int, beta: float, settings: DeepSettings, seed: int = 0,
                    theorem: str = "4.2") -> tuple[ClosedFormResult, DeepBNNet]:
    """Thm 4.2 (one-hot, ``classes`` any number) or 4.1 (±1, two ``classes``) on the :func:`subset_task`
    of a prepared data set, after training the deep network (:func:`train_deep`).

    Returns the closed form's result, its certificate extended with the trained network's objective and
    accuracies next to the closed form's, and the network with its closed-form head. Raises ``ValueError``
    when the features do not have range R^n, ``RuntimeError`` when training beat the certified optimum.
    """
    if theorem not in ("4.1", "4.2"):
        raise ValueError(f"fit_deep_subset runs Thm 4.1 or 4.2, not {theorem!r}")
    X, Y, y, X_test, _, y_test = subset_task(data, classes, n, seed, scalar=theorem == "4.1")
    net, train_s = train_deep(X, Y, beta, settings)
    Xt, Xt_test = torch.as_tensor(X, dtype=torch.float64), torch.as_tensor(X_test, dtype=torch.float64)
    Yt = torch.as_tensor(Y, dtype=torch.float64)
    with torch.no_grad():
        objective = float(net.objective(Xt, Yt))
    trained = {"objective": objective, "train_acc": accuracy(outputs(net, Xt, Xt), y),
               "test_acc": accuracy(outputs(net, Xt_test, Xt), y_test)}
    result = closed_form_last_two(net, Xt, Y)
    c = result.certificate
    if trained["objective"] < c["primal"] * (1 - 1e-9):
        raise RuntimeError(f"the trained network's objective {trained['objective']:.10g} is below the certified "
                           f"optimum {c['primal']:.10g} of its last two layers")
    c.update({"dataset": data.meta.get("name"), "classes": list(classes), "subset_seed": int(seed),
              "depth": net.depth, "widths": list(settings.widths), "d": int(X.shape[1]),
              "features_width": int(net.head.W1.shape[0]),
              "train_acc": accuracy(outputs(net, Xt, Xt), y), "test_acc": accuracy(outputs(net, Xt_test, Xt), y_test),
              "n_test": int(y_test.size),
              "trained": {**trained, "optimizer": settings.optimizer, "lr": settings.lr, "steps": settings.steps,
                          "train_time_s": train_s,
                          "rel_excess": (trained["objective"] - c["primal"]) / c["primal"]}})
    return result, net
