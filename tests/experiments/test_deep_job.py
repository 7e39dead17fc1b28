import numpy as np
import pytest
import torch

from bnconvex.closed_form import optimal_value, subset_task
from bnconvex.data import PreparedData
from bnconvex.experiments.deep import DeepSettings, fit_deep_subset


def toy_data(rng, d=6):
    """Three Gaussian classes in d = 6 dimensions: more samples than d, so only deep features give range R^n."""
    labels = np.repeat([0, 1, 2], 20)
    X = rng.standard_normal((60, d)) + 2.0 * labels[:, None]
    X_test = rng.standard_normal((30, d)) + 2.0 * np.repeat([0, 1, 2], 10)[:, None]
    return PreparedData(X, labels, X_test, np.repeat([0, 1, 2], 10), {"name": "toy"})


@pytest.mark.parametrize("theorem", ["4.1", "4.2"])
def test_trained_deep_network_is_certified_and_never_below_its_closed_form(rng, theorem):
    data = toy_data(rng)
    classes, n = ([2, 0], 24) if theorem == "4.1" else ([0, 1, 2], 30)
    settings = DeepSettings(widths=[40, 8], steps=150, lr=0.02, seed=1)
    result, net = fit_deep_subset(data, classes, n, beta=0.5, settings=settings, seed=2, theorem=theorem)
    c = result.certificate
    assert c["theorem"] == theorem and c["rel_gap"] < 1e-10 and c["n"] == n > c["d"] == 6
    assert c["depth"] == 3 and c["widths"] == [40, 8] and c["features_width"] == 40
    assert c["n_test"] == (20 if theorem == "4.1" else 30)
    # Thm 4.1 / 4.2: the optimum depends on Y and β only (features of range R^n): 12 / 10 samples per class
    Y = np.eye(2)[[0] * 12] * np.sqrt(12) if theorem == "4.1" else np.eye(3) * np.sqrt(10)
    U = np.column_stack([Y[0], Y[0]]) if theorem == "4.1" else Y
    assert c["primal"] == pytest.approx(optimal_value(U, 0.5), rel=1e-10)
    trained = c["trained"]
    assert trained["objective"] >= c["primal"] and trained["rel_excess"] >= 0 and trained["steps"] == 150
    assert c["train_acc"] == 1.0 and 0.8 <= c["test_acc"] <= 1.0  # the optimum interpolates ±1 / one-hot
    # the returned network carries the closed-form head: its objective on the job's subset is the certified primal
    X, Y, *_ = subset_task(data, classes, n, seed=2, scalar=theorem == "4.1")
    objective = net.objective(torch.as_tensor(X), torch.as_tensor(Y)).item()
    assert objective == pytest.approx(c["primal"], rel=1e-9)

def test_features_narrower_than_n_are_refused(rng):
    with pytest.raises(ValueError, match="features A .*n=30 > d=20"):
        fit_deep_subset(toy_data(rng), [0, 1, 2], 30, 0.5, DeepSettings(widths=[20, 8], steps=5, lr=0.01),
                        theorem="4.2")
    with pytest.raises(ValueError, match="L ≥ 3"):
        fit_deep_subset(toy_data(rng), [0, 1, 2], 30, 0.5, DeepSettings(widths=[40], steps=5, lr=0.01))
