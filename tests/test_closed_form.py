import numpy as np
import pytest
import torch
from helpers import one_hot_instance, train_full_batch

from bnconvex.closed_form import closed_form, fit_scalar_subset, optimal_value
from bnconvex.data.prepare import PreparedData
from bnconvex.models import BNNet
from bnconvex.network import BNNetwork

# class sizes 4, 9, 16 give ‖y_j‖ = 2, 3, 4
SIZES = (4, 9, 16)


@pytest.mark.parametrize(
    "beta, n_active",
    [(1.0, 3), (2.5, 2), (3.5, 1), (5.0, 0)],  # |E| = C, 0 < |E| < C, |E| = 0
)
def test_thm_2_4_primal_equals_dual(rng, beta, n_active):
    X, Y = one_hot_instance(rng, SIZES, d=40)
    res = closed_form(X, Y, beta, theorem="2.4")
    cert = res.certificate
    assert cert["rel_gap"] <= 1e-8
    assert cert["primal"] == pytest.approx(optimal_value(Y, beta), rel=1e-10)
    assert cert["dual_feasible"] and cert["max_violation"] == 0.0
    assert cert["dual_constraint"] == pytest.approx(min(beta, 4.0), rel=1e-10)
    assert cert["width"] == n_active
    # primal is evaluated on the weights
    assert res.network.objective(X, Y, beta) == pytest.approx(cert["primal"], rel=1e-12)


def test_thm_2_4_network_fits_normalized_labels(rng):
    X, Y = one_hot_instance(rng, SIZES, d=40)
    beta = 1.0
    f = closed_form(X, Y, beta).network.forward(X)
    norms = np.linalg.norm(Y, axis=0)
    np.testing.assert_allclose(f, Y / norms * (norms - beta), atol=1e-10)


def test_printed_dual_sum_over_E_is_wrong(rng):
    """docs/formulas.md (corrections): the printed dual value (39) sums ½‖y_j‖² over j ∈ E instead of j ∉ E."""
    X, Y = one_hot_instance(rng, SIZES, d=40)
    beta = 2.5  # E = {1, 2}: the two sums differ
    norms = np.linalg.norm(Y, axis=0)
    E = norms >= beta
    printed = np.sum(beta * norms[E] - beta**2 / 2) + np.sum(norms[E] ** 2 / 2)
    corrected = np.sum(beta * norms[E] - beta**2 / 2) + np.sum(norms[~E] ** 2 / 2)
    cert = closed_form(X, Y, beta).certificate
    assert cert["dual"] == pytest.approx(corrected, rel=1e-12)
    assert abs(printed - cert["primal"]) > 1.0


def test_printed_w2_without_positive_part_is_not_optimal(rng):
    """docs/formulas.md (corrections): Thm 2.1's printed w2 = ‖u‖ − β (no (·)₊) is worse when β > ‖u‖."""
    X = rng.standard_normal((10, 30))
    y = np.concatenate([np.full(5, 2.0), np.full(5, -0.2)])  # ‖(y)₊‖ ≈ 4.47, ‖(−y)₊‖ ≈ 0.45
    beta = 1.0
    res = closed_form(X, y, beta, theorem="2.1")
    assert res.certificate["rel_gap"] <= 1e-8
    printed = BNNetwork(res.network.W1.copy(), res.network.gamma.copy(), res.network.alpha.copy(),
                        res.network.W2.copy())
    u = np.maximum(-y, 0)
    # printed second neuron: BN(X w1) = u/‖u‖ and w2 = −(‖u‖ − β) (no positive part), rescaled
    printed.W1[:, 1] = np.linalg.pinv(X) @ u
    printed.gamma[1] = np.linalg.norm(u - u.mean()) / np.linalg.norm(u)
    printed.alpha[1] = u.sum() / np.sqrt(10) / np.linalg.norm(u)
    printed.W2[1, 0] = -(np.linalg.norm(u) - beta)
    printed = printed.rescaled()
    assert printed.objective(X, y, beta) > res.certificate["primal"] + 1e-3


@pytest.mark.parametrize("beta", [0.3, 2.0, 10.0])
@pytest.mark.parametrize("theorem", ["2.1", "4.1", "G.2"])
def test_scalar_theorems_primal_equals_dual(rng, theorem, beta):
    X = rng.standard_normal((15, 25))
    y = rng.standard_normal(15) * 1.5
    cert = closed_form(X, y, beta, theorem=theorem).certificate
    assert cert["rel_gap"] <= 1e-8
    assert cert["dual_feasible"]
    targets = y if theorem == "G.2" else np.stack([np.maximum(y, 0), np.maximum(-y, 0)], axis=1)
    assert cert["primal"] == pytest.approx(optimal_value(targets, beta), rel=1e-10)


def test_g2_network_puts_bn_after_relu(rng):
    X = rng.standard_normal((12, 20))
    y = rng.standard_normal(12)
    net = closed_form(X, y, 0.5, theorem="G.2").network
    assert net.bn_after_relu
    assert np.all(X @ net.W1 >= -1e-10)  # the ReLU is the identity on the training data


def test_thm_2_1_constant_target_gives_gamma_zero(rng):
    X = rng.standard_normal((6, 10))
    cert = closed_form(X, np.full(6, 3.0), 1.0, theorem="2.1")
    assert cert.network.gamma[0] == pytest.approx(0.0, abs=1e-12)
    assert cert.certificate["rel_gap"] <= 1e-8


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_adam_from_random_starts_never_beats_the_closed_form(rng, seed):
    X, Y = one_hot_instance(rng, (3, 4, 5), d=20)
    beta = 0.5
    p_star = closed_form(X, Y, beta).certificate["primal"]
    torch.manual_seed(seed)
    net = BNNet(20, 8, 3, None, beta, seed=seed, dtype=torch.float64)
    history = train_full_batch(net, X, Y, steps=1500, lr=0.02)
    assert min(history) >= p_star * (1 - 1e-9)
    assert history[-1] <= 1.01 * p_star  # Adam did optimize: the bound is not vacuous


@pytest.mark.parametrize("optimizer, lr", [("gd", 0.02)])
def test_gradient_descent_never_beats_the_closed_form(rng, optimizer, lr):
    X, Y = one_hot_instance(rng, (3, 4, 5), d=20)
    beta = 0.5
    p_star = closed_form(X, Y, beta).certificate["primal"]
    net = BNNet(20, 8, 3, None, beta, seed=7, dtype=torch.float64)
    history = train_full_batch(net, X, Y, 3000, lr, optimizer)
    assert min(history) >= p_star * (1 - 1e-9)
    assert history[-1] < history[0]


def test_bad_inputs_name_the_broken_assumption(rng):
    X, Y = one_hot_instance(rng, (3, 3), d=10)
    with pytest.raises(ValueError, match="n ≤ d"):
        closed_form(rng.standard_normal((12, 10)), np.eye(2)[np.arange(12) % 2], 1.0)
    Xr = X.copy()
    Xr[1] = Xr[0]
    with pytest.raises(ValueError, match="rank-deficient"):
        closed_form(Xr, Y, 1.0)
    with pytest.raises(ValueError, match="one-hot"):
        closed_form(X, Y * 2, 1.0)
    with pytest.raises(ValueError, match="beta"):
        closed_form(X, Y, 0.0)
    with pytest.raises(ValueError, match="beta"):
        closed_form(X, Y, -1.0)
    Xn = X.copy()
    Xn[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN or inf"):
        closed_form(Xn, Y, 1.0)
    Yi = Y.copy()
    Yi[0, 0] = np.inf
    with pytest.raises(ValueError, match="NaN or inf"):
        closed_form(X, Yi, 1.0)
    with pytest.raises(ValueError, match="unknown theorem"):
        closed_form(X, Y, 1.0, theorem="9.9")
    with pytest.raises(ValueError, match="scalar output"):
        closed_form(X, Y, 1.0, theorem="2.1")


@pytest.mark.parametrize("theorem", ["2.1", "G.2"])
def test_scalar_closed_form_on_a_pm1_subset_is_certified_and_reports_sign_accuracy(rng, theorem):
    """Thm 2.1 / G.2 on classes 2 (→ −1) and 0 (→ +1) of a 3-class set; the certificate's primal is the closed
    value on the ±1 labels and the accuracies are those of sign(f) (recomputed here)."""
    d, labels = 30, np.repeat([0, 1, 2], 12)
    X = rng.standard_normal((36, d)) + labels[:, None]
    data = PreparedData(X, labels, X + 0.1 * rng.standard_normal(X.shape), labels, {"name": "toy"})
    res = fit_scalar_subset(data, [2, 0], 16, beta=0.5, seed=3, theorem=theorem)
    c = res.certificate
    assert c["rel_gap"] < 1e-10 and c["n"] == 16 and c["classes"] == [2, 0] and c["n_test"] == 24
    # 8 samples of each label: ‖(y)₊‖ = ‖(−y)₊‖ = √8 (Thm 2.1's two neurons), ‖y‖ = 4 (G.2's one)
    targets = np.column_stack([np.sqrt(8) * np.eye(1)[0], np.sqrt(8) * np.eye(1)[0]]) if theorem == "2.1" else \
        np.array([[4.0]])
    assert c["primal"] == pytest.approx(optimal_value(targets, 0.5), rel=1e-10)
    assert c["train_acc"] == 1.0 and 0.5 < c["test_acc"] <= 1.0  # sign(f) fits the ±1 labels; shifted test data
    with pytest.raises(ValueError, match="even n"):
        fit_scalar_subset(data, [2, 0], 15, beta=0.5, theorem=theorem)
