"""One training loop for every model of :mod:`bnconvex.models` (Sec. 5, App. A; Fig. 4's full-batch GD too).

``train`` reads top to bottom: resume from a checkpoint if one matches the config, then for each epoch
shuffle (seeded by ``seed`` and the epoch, so a resumed run draws the same batches), step on mini-batches,
evaluate, append a metrics row, write the metrics and a checkpoint atomically.

Metrics (one row per epoch, epoch 0 is the start):
``epoch, time_s, train_loss, train_objective, train_acc, test_acc`` (then ``max_violation`` for convex
models), then ``test_loss``, ``penalized_objective`` (convex) and ``lr``. ``time_s`` counts training steps
only (not evaluation); losses are means of ``½‖f(x) − y‖²`` over samples, through the inference network (App. A.1);
``train_objective`` is the exact full-batch objective (9) / (16) / (8).
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

from bnconvex.io import atomic_path

log = logging.getLogger("bnconvex")


@dataclass
class TrainSettings:
    """Optimizer ``sgd`` (momentum 0.9, as the paper), ``adam`` or ``adamw``; ``batch_size`` None means full
    batch; stop after ``epochs`` epochs or ``time_budget_s`` seconds of training, whichever comes first;
    ``plateau_patience`` (epochs) halves the learning rate when the objective stops improving (App. A.5).
    ``seed`` draws the batch order."""

    optimizer: str = "sgd"
    lr: float = 1e-3
    momentum: float = 0.9
    weight_decay: float = 0.0
    batch_size: int | None = None
    epochs: int = 10
    time_budget_s: float | None = None
    plateau_patience: int | None = None
    seed: int = 0


@dataclass
class TrainData:
    """X_train (n, d) as trained on (possibly truncated, (17)), Y_train (n, C) targets, y_train (n,) labels;
    the test set is raw (never truncated). Tensors on the training device. Labels and the test set are needed
    only by :func:`evaluate` (not by :func:`objective_row`)."""

    X_train: torch.Tensor
    Y_train: torch.Tensor
    y_train: torch.Tensor | None = None
    X_test: torch.Tensor | None = None
    Y_test: torch.Tensor | None = None
    y_test: torch.Tensor | None = None

    @classmethod
    def from_arrays(cls, X, y, X_test, y_test, C: int, dtype=torch.float32, device="cpu") -> TrainData:
        """One-hot targets for C > 1, ±1 targets for C = 1 (labels 0/1)."""
        t = lambda a: torch.as_tensor(np.asarray(a), dtype=dtype, device=device)
        onehot = lambda labels: np.eye(C)[labels] if C > 1 else (2.0 * labels - 1.0)[:, None]
        return cls(t(X), t(onehot(y)), torch.as_tensor(y, device=device), t(X_test), t(onehot(y_test)),
                   torch.as_tensor(y_test, device=device))


def make_optimizer(params, settings: TrainSettings) -> torch.optim.Optimizer:
    """The one optimizer factory: SGD (with ``momentum``; 0 is plain gradient descent), Adam or AdamW."""
    if settings.optimizer == "sgd":
        return torch.optim.SGD(params, lr=settings.lr, momentum=settings.momentum,
                               weight_decay=settings.weight_decay)
    if settings.optimizer == "adam":
        return torch.optim.Adam(params, lr=settings.lr, weight_decay=settings.weight_decay)
    if settings.optimizer == "adamw":
        return torch.optim.AdamW(params, lr=settings.lr, weight_decay=settings.weight_decay)
    raise ValueError(f"optimizer must be 'sgd', 'adam' or 'adamw', got {settings.optimizer!r}")


def accuracy(F: torch.Tensor, y: torch.Tensor) -> float:
    """Argmax over classes (C > 1) or sign (C = 1, labels 0/1)."""
    pred = F.argmax(dim=1) if F.shape[1] > 1 else (F[:, 0] >= 0).long()
    return float((pred == y).double().mean())


@torch.no_grad()
def evaluate(model: torch.nn.Module, data: TrainData) -> dict:
    """Metrics of one epoch through the inference network (BN running statistics; convex models through the
    reconstructed network), plus the exact training objective."""
    model.eval()
    net = model.predictor().eval()
    F_train, F_test = net(data.X_train), net(data.X_test)
    row = {  # the contract's columns first, in its order; extras after
        "train_loss": float(0.5 * (F_train - data.Y_train).pow(2).sum(dim=1).mean()),
        "train_objective": float(model.objective(data.X_train, data.Y_train)),
        "train_acc": accuracy(F_train, data.y_train),
        "test_acc": accuracy(F_test, data.y_test),
    }
    convex = hasattr(model, "max_violation")  # the penalized convex models (App. A)
    if convex:
        row["max_violation"] = model.max_violation(data.X_train)
    row["test_loss"] = float(0.5 * (F_test - data.Y_test).pow(2).sum(dim=1).mean())
    if convex:
        row["penalized_objective"] = float(model.penalized_objective(data.X_train, data.Y_train))
    model.train()
    return row


@torch.no_grad()
def objective_row(model: torch.nn.Module, data: TrainData) -> dict:
    """The exact training objective alone (Fig. 4's curves, tests): one full-batch forward an epoch."""
    return {"train_objective": float(model.objective(data.X_train, data.Y_train))}


def batches(n: int, batch_size: int | None, seed: int, epoch: int) -> list[torch.Tensor]:
    """Index batches of one epoch, shuffled by a generator seeded with (seed, epoch)."""
    g = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
    order = torch.randperm(n, generator=g)
    return list(order.split(batch_size or n))


def train(
    model: torch.nn.Module,
    data: TrainData,
    settings: TrainSettings,
    metrics_path: str | Path | None = None,
    checkpoint_path: str | Path | None = None,
    config: dict | None = None,
    on_epoch=None,
    progress: bool = True,
    evaluate=evaluate,
) -> pd.DataFrame:
    """Train ``model`` on ``data``; write ``metrics_path`` (CSV) and ``checkpoint_path`` after every epoch
    (either may be None). ``evaluate(model, data) -> dict`` makes each epoch's metrics (default
    :func:`evaluate`; :func:`objective_row` for the objective alone).

    A checkpoint holds the model, optimizer, scheduler, epoch, metrics so far and the resolved ``config``;
    a killed run resumes from it when its config equals ``config``. A finished run marks it complete, and a
    complete checkpoint is never resumed: rerunning a finished job trains again from the start.
    ``on_epoch(epoch, model)`` is called at every epoch (0 included), e.g. to record the cosine similarity
    (18); its ``state_dict()`` (if it has one) is checkpointed too. Returns the metrics table.
    """
    n = data.X_train.shape[0]
    model.set_momentum(1.0 if (settings.batch_size or n) >= n else 0.1)  # App. A.1
    opt = make_optimizer([p for p in model.parameters() if p.requires_grad], settings)
    plateau = (torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=settings.plateau_patience)
               if settings.plateau_patience else None)
    state = {"config": config, "settings": asdict(settings)}

    rows, start, clock = _resume(checkpoint_path, state, model, opt, plateau, on_epoch)
    log.info("resuming from the checkpoint at epoch %d" if start else "training from the start (epoch %d)", start)
    if start == 0:
        rows = [{"epoch": 0, "time_s": 0.0, **evaluate(model, data), "lr": settings.lr}]
        if on_epoch:
            on_epoch(0, model)
    bar = tqdm(range(start + 1, settings.epochs + 1), desc="epochs", disable=None if progress else True, mininterval=5)
    for epoch in bar:
        t0 = time.perf_counter()
        for idx in batches(n, settings.batch_size, settings.seed, epoch):
            opt.zero_grad()
            loss = model.batch_objective(data.X_train[idx], data.Y_train[idx], n)
            loss.backward()
            opt.step()
        if data.X_train.is_cuda:
            torch.cuda.synchronize()
        clock += time.perf_counter() - t0
        row = {"epoch": epoch, "time_s": clock, **evaluate(model, data), "lr": opt.param_groups[0]["lr"]}
        rows.append(row)
        if plateau:
            plateau.step(row["train_objective"])
        if on_epoch:
            on_epoch(epoch, model)
        bar.set_postfix({key: f"{row[key]:.4g}" for key in ("train_objective", "test_acc") if key in row})
        _save(metrics_path, checkpoint_path, rows, state, model, opt, plateau, epoch, clock, on_epoch=on_epoch)
        if settings.time_budget_s is not None and clock >= settings.time_budget_s:
            break
    _save(metrics_path, checkpoint_path, rows, state, model, opt, plateau, rows[-1]["epoch"], clock,
          on_epoch=on_epoch, complete=True)
    return pd.DataFrame(rows)


def _write_metrics(path, metrics: pd.DataFrame) -> None:
    with atomic_path(path, suffix=".csv") as tmp:
        metrics.to_csv(tmp, index=False, float_format="%.10g")


def _save(metrics_path, checkpoint_path, rows, state, model, opt, plateau, epoch, clock, on_epoch=None,
          complete: bool = False) -> None:
    if metrics_path is not None:
        _write_metrics(metrics_path, pd.DataFrame(rows))
    if checkpoint_path is None:
        return
    ckpt = {**state, "epoch": epoch, "clock": clock, "rows": rows, "model": model.state_dict(),
            "optimizer": opt.state_dict(), "scheduler": plateau.state_dict() if plateau else None,
            "complete": complete,
            "callback": on_epoch.state_dict() if hasattr(on_epoch, "state_dict") else None}
    with atomic_path(checkpoint_path, suffix=".pt") as tmp:
        torch.save(ckpt, tmp)


def _resume(checkpoint_path, state, model, opt, plateau, on_epoch=None):
    """(rows, last epoch, training clock) from a matching checkpoint, else ([], 0, 0.0)."""
    if checkpoint_path is None or not Path(checkpoint_path).exists():
        return [], 0, 0.0
    ckpt = torch.load(checkpoint_path, map_location="cpu", weights_only=False)
    if ckpt.get("complete") or ckpt.get("config") != state["config"] or ckpt.get("settings") != state["settings"]:
        return [], 0, 0.0  # finished, or made by another config: start over (overwritten at epoch 1)
    model.load_state_dict(ckpt["model"])
    opt.load_state_dict(ckpt["optimizer"])
    if plateau and ckpt["scheduler"]:
        plateau.load_state_dict(ckpt["scheduler"])
    if hasattr(on_epoch, "load_state_dict") and ckpt.get("callback") is not None:
        on_epoch.load_state_dict(ckpt["callback"])  # e.g. the cosine similarities recorded so far
    return ckpt["rows"], ckpt["epoch"], ckpt["clock"]
