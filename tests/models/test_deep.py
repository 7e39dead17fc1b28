import numpy as np
import pytest
import torch
from helpers import one_hot_instance, train_full_batch

from bnconvex.models import BNNet
from bnconvex.models.deep import DeepBNNet, closed_form_last_two


def head_trained_by_adam(net, X, Y, seed, steps=1500, lr=0.02):
    """Adam on the last two layers from a fresh random start, earlier layers frozen."""
    m_in, m = net.head.W1.shape
    net.head = BNNet(m_in, m, Y.shape[1], None, net.beta, seed=seed, dtype=torch.float64,
                     bn_after_relu=net.bn_after_relu)
    net.freeze_features()
    return train_full_batch(net, X, Y, steps=steps, lr=lr)


def assert_optimal_and_unbeaten(net, X, Y, primal):
    """The closed-form head reaches the certified primal, and Adam from 3 random heads never goes below it
    (and gets within 5%, so the bound is not vacuous)."""
    assert net.objective(X, Y).item() == pytest.approx(primal, rel=1e-10)
    for seed in range(3):
        history = head_trained_by_adam(net, X, Y, seed)
        assert min(history) >= primal * (1 - 1e-9)
    assert history[-1] <= 1.05 * primal


@pytest.mark.parametrize("widths", [[30, 12], [25, 30, 12]])  # L = 3 and L = 4
def test_thm_4_2_on_random_features_is_certified_and_unbeaten(rng, widths):
    Xn, Yn = one_hot_instance(rng, (4, 5, 6), d=8)  # n = 15 > d: only the deep features have range R^n
    X, Y = torch.tensor(Xn), torch.tensor(Yn)
    beta = 0.5
    net = DeepBNNet(8, widths, 3, beta, seed=1)
    res = closed_form_last_two(net, X, Yn)
    cert = res.certificate
    assert cert["theorem"] == "4.2" and cert["rel_gap"] <= 1e-8 and cert["dual_feasible"]
    assert_optimal_and_unbeaten(net, X, Y, cert["primal"])


def test_thm_4_1_scalar_output(rng):
    X = torch.tensor(rng.standard_normal((14, 6)))
    y = rng.standard_normal(14)
    net = DeepBNNet(6, [40, 10], 1, 0.4, seed=2)
    cert = closed_form_last_two(net, X, y).certificate
    assert cert["theorem"] == "4.1" and cert["rel_gap"] <= 1e-8
    assert net.objective(X, torch.tensor(y)[:, None]).item() == pytest.approx(cert["primal"], rel=1e-10)


def test_closed_form_beats_gd_on_trained_then_frozen_layers(rng):
    Xn, Yn = one_hot_instance(rng, (5, 5, 5), d=10)
    X, Y = torch.tensor(Xn), torch.tensor(Yn)
    beta = 0.3
    net = DeepBNNet(10, [40, 16], 3, beta, seed=3)
    trained = train_full_batch(net, X, Y, steps=300, lr=0.01)  # all layers trained
    gd_value = trained[-1]
    net.freeze_features()
    cert = closed_form_last_two(net, X, Yn).certificate
    assert cert["rel_gap"] <= 1e-8
    assert cert["primal"] <= gd_value  # optimal last two layers on the trained features
    more = train_full_batch(net, X, Y, steps=300, lr=0.01)  # GD from the optimum cannot improve
    assert min(more) >= cert["primal"] * (1 - 1e-9)


def test_g2_variant_bn_after_relu_is_certified_and_unbeaten(rng):
    X = torch.tensor(rng.standard_normal((12, 5)))
    y = rng.standard_normal(12)
    net = DeepBNNet(5, [30, 8], 1, 0.5, seed=4, bn_after_relu=True)
    with torch.no_grad():  # with α = 0 the BN outputs are centered: 1ᵀA = 0 and A cannot have range R^n
        net.norms[0].alpha.fill_(1.0)
    cert = closed_form_last_two(net, X, y).certificate
    assert cert["theorem"] == "G.2" and cert["rel_gap"] <= 1e-8
    Y = torch.tensor(y)[:, None]
    assert_optimal_and_unbeaten(net, X, Y, cert["primal"])


def test_features_without_range_rn_are_rejected(rng):
    X = torch.tensor(rng.standard_normal((20, 5)))
    Y = np.eye(2)[np.arange(20) % 2]
    net = DeepBNNet(5, [6, 4], 2, 1.0, seed=0)  # A^(L−2) is 20×6: rank ≤ 6 < n
    with pytest.raises(ValueError, match="layer-\\(L−2\\) features"):
        closed_form_last_two(net, X, Y)


@pytest.mark.parametrize("bn_after_relu", [False, True])
def test_features_with_the_training_set_as_reference_are_the_training_features(rng, bn_after_relu):
    """BN on the statistics of ``ref`` equals full-batch BN when ``ref`` is the batch itself, and a test row
    gets the same features alone as inside any batch (its BN does not depend on the other test rows)."""
    X, X_test = torch.tensor(rng.standard_normal((12, 5))), torch.tensor(rng.standard_normal((4, 5)))
    net = DeepBNNet(5, [9, 7, 3], 2, 0.5, seed=5, bn_after_relu=bn_after_relu)
    with torch.no_grad():
        for bn in net.norms:
            bn.gamma.uniform_(0.5, 2.0), bn.alpha.uniform_(-1.0, 1.0)
        torch.testing.assert_close(net.features(X, ref=X), net.features(X), rtol=1e-12, atol=1e-12)
        alone = torch.cat([net.features(X_test[i:i + 1], ref=X) for i in range(4)])
        torch.testing.assert_close(alone, net.features(X_test, ref=X), rtol=1e-12, atol=1e-12)
        assert not torch.allclose(net.features(X_test, ref=X), net.features(X_test))  # not the batch's own


def test_network_round_trips_through_its_arrays(rng):
    net = DeepBNNet(5, [9, 7, 3], 2, 0.25, seed=6)
    with torch.no_grad():
        net.norms[1].gamma.fill_(1.5), net.head.bn.alpha.fill_(0.3)
    arrays = net.to_dict()
    assert sorted(arrays) == sorted(["W_1", "gamma_1", "alpha_1", "W_2", "gamma_2", "alpha_2", "W_3", "gamma_3",
                                     "alpha_3", "W_4", "beta", "bn_after_relu"])
    back = DeepBNNet.from_dict(arrays)
    X = torch.tensor(rng.standard_normal((6, 5)))
    assert back.depth == net.depth == 4 and back.beta == 0.25
    torch.testing.assert_close(back(X), net(X), rtol=0, atol=0)
