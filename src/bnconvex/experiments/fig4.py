"""Fig. 4 / App. A.6: the closed form (Thm 2.4) against gradient descent on the non-convex problem (9).

Setting of the paper: three classes, ``(n, d, m1, β) = (1500, 3072, 1000, 1)``, GD with lr 1e-5 halved on
plateau for 40001 epochs, 5 trials. The closed form took 0.578 s; GD about 50 min per trial.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from bnconvex.closed_form import closed_form
from bnconvex.models import BNNet
from bnconvex.train import TrainData, TrainSettings, objective_row, train


@dataclass
class GDSettings:
    """Full-batch training of (9): ``optimizer`` "gd" (plain GD) or "adam"; lr halved when the objective
    has not improved for ``patience`` steps (the paper's "halved on plateau"); stop after ``steps`` steps or
    ``time_budget_s`` seconds of training, whichever comes first."""

    m1: int
    steps: int
    lr: float
    optimizer: str = "gd"
    patience: int = 100
    time_budget_s: float | None = None
    dtype: str = "float32"


    def train_settings(self, seed: int) -> TrainSettings:
        """The same run in the one training loop: full batch, SGD without momentum ("gd") or Adam."""
        if self.optimizer not in ("gd", "adam"):
            raise ValueError(f"closed_form.fig4.optimizer must be 'gd' or 'adam', got {self.optimizer!r}")
        return TrainSettings(optimizer="sgd" if self.optimizer == "gd" else "adam", lr=self.lr, momentum=0.0,
                             epochs=self.steps, time_budget_s=self.time_budget_s, plateau_patience=self.patience,
                             seed=seed)


def gd_trial(X: np.ndarray, Y: np.ndarray, beta: float, settings: GDSettings, seed: int, device: str = "cpu"):
    """One GD trial from a random start (seeded; the start is drawn on the CPU, so it is the same on any
    device), by :func:`bnconvex.train.train`. Returns (network, curve DataFrame, training time)."""
    dtype = getattr(torch, settings.dtype)
    t = lambda a: torch.as_tensor(a, dtype=dtype, device=device)
    net = BNNet(X.shape[1], settings.m1, Y.shape[1], None, beta, seed=seed, dtype=dtype).to(device)
    metrics = train(net, TrainData(t(X), t(Y)), settings.train_settings(seed), progress=False,
                    evaluate=objective_row)
    curve = metrics.rename(columns={"epoch": "step", "train_objective": "objective"})[["step", "time_s", "objective"]]
    return net.to_network(), curve, float(curve["time_s"].iloc[-1])


def run_fig4(X, y, X_test, y_test, beta: float, settings: GDSettings, trials: int, seed: int = 0,
             device: str = "cpu"):
    """Closed form vs ``trials`` GD runs on (X, one-hot y). Returns (summary dict, curves DataFrame).

    The objectives of the GD networks are re-evaluated in float64 on the final weights. A GD objective
    below the certified optimum means a bug, and raises.
    """
    C = int(y.max()) + 1
    Y = np.eye(C)[y]
    t0 = time.perf_counter()
    cf = closed_form(X, Y, beta, theorem="2.4")
    cf_time = time.perf_counter() - t0
    p_star = cf.certificate["primal"]
    summary = {
        "n": int(X.shape[0]),
        "d": int(X.shape[1]),
        "C": C,
        "beta": float(beta),
        "m1": settings.m1,
        "closed_form": {
            "objective": p_star,
            "rel_gap": cf.certificate["rel_gap"],
            "time_s": cf_time,
            "train_acc": float(np.mean(cf.network.predict(X, ref=X) == y)),
            "test_acc": float(np.mean(cf.network.predict(X_test, ref=X) == y_test)),
        },
        "device": device,
        "gd": {"optimizer": settings.optimizer, "lr": settings.lr, "steps": settings.steps,
               "time_budget_s": settings.time_budget_s, "dtype": settings.dtype, "trials": []},
    }
    curves = []
    for trial in range(trials):
        net, curve, wall = gd_trial(X, Y, beta, settings, seed=seed + trial, device=device)
        final = net.objective(X, Y, beta)
        best = float(curve["objective"].min())
        if min(final, best) < p_star * (1 - 1e-6):
            raise RuntimeError(
                f"GD trial {trial} reached {min(final, best):.10g} below the certified optimum {p_star:.10g}"
            )
        summary["gd"]["trials"].append({
            "trial": trial,
            "seed": seed + trial,
            "final_objective": final,
            "rel_excess": (final - p_star) / p_star,
            "steps": int(curve["step"].iloc[-1]),
            "wall_time_s": wall,
            "train_acc": float(np.mean(net.predict(X, ref=X) == y)),
            "test_acc": float(np.mean(net.predict(X_test, ref=X) == y_test)),
        })
        curves.append(curve.assign(trial=trial))
    trials_ = summary["gd"]["trials"]
    summary["gd"]["mean_test_acc"] = float(np.mean([t["test_acc"] for t in trials_]))
    summary["gd"]["mean_wall_time_s"] = float(np.mean([t["wall_time_s"] for t in trials_]))
    summary["gd"]["best_final_objective"] = float(min(t["final_objective"] for t in trials_))
    return summary, pd.concat(curves, ignore_index=True)
