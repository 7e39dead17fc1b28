"""The training loop: metrics table, full-batch GD descent, checkpoint resume."""

import numpy as np
import pandas as pd
import pytest
import torch

from bnconvex.models import BNNet, ConvexNet, SpectralMap
from bnconvex.train import TrainData, TrainSettings, batches, train


@pytest.fixture
def toy(rng):
    n, d, C = 40, 6, 3
    X = rng.standard_normal((n, d))
    y = np.argmax(X[:, :C] + 0.3 * rng.standard_normal((n, C)), axis=1)
    X_test = rng.standard_normal((20, d))
    y_test = np.argmax(X_test[:, :C], axis=1)
    return X, y, X_test, y_test, TrainData.from_arrays(X, y, X_test, y_test, C, dtype=torch.float64)


COLUMNS = ["epoch", "time_s", "train_loss", "train_objective", "train_acc", "test_acc", "test_loss", "lr"]


def test_full_batch_gd_decreases_the_objective_and_writes_metrics(toy, tmp_path):
    X, y, *_, data = toy
    net = BNNet(X.shape[1], 10, 3, X.shape[0], beta=0.01, seed=0, dtype=torch.float64)
    metrics = train(net, data, TrainSettings(optimizer="sgd", lr=0.05, momentum=0.0, epochs=30),
                    tmp_path / "m.csv", progress=False)
    on_disk = pd.read_csv(tmp_path / "m.csv")
    assert list(on_disk.columns) == COLUMNS and len(on_disk) == 31
    assert np.all(np.diff(metrics["train_objective"]) < 0)  # small-step full-batch GD descends
    assert metrics["train_acc"].iloc[-1] > metrics["train_acc"].iloc[0]
    # full batch: BN momentum 1, so eval-mode BN uses the last batch's statistics
    assert net.bn.momentum == 1.0


def test_convex_metrics_have_violation_columns(toy, tmp_path):
    X, y, *_, data = toy
    model = ConvexNet(SpectralMap.fit(X), 8, 3, beta=0.01, rho=1.0, dtype=torch.float64)
    metrics = train(model, data, TrainSettings(lr=0.01, batch_size=10, epochs=3), tmp_path / "m.csv",
                    progress=False)
    assert list(metrics.columns[:7]) == [*COLUMNS[:6], "max_violation"]
    assert "penalized_objective" in metrics.columns
    assert metrics["max_violation"].iloc[0] == 0.0  # the zero start is feasible
    assert np.all(metrics["penalized_objective"] >= metrics["train_objective"] - 1e-12)


def test_resume_from_checkpoint_gives_the_same_metrics(toy, tmp_path):
    X, y, *_, data = toy
    settings = TrainSettings(optimizer="sgd", lr=0.01, batch_size=16, epochs=6, plateau_patience=1)
    config = {"model": "sgd", "seed": 0}
    make = lambda: BNNet(X.shape[1], 10, 3, X.shape[0], beta=0.01, seed=1, dtype=torch.float64)
    full = train(make(), data, settings, tmp_path / "full.csv", tmp_path / "full.pt", config, progress=False)
    # a run killed after epoch 3: train 3 epochs, then restart with the full epoch count from its checkpoint
    short = TrainSettings(**{**settings.__dict__, "epochs": 3})
    train(make(), data, short, tmp_path / "part.csv", tmp_path / "part.pt", config, progress=False)
    ckpt = torch.load(tmp_path / "part.pt", weights_only=False)
    assert ckpt["complete"] and ckpt["epoch"] == 3
    ckpt["settings"] = settings.__dict__  # as if the same job had been killed after epoch 3
    ckpt["complete"] = False
    torch.save(ckpt, tmp_path / "part.pt")
    resumed = train(make(), data, settings, tmp_path / "part.csv", tmp_path / "part.pt", config, progress=False)
    assert len(resumed) == len(full) == 7
    cols = [c for c in full.columns if c != "time_s"]
    pd.testing.assert_frame_equal(resumed[cols], full[cols], check_exact=True)
    # a complete checkpoint is not resumed: rerunning a finished job trains again
    again = train(make(), data, settings, tmp_path / "part.csv", tmp_path / "part.pt", config, progress=False)
    pd.testing.assert_frame_equal(again[cols], full[cols], check_exact=True)
    assert torch.load(tmp_path / "part.pt", weights_only=False)["complete"]
    # a checkpoint of another config is not used
    other = train(make(), data, settings, tmp_path / "o.csv", tmp_path / "part.pt", {"seed": 9}, progress=False)
    pd.testing.assert_frame_equal(other[cols], full[cols], check_exact=True)


def test_resumed_run_keeps_the_callbacks_record(toy, tmp_path):
    from bnconvex.experiments.training import CosineRecorder

    X, y, *_, data = toy
    settings = TrainSettings(optimizer="sgd", lr=0.01, batch_size=16, epochs=4)
    make = lambda: BNNet(X.shape[1], 10, 3, X.shape[0], beta=0.01, seed=1, dtype=torch.float64)
    V = np.linalg.svd(X - X.mean(0), full_matrices=False)[2].T
    full = CosineRecorder(V)
    train(make(), data, settings, tmp_path / "a.csv", tmp_path / "a.pt", {}, on_epoch=full, progress=False)
    part = CosineRecorder(V)
    train(make(), data, TrainSettings(**{**settings.__dict__, "epochs": 2}), tmp_path / "b.csv", tmp_path / "b.pt",
          {}, on_epoch=part, progress=False)
    ckpt = torch.load(tmp_path / "b.pt", weights_only=False)
    ckpt.update(settings=settings.__dict__, complete=False)  # killed after epoch 2
    torch.save(ckpt, tmp_path / "b.pt")
    resumed = CosineRecorder(V)
    train(make(), data, settings, tmp_path / "b.csv", tmp_path / "b.pt", {}, on_epoch=resumed, progress=False)
    np.testing.assert_array_equal(resumed.array(), full.array())
    assert resumed.array().shape == (5, 6)


def test_batches_cover_every_sample_once_and_are_seeded():
    a = batches(10, 3, seed=0, epoch=1)
    assert sorted(torch.cat(a).tolist()) == list(range(10)) and [len(b) for b in a] == [3, 3, 3, 1]
    assert all(torch.equal(x, y) for x, y in zip(a, batches(10, 3, seed=0, epoch=1), strict=True))
    assert not torch.equal(torch.cat(a), torch.cat(batches(10, 3, seed=0, epoch=2)))


def test_unknown_optimizer_is_named(toy, tmp_path):
    X, *_, data = toy
    net = BNNet(X.shape[1], 4, 3, X.shape[0], beta=0.01)
    with pytest.raises(ValueError, match="optimizer must be"):
        train(net, data, TrainSettings(optimizer="lbfgs"), tmp_path / "m.csv", progress=False)
