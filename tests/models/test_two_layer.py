"""Models of Sec. 5 / App. A: BN convention, whitened model (16), penalized convex model and reconstruction."""

import math

import numpy as np
import pytest
import torch

from bnconvex.models import BatchNorm, BNNet, ConvexNet, ConvexNoBNNet, SpectralMap, WhitenedNet
from bnconvex.network import batch_norm as paper_bn


@pytest.fixture
def data(rng):
    n, d, C = 24, 7, 3
    X = rng.standard_normal((n, d))
    Y = np.eye(C)[rng.integers(0, C, n)]
    return X, Y


def test_batchnorm_matches_torch_batchnorm1d_in_train_and_eval(rng):
    n, m = 32, 5
    ours = BatchNorm(m, n, momentum=0.1, eps=1e-5, dtype=torch.float64)
    ref = torch.nn.BatchNorm1d(m, eps=1e-5, momentum=0.1, dtype=torch.float64)
    with torch.no_grad():
        for p in (ours.gamma, ref.weight):
            p.copy_(torch.linspace(0.5, 2.0, m))
        for p in (ours.alpha, ref.bias):
            p.copy_(torch.linspace(-1.0, 1.0, m))
    for _ in range(3):  # training mode, running statistics updated the same way
        Z = torch.as_tensor(rng.standard_normal((n, m)) * 3 + 1)
        np.testing.assert_allclose(math.sqrt(n) * ours(Z).detach(), ref(Z).detach(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ours.running_mean, ref.running_mean, rtol=1e-12)
    np.testing.assert_allclose(ours.running_var, ref.running_var, rtol=1e-12)
    ours.eval(), ref.eval()
    Z = torch.as_tensor(rng.standard_normal((9, m)))
    np.testing.assert_allclose(math.sqrt(n) * ours(Z).detach(), ref(Z).detach(), rtol=1e-12, atol=1e-12)


def test_full_batch_bn_is_eq2(rng):
    n, m = 20, 4
    Z = rng.standard_normal((n, m))
    gamma, alpha = rng.standard_normal(m), rng.standard_normal(m)
    layer = BatchNorm(m, n, dtype=torch.float64)
    with torch.no_grad():
        layer.gamma.copy_(torch.as_tensor(gamma)), layer.alpha.copy_(torch.as_tensor(alpha))
    ours = layer(torch.as_tensor(Z)).detach().numpy()
    np.testing.assert_allclose(ours, paper_bn(Z, gamma, alpha), rtol=1e-12, atol=1e-12)


def test_whitened_model_equals_bn_model_at_q_sigma_vt_w(data):
    """Lemma 5.1: (16) at q = Σ Vᵀ w1 is (9), in value, on the training set."""
    X, Y = data
    Xt, Yt = torch.as_tensor(X), torch.as_tensor(Y)
    bn = BNNet(X.shape[1], 6, 3, X.shape[0], beta=0.1, seed=3, dtype=torch.float64)
    wh = WhitenedNet(SpectralMap.fit(X), 6, 3, beta=0.1, seed=3, dtype=torch.float64)
    assert bn.objective(Xt, Yt).item() == pytest.approx(wh.objective(Xt, Yt).item(), rel=1e-12)


def test_nobn_model_has_bias_and_weight_decay(data):
    X, Y = data
    net = BNNet(X.shape[1], 5, 3, X.shape[0], beta=0.5, bn=False, dtype=torch.float64)
    fit = 0.5 * (net(torch.as_tensor(X)) - torch.as_tensor(Y)).pow(2).sum()
    reg = 0.25 * (net.W1.pow(2).sum() + net.W2.pow(2).sum())
    assert float(net.objective(torch.as_tensor(X), torch.as_tensor(Y))) == pytest.approx(float(fit + reg))
    assert net.b1 is not None and net.bn is None


def _feasible_convex(X, C=3, P=8, seed=0):
    """A ConvexNet whose blocks satisfy their cones exactly: s_i = c · h_i gives (2D_i − I)U's_i = c|U'h_i| ≥ 0."""
    model = ConvexNet(SpectralMap.fit(X), P, C, beta=0.05, rho=10.0, seed=seed, dtype=torch.float64)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        coef = torch.rand(P, 1, C, generator=g, dtype=torch.float64)
        model.S.copy_(model.H.T[:, :, None] * coef)
        model.S_neg.copy_(model.H.T[:, :, None] * torch.rand(P, 1, C, generator=g, dtype=torch.float64) * 0.5)
    return model


def test_penalized_convex_loss_equals_exact_objective_when_feasible(data):
    X, Y = data
    Xt, Yt = torch.as_tensor(X), torch.as_tensor(Y)
    model = _feasible_convex(X)
    assert model.max_violation(Xt) == pytest.approx(0.0, abs=1e-12)
    assert float(model.penalized_objective(Xt, Yt)) == pytest.approx(float(model.objective(Xt, Yt)), rel=1e-12)
    with torch.no_grad():  # break feasibility: the penalty shows up, and is ρ times the violation sum
        model.S.neg_()
    assert model.max_violation(Xt) > 0
    gap = float(model.penalized_objective(Xt, Yt) - model.objective(Xt, Yt))
    _, violation = model._fit_and_penalty(Xt)
    assert gap == pytest.approx(10.0 * float(violation.sum()), rel=1e-10)


def test_convex_objective_is_rescaled_network_objective_of_reconstruction(data):
    """App. C.3: the reconstructed BN network reproduces the convex prediction on the training set, and its
    rescaled objective ½‖f − Y‖² + β Σ‖w2‖√(γ² + α²) equals the convex objective."""
    X, Y = data
    Xt, Yt = torch.as_tensor(X), torch.as_tensor(Y)
    model = _feasible_convex(X)
    net = model.reconstruct()
    with torch.no_grad():
        np.testing.assert_allclose(net(Xt), model(Xt), rtol=1e-10, atol=1e-10)
        rescaled = 0.5 * (net(Xt) - Yt).pow(2).sum() + model.beta * (
            net.W2.norm(dim=1) * (net.bn.gamma**2 + net.bn.alpha**2).sqrt()).sum()
    assert float(rescaled) == pytest.approx(float(model.objective(Xt, Yt)), rel=1e-10)
    # on new inputs the network is Σ (u'(x)s)₊ − (u'(x)s')₊
    X_new = torch.as_tensor(np.random.default_rng(5).standard_normal((6, X.shape[1])))
    Up = model.u_prime(X_new)
    direct = (torch.relu(torch.einsum("bk,pkc->bpc", Up, model.S))
              - torch.relu(torch.einsum("bk,pkc->bpc", Up, model.S_neg))).sum(dim=1)
    with torch.no_grad():
        np.testing.assert_allclose(net(X_new), direct.detach(), rtol=1e-10, atol=1e-10)


def test_convex_nobn_program_is_its_reconstructed_relu_network(data):
    """Fig. 13's convex no-BN model: feasible blocks (s_i ∝ h_i) give a penalty of 0; the reconstructed network
    without BN reproduces Σ (x̃ s)₊ − (x̃ s')₊ on training and new inputs, and its objective (9) without BN (b1
    unregularized) plus β/2‖b1‖² is the convex objective."""
    X, Y = data
    Xt, Yt = torch.as_tensor(X), torch.as_tensor(Y)
    P, C = 8, 3
    model = ConvexNoBNNet(X.shape[1], X.shape[0], P, C, beta=0.05, rho=10.0, seed=1, dtype=torch.float64)
    assert model.S.shape == (P, X.shape[1] + 1, C) and model.spectral is None
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        model.S.copy_(model.H.T[:, :, None] * torch.rand(P, 1, C, generator=g, dtype=torch.float64))
        model.S_neg.copy_(model.H.T[:, :, None] * torch.rand(P, 1, C, generator=g, dtype=torch.float64) * 0.5)
    assert model.max_violation(Xt) == pytest.approx(0.0, abs=1e-12)
    net = model.reconstruct()
    assert net.bn is None and net.W1.shape[1] == 2 * P * C
    X_new = torch.as_tensor(np.random.default_rng(6).standard_normal((6, X.shape[1])))
    for inputs in (Xt, X_new):
        Xtil = torch.cat([inputs, torch.ones(len(inputs), 1, dtype=torch.float64)], dim=1)
        direct = (torch.relu(torch.einsum("bk,pkc->bpc", Xtil, model.S))
                  - torch.relu(torch.einsum("bk,pkc->bpc", Xtil, model.S_neg))).sum(dim=1)
        with torch.no_grad():
            np.testing.assert_allclose(net(inputs), direct, rtol=1e-10, atol=1e-10)
    with torch.no_grad():
        network_value = float(net.objective(Xt, Yt) + 0.5 * model.beta * net.b1.pow(2).sum())
        assert network_value == pytest.approx(float(model.objective(Xt, Yt)), rel=1e-10)
        assert float(net.objective(Xt, Yt)) <= float(model.objective(Xt, Yt))


def test_convex_scalar_output_and_gradient_at_zero_start(data):
    X, _ = data
    y = torch.as_tensor(np.sign(X[:, 0]))[:, None]
    model = ConvexNet(SpectralMap.fit(X, k=3), 5, 1, beta=0.01, rho=1.0, dtype=torch.float64)
    loss = model.batch_objective(torch.as_tensor(X), y, X.shape[0])
    loss.backward()
    assert torch.isfinite(model.S.grad).all() and model.S.grad.abs().sum() > 0
    assert model.S.shape == (5, 4, 1)


def test_spectral_map_truncation_by_variance(data):
    X, _ = data
    full, part = SpectralMap.fit(X), SpectralMap.fit(X, variance_fraction=0.5)
    assert part.k < full.k == min(X.shape[0] - 1, X.shape[1])
    with pytest.raises(ValueError, match="truncation k"):
        SpectralMap.fit(X, k=100)


def test_one_initialisation_gives_the_same_weights_in_float32_and_float64():
    """init_uniform draws in float64 and casts: the two-layer, deep and CNN models start at the same weights in
    both dtypes for a seed."""
    from bnconvex.models.cnn import BNConvNet, PatchGeometry
    from bnconvex.models.deep import DeepBNNet

    pairs = [(BNNet(7, 5, 3, 24, 0.1, seed=s, dtype=torch.float32), BNNet(7, 5, 3, 24, 0.1, seed=s,
                                                                           dtype=torch.float64)) for s in (0, 1)]
    pairs.append((DeepBNNet(7, [6, 5], 3, 0.1, seed=2, dtype=torch.float32), DeepBNNet(7, [6, 5], 3, 0.1, seed=2)))
    geometry = PatchGeometry((1, 6, 6), kernel=3, stride=3, padding=0, pool=1)
    pairs.append((BNConvNet(geometry, 4, 2, 5, 0.1, seed=3), BNConvNet(geometry, 4, 2, 5, 0.1, seed=3,
                                                                       dtype=torch.float64)))
    for single, double in pairs:
        for (name, a), (_, b) in zip(single.named_parameters(), double.named_parameters(), strict=True):
            assert a.dtype == torch.float32 and b.dtype == torch.float64
            assert torch.equal(a, b.to(torch.float32)), name
    assert not torch.equal(pairs[0][0].W1, pairs[1][0].W1)  # the seed matters


def test_evaluation_reuses_the_whitened_rows_and_fit_only_while_input_and_weights_are_unchanged(rng):
    """EvalCache: an evaluation (no autograd) on the same unchanged tensor reuses U' and (ŷ, violations);
    a changed S, a changed input or autograd (training batches) computes them again."""
    X = torch.as_tensor(rng.standard_normal((30, 6)))
    Y = torch.as_tensor(rng.standard_normal((30, 2)))
    model = ConvexNet(SpectralMap.fit(X.numpy()), 4, 2, beta=0.01, rho=1.0, dtype=torch.float64)
    calls = []
    original = model._u_prime
    model._u_prime = lambda X: calls.append(1) or original(X)
    with torch.no_grad():
        model.S.normal_()
        first = model.objective(X, Y)
        assert model.max_violation(X) >= 0 and model.penalized_objective(X, Y) >= first
        assert len(calls) == 1                                  # one map for the three evaluations
        model.S.mul_(2.0)                                       # new weights: a new fit, the same rows of U'
        assert not torch.equal(model.objective(X, Y), first) and len(calls) == 1
        X.add_(1.0)                                             # the tensor changed in place: mapped again
        model.objective(X, Y)
        assert len(calls) == 2
    fresh = ConvexNet(model.spectral, 4, 2, beta=0.01, rho=1.0, dtype=torch.float64)   # no cache yet
    with torch.no_grad():
        fresh.S.copy_(model.S)
        assert torch.allclose(fresh.objective(X, Y), model.objective(X, Y), rtol=1e-12)
    model.batch_objective(X, Y, 30).backward()                  # autograd: nothing kept, gradients flow
    assert len(calls) == 3 and model.S.grad is not None
