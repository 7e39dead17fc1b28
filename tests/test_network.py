import numpy as np
import pytest
import torch

from bnconvex.models import BNNet
from bnconvex.network import BNNetwork, batch_norm


def random_net(rng, d, m, C, after=False):
    return BNNetwork(
        rng.standard_normal((d, m)),
        rng.standard_normal(m),
        rng.standard_normal(m),
        rng.standard_normal((m, C)),
        bn_after_relu=after,
    )


def test_bn_output_norm_is_sqrt_gamma2_plus_alpha2(rng):
    Z = rng.standard_normal((17, 5)) * 4 + 2
    gamma, alpha = rng.standard_normal(5), rng.standard_normal(5)
    out = batch_norm(Z, gamma, alpha)
    np.testing.assert_allclose(np.linalg.norm(out, axis=0), np.sqrt(gamma**2 + alpha**2), rtol=1e-12)


def test_bn_matches_torch_batchnorm_divided_by_sqrt_n(rng):
    n = 23
    Z = rng.standard_normal((n, 4))
    gamma, alpha = rng.standard_normal(4), rng.standard_normal(4)
    bn = torch.nn.BatchNorm1d(4, eps=1e-300, dtype=torch.float64)
    with torch.no_grad():
        bn.weight.copy_(torch.tensor(gamma))
        bn.bias.copy_(torch.tensor(alpha))
    ref = bn(torch.tensor(Z)).detach().numpy() / np.sqrt(n)
    np.testing.assert_allclose(batch_norm(Z, gamma, alpha), ref, atol=1e-12)


def test_rescaling_identity(rng):
    X, Y, beta = rng.standard_normal((20, 6)), rng.standard_normal((20, 2)), 0.7
    net = random_net(rng, 6, 5, 2)
    best = net.rescaled()
    np.testing.assert_allclose(best.forward(X), net.forward(X), atol=1e-12)
    assert best.objective(X, Y, beta) == pytest.approx(net.rescaled_objective(X, Y, beta), rel=1e-12)
    assert net.objective(X, Y, beta) >= net.rescaled_objective(X, Y, beta)
    # any other rescaling is no better
    eta = np.exp(rng.standard_normal(5))
    other = BNNetwork(net.W1, net.gamma * eta, net.alpha * eta, net.W2 / eta[:, None])
    assert other.objective(X, Y, beta) >= best.objective(X, Y, beta) - 1e-12


def test_inference_with_training_statistics_equals_full_batch_on_training_data(rng):
    X = rng.standard_normal((15, 4))
    net = random_net(rng, 4, 3, 2)
    np.testing.assert_allclose(net.forward(X, ref=X), net.forward(X), atol=1e-13)
    X_test = rng.standard_normal((5, 4))
    # a single test point is normalized with the training statistics, not its own
    assert np.all(np.isfinite(net.forward(X_test[:1], ref=X)))


def test_torch_network_agrees_with_numpy(rng):
    X, Y = rng.standard_normal((12, 5)), rng.standard_normal((12, 3))
    net = random_net(rng, 5, 4, 3)
    tnet = BNNet.from_network(net, beta=0.3)
    Xt, Yt = torch.tensor(X), torch.tensor(Y)
    np.testing.assert_allclose(tnet(Xt).detach().numpy(), net.forward(X), atol=1e-12)
    assert tnet.objective(Xt, Yt).item() == pytest.approx(net.objective(X, Y, 0.3), rel=1e-12)
    np.testing.assert_allclose(tnet.to_network().W2, net.W2)
    after = random_net(rng, 5, 4, 3, after=True)
    np.testing.assert_allclose(BNNet.from_network(after)(Xt).detach().numpy(), after.forward(X), atol=1e-12)


def test_bn_after_relu_forward_is_bn_of_relu(rng):
    X = rng.standard_normal((12, 5))
    net = random_net(rng, 5, 4, 3, after=True)
    Z = np.maximum(X @ net.W1, 0)
    np.testing.assert_allclose(net.forward(X), batch_norm(Z, net.gamma, net.alpha) @ net.W2, atol=1e-13)


def test_network_rejects_inconsistent_shapes(rng):
    with pytest.raises(ValueError, match="inconsistent shapes"):
        BNNetwork(np.zeros((3, 2)), np.zeros(3), np.zeros(2), np.zeros((2, 1)))


def test_npz_round_trip(tmp_path, rng):
    net = random_net(rng, 3, 2, 1, after=True)
    np.savez(tmp_path / "n.npz", **net.to_dict())
    back = BNNetwork.from_npz(tmp_path / "n.npz")
    assert back.bn_after_relu
    np.testing.assert_array_equal(back.W1, net.W1)
