"""Sec. 5 experiments: model specs, Thm 5.1, the cosine similarity (18), truncation on a seeded toy problem."""

import numpy as np
import pandas as pd
import pytest
import torch

from bnconvex.experiments.specs import seed_jobs, split_seed
from bnconvex.experiments.training import (
    build_model,
    condition_numbers,
    cosine_similarity,
    figure_table,
    resolve_spec,
    run_training,
    thm51_rel_error,
)
from bnconvex.models import BNNet, ConvexNet, ConvexNoBNNet, WhitenedNet
from bnconvex.train import batches

DEFAULTS = {"m1": 8, "beta": 1e-3, "rho": 1.0, "optimizer": "sgd", "lr": 1e-2, "batch_size": 10, "epochs": 2,
            "variance_fraction": 0.9, "seed": 0, "dtype": "float64"}
MODELS = {"sgd": {"arch": "bn"}, "convex_truncated": {"arch": "convex", "truncate": True, "lr": 1e-4},
          "whitened": {"arch": "whitened"}}


def test_thm51_holds_to_1e10_in_float64(rng):
    X = rng.standard_normal((30, 12)) @ np.diag(np.logspace(0, -2, 12))  # ill-conditioned, as images
    Y = np.eye(3)[rng.integers(0, 3, 30)]
    result = thm51_rel_error(X, Y, m1=7, beta=0.01, seed=2)
    assert result["rel_error"] < 1e-10
    for key in ("objective_rel_diff", "gamma_grad_rel_diff", "alpha_grad_rel_diff", "W2_grad_rel_diff"):
        assert result[key] < 1e-10, key


def test_thm51_check_can_fail():
    """The check is not vacuous: without the Σ² factor the identity is off by the spread of Σ."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((20, 5)) * np.array([5.0, 2.0, 1.0, 0.5, 0.1])
    Y = np.eye(2)[rng.integers(0, 2, 20)]
    from bnconvex.models import SpectralMap

    spectral = SpectralMap.fit(X)
    Xt, Yt = torch.as_tensor(X), torch.as_tensor(Y)
    bn = BNNet(5, 4, 2, 20, 0.01, dtype=torch.float64)
    wh = WhitenedNet(spectral, 4, 2, 0.01, dtype=torch.float64)
    bn.objective(Xt, Yt).backward(), wh.objective(Xt, Yt).backward()
    V = torch.as_tensor(spectral.V)
    wrong = V.T @ bn.W1.grad  # = Σ ∇_q, not ∇_q
    assert float((wrong - wh.q.grad).norm() / wh.q.grad.norm()) > 0.1


def test_resolve_spec_layers_and_sweep_suffixes():
    spec = resolve_spec("convex_truncated-k5", DEFAULTS, MODELS, {"m1": 20})
    assert spec["k"] == 5 and spec["truncate"] and spec["m1"] == 20 and spec["lr"] == 1e-4
    assert resolve_spec("sgd-bs25", DEFAULTS, MODELS)["batch_size"] == 25
    assert resolve_spec("sgd-lr0.0005", DEFAULTS, MODELS)["lr"] == 5e-4
    with pytest.raises(ValueError, match="unknown model 'adam'"):
        resolve_spec("adam", DEFAULTS, MODELS)


def test_a_seed_suffix_adds_j_to_the_seed_and_keeps_the_sweep_point():
    spec = resolve_spec("sgd-bs25-s2", {**DEFAULTS, "seed": 10}, MODELS)
    assert spec["seed"] == 12 and spec["batch_size"] == 25
    assert resolve_spec("convex_truncated-k5-s1", DEFAULTS, MODELS)["k"] == 5
    assert seed_jobs("sgd-k5", 3) == ["sgd-k5", "sgd-k5-s1", "sgd-k5-s2"] and seed_jobs("sgd", 1) == ["sgd"]
    assert split_seed("sgd-lr0.001-s3") == ("sgd-lr0.001", 3) and split_seed("sgd-lr1e-3") == ("sgd-lr1e-3", 0)
    with pytest.raises(ValueError, match="seed index 0 is the job 'sgd'"):
        split_seed("sgd-s0")


def test_cosine_similarity_eq18():
    V = np.eye(3)
    W0 = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    W = np.array([[2.0, 0.0], [0.0, -1.0], [1.0, 1.0]])
    np.testing.assert_allclose(cosine_similarity(W, W0, V), [1.0, -1.0, 1.0])
    assert cosine_similarity(W0, W0, np.linalg.qr(np.ones((3, 2)) + np.eye(3, 2))[0]) == pytest.approx(1.0)


def test_build_model_truncation_and_types(rng):
    X = rng.standard_normal((40, 10))
    model, X_used, spectral = build_model({**DEFAULTS, "arch": "bn", "truncate": True, "k": 3}, X, 2)
    assert isinstance(model, BNNet) and spectral.k == 3
    assert np.linalg.matrix_rank(X_used - X_used.mean(0)) == 3  # trained on g(X) (17)
    model, X_used, _ = build_model({**DEFAULTS, "arch": "convex", "truncate": True, "k": 4}, X, 2)
    assert isinstance(model, ConvexNet) and model.S.shape == (8, 5, 2) and X_used is X
    model, X_used, spectral = build_model({**DEFAULTS, "arch": "convex_nobn"}, X, 2)  # Fig. 13: raw [X, 1]
    assert isinstance(model, ConvexNoBNNet) and model.S.shape == (8, 11, 2) and X_used is X and spectral is None


def test_convex_nobn_model_trains_and_predicts_through_its_network(tmp_path):
    """The penalized no-BN program learns the toy task (its reconstructed network, without BN, predicts)."""
    X, y, X_test, y_test = _toy(3)
    spec = {**DEFAULTS, "arch": "convex_nobn", "m1": 20, "lr": 1e-3, "beta": 1e-3, "rho": 1.0, "epochs": 40,
            "batch_size": None, "optimizer": "adam"}
    summary = run_training(spec, X, y, X_test, y_test, {"metrics": tmp_path / "m.csv", "cosine": tmp_path / "c.npz"},
                           progress=False)
    metrics = pd.read_csv(tmp_path / "m.csv")
    assert metrics["train_objective"].iloc[-1] < metrics["train_objective"].iloc[0]
    assert summary["final"]["train_acc"] > 0.9 and summary["final"]["test_acc"] > 0.8, summary["final"]


def _toy(seed=0):
    """A seeded toy problem whose labels live in the top singular directions, with many noisy low ones."""
    rng = np.random.default_rng(seed)
    n, n_test, d = 60, 400, 40
    scales = np.concatenate([[6.0, 5.0], np.full(d - 2, 0.3)])
    X_all = rng.standard_normal((n + n_test, d)) * scales
    y_all = (X_all[:, 0] + X_all[:, 1] > 0).astype(int)
    return X_all[:n], y_all[:n], X_all[n:], y_all[n:]


def test_truncation_lowers_the_whitened_models_train_test_gap(tmp_path):
    """Sec. 5.2: the whitened model (16) fits the noisy low-σ directions and overfits; truncation (17) to
    the informative directions lowers its train–test gap (seeded toy problem)."""
    X, y, X_test, y_test = _toy()
    spec = {**DEFAULTS, "arch": "whitened", "m1": 20, "lr": 0.05, "epochs": 60, "batch_size": None}
    gaps = {}
    for name, extra in (("full", {}), ("truncated", {"truncate": True, "k": 2})):
        paths = {"metrics": tmp_path / f"{name}.csv", "cosine": tmp_path / f"{name}.npz"}
        summary = run_training({**spec, **extra}, X, y, X_test, y_test, paths, progress=False)
        gaps[name] = summary["final"]["train_acc"] - summary["final"]["test_acc"]
    assert gaps["full"] > 0.1
    assert gaps["truncated"] < gaps["full"] - 0.05, gaps


def test_run_training_writes_cosine_and_figure_table(tmp_path, rng):
    X, y, X_test, y_test = _toy(1)
    paths = {}
    for model in ("sgd", "whitened"):
        paths[model] = {"metrics": tmp_path / f"{model}.csv", "cosine": tmp_path / f"{model}.npz"}
        run_training(resolve_spec(model, DEFAULTS, MODELS), X, y, X_test, y_test, paths[model], progress=False)
    with np.load(paths["sgd"]["cosine"]) as z:
        assert z["cosine"].shape == (3, 40) and np.allclose(z["cosine"][0], 1.0)
    table = figure_table({m: p["metrics"] for m, p in paths.items()}, {m: p["cosine"] for m, p in paths.items()})
    assert set(table.columns) == {"model", "seed", "epoch", "direction", "cosine"} and len(table) == 2 * 3 * 40
    curves = figure_table({m: p["metrics"] for m, p in paths.items()})
    assert isinstance(curves, pd.DataFrame) and set(curves["model"]) == {"sgd", "whitened"}
    # a job of a second seed is the same model in the figure's table, told apart by its seed
    jobs = {"sgd": paths["sgd"]["metrics"], "sgd-s1": paths["whitened"]["metrics"]}
    two = figure_table(jobs, seeds={"sgd": 7, "sgd-s1": 8})
    assert set(two["model"]) == {"sgd"} and two.groupby("seed").size().to_dict() == {7: 3, 8: 3}


@pytest.mark.parametrize("model", ["sgd", "sgd_truncated", "convex_truncated", "whitened"])
def test_a_precomputed_svd_gives_the_same_run_as_computing_it(tmp_path, model):
    """The train job reuses the spectral stage's SVD (:func:`bnconvex.linalg.load_svd`) instead of its own:
    the same metrics and cosine (18) bit for bit, truncated BN models included (V_k is g(X)'s basis)."""
    from bnconvex.linalg import compact_svd

    X, y, X_test, y_test = _toy(3)
    spec = resolve_spec(model, DEFAULTS, {**MODELS, "sgd_truncated": {"arch": "bn", "truncate": True, "k": 2}})
    runs = {}
    for name, svd in (("own", None), ("given", compact_svd(X))):
        paths = {"metrics": tmp_path / f"{name}.csv", "cosine": tmp_path / f"{name}.npz"}
        run_training(spec, X, y, X_test, y_test, paths, progress=False, svd=svd)
        with np.load(paths["cosine"]) as z:
            runs[name] = (pd.read_csv(paths["metrics"]).drop(columns="time_s"), z["cosine"])
    pd.testing.assert_frame_equal(runs["own"][0], runs["given"][0], check_exact=False, rtol=1e-12)
    np.testing.assert_allclose(runs["own"][1], runs["given"][1], rtol=0, atol=1e-10)


@pytest.mark.parametrize("model", ["sgd", "convex_truncated"])
def test_the_seed_reaches_every_random_choice_and_repeats_bit_for_bit(tmp_path, model):
    """Weights (BN), sampled patterns (convex) and the batch order change with the seed; the same seed repeats
    the run bit for bit on the CPU (deterministic algorithms, as the train job sets them)."""
    X, y, X_test, y_test = _toy(2)
    runs = {}
    torch.use_deterministic_algorithms(True)
    try:
        for name, job in (("a", model), ("b", model), ("c", f"{model}-s1")):
            spec = resolve_spec(job, {**DEFAULTS, "dtype": "float32"}, MODELS)
            paths = {"metrics": tmp_path / f"{name}.csv", "cosine": tmp_path / f"{name}.npz"}
            run_training(spec, X, y, X_test, y_test, paths, progress=False)
            runs[name] = pd.read_csv(paths["metrics"]).drop(columns="time_s")
    finally:
        torch.use_deterministic_algorithms(False)
    pd.testing.assert_frame_equal(runs["a"], runs["b"], check_exact=True)
    assert not runs["a"]["train_objective"].equals(runs["c"]["train_objective"])
    one, other = (build_model(resolve_spec(job, DEFAULTS, MODELS), X, 2)[0] for job in (model, f"{model}-s1"))
    if model == "sgd":
        assert not torch.equal(one.W1, other.W1)           # initial weights
    else:
        assert not torch.equal(one.H, other.H)             # sampled patterns D_i = 1[U' h_i >= 0]
    assert not all(torch.equal(a, b) for a, b in zip(batches(60, 10, 0, 1), batches(60, 10, 1, 1), strict=True))


def test_condition_numbers_of_the_data_and_of_its_patches(rng):
    """App. A.4 on tiny 2×5×5 images, the patch matrix built here by hand (padding 1, kernel 3, stride 2)."""
    c, H, W, kernel, stride, padding = 2, 5, 5, 3, 2, 1
    X = rng.standard_normal((12, c * H * W))
    spec = {"arch": "cnn", "image_shape": [c, H, W], "kernel": kernel, "stride": stride, "padding": padding,
            "pool": 1}
    R = condition_numbers(X, spec)
    images = np.pad(X.reshape(-1, c, H, W), ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    side = (H + 2 * padding - kernel) // stride + 1
    rows = [img[:, i * stride:i * stride + kernel, j * stride:j * stride + kernel].ravel()
            for img in images for i in range(side) for j in range(side)]
    P = np.array(rows)
    s = np.linalg.svd(P - P.mean(axis=0), compute_uv=False)
    assert R["patches"]["n"] == 12 * side * side and R["patches"]["h"] == c * kernel * kernel
    assert R["patches"]["condition_number"] == pytest.approx(s[0] / s[-1], rel=1e-10)
    s = np.linalg.svd(X - X.mean(axis=0), compute_uv=False)[:11]  # rank n − 1 after centering
    assert R["data"]["rank"] == 11 and R["data"]["condition_number"] == pytest.approx(s[0] / s[-1], rel=1e-10)
    assert R["ratio"] == pytest.approx(R["data"]["condition_number"] / R["patches"]["condition_number"])
