"""Table 1's CNN and its convex counterpart over spatial blocks (App. A.4)."""

import numpy as np
import pytest
import torch

from bnconvex.convex import extract_patches
from bnconvex.models import SpectralMap
from bnconvex.models.cnn import BNConvNet, ConvexConvNet, DeepBNConvNet, PatchGeometry
from bnconvex.network import BNNetwork

SHAPE = (3, 8, 8)


@pytest.fixture
def images(rng):
    return rng.standard_normal((6, int(np.prod(SHAPE))))


def test_geometry_of_table1():
    g = PatchGeometry((3, 32, 32), kernel=3, stride=3, padding=2, pool=4)
    assert (g.side_h, g.L, g.h, g.blocks) == (12, 144, 27, 16)
    assert torch.bincount(g.block).tolist() == [9] * 16  # each pooled cell averages 3×3 positions
    np.testing.assert_allclose(g.pool_matrix.sum(dim=0), 1.0)


def test_patches_match_the_numpy_extraction(images):
    g = PatchGeometry(SHAPE, kernel=3, stride=3, padding=2, pool=2)
    ours = g.patches(torch.as_tensor(images)).numpy()                       # (n, L, h)
    ref = extract_patches(images.reshape(-1, *SHAPE), 3, 3, 2)              # (K, n, h)
    np.testing.assert_allclose(ours, ref.transpose(1, 0, 2))


def test_one_block_cnn_is_thm31_network_averaged(images, rng):
    """pool = 1: the baseline is Thm 3.1's network (BN over all nK patch rows) with average pooling."""
    g = PatchGeometry(SHAPE, kernel=3, stride=3, padding=2, pool=1)
    net = BNConvNet(g, 5, 2, images.shape[0], beta=0.1, seed=1, dtype=torch.float64)
    with torch.no_grad():
        net.bn.gamma.copy_(torch.as_tensor(rng.uniform(0.5, 2, 5)))
        net.bn.alpha.copy_(torch.as_tensor(rng.standard_normal(5)))
    ref = BNNetwork(net.W1.detach().numpy(), net.bn.gamma.detach().numpy(), net.bn.alpha.detach().numpy(),
                     net.W2.detach().numpy()[0])
    patches = extract_patches(images.reshape(-1, *SHAPE), 3, 3, 2)
    with torch.no_grad():
        ours = net(torch.as_tensor(images)).numpy()
    np.testing.assert_allclose(ours * g.L, ref.forward(patches), rtol=1e-10, atol=1e-12)


def _feasible(images, P=4, C=2):
    g = PatchGeometry(SHAPE, kernel=3, stride=3, padding=2, pool=2)
    spectral = SpectralMap.fit(g.patch_matrix(images))
    model = ConvexConvNet(g, spectral, P, C, beta=0.05, rho=1.0, seed=0, dtype=torch.float64)
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():  # s = c · h_i lies in its cone on every patch row
        model.S.copy_(model.H.T[None, :, :, None] * torch.rand(g.blocks, P, 1, C, generator=gen, dtype=torch.float64))
        model.S_neg.copy_(model.H.T[None, :, :, None] * torch.rand(g.blocks, P, 1, C, generator=gen,
                                                                   dtype=torch.float64) * 0.3)
    return model


def test_convex_cnn_reconstruction_reproduces_the_convex_model(images, rng):
    model = _feasible(images)
    Xt = torch.as_tensor(images)
    assert model.max_violation(Xt) == pytest.approx(0.0, abs=1e-12)
    Y = torch.as_tensor(rng.standard_normal((images.shape[0], 2)))
    assert model.penalized_objective(Xt, Y).item() == pytest.approx(model.objective(Xt, Y).item(), rel=1e-12)
    net = model.reconstruct()
    with torch.no_grad():
        np.testing.assert_allclose(net(Xt), model(Xt), rtol=1e-9, atol=1e-10)
        rescaled = 0.5 * (net(Xt) - Y).pow(2).sum() + model.beta * (
            net.W2.norm(dim=(0, 2)) * (net.bn.gamma**2 + net.bn.alpha**2).sqrt()).sum()
    assert float(rescaled) == pytest.approx(model.objective(Xt, Y).item(), rel=1e-9)


def test_truncation_applies_to_training_inputs_only(images):
    g = PatchGeometry(SHAPE, kernel=3, stride=3, padding=2, pool=2)
    trunc = SpectralMap.fit(g.patch_matrix(images), k=3)
    net = BNConvNet(g, 4, 2, images.shape[0], beta=0.1, dtype=torch.float64, truncation=trunc)
    plain = BNConvNet(g, 4, 2, images.shape[0], beta=0.1, dtype=torch.float64)
    Xt = torch.as_tensor(images)
    with torch.no_grad():
        assert not torch.allclose(net(Xt), plain(Xt))  # training mode: truncated patches
        net.eval(), plain.eval()
        net.bn.running_mean.copy_(plain.bn.running_mean), net.bn.running_var.copy_(plain.bn.running_var)
        assert torch.allclose(net(Xt), plain(Xt))     # eval mode: raw patches


def test_cheap_inference_view_equals_the_explicit_reconstruction(images, rng):
    model = _feasible(images)
    with torch.no_grad():  # leave the cones: off the training rows the network is (u's)₊, not D u's
        model.S.add_(torch.as_tensor(rng.standard_normal(model.S.shape)) * 0.1)
    X_new = torch.as_tensor(rng.standard_normal((300, images.shape[1])))  # > one chunk
    with torch.no_grad():
        np.testing.assert_allclose(model.predictor()(X_new), model.reconstruct()(X_new), rtol=1e-9, atol=1e-10)
    assert model.max_violation(torch.as_tensor(images)) > 0


def _torch_four_layer(net: DeepBNConvNet, n_rows) -> torch.nn.Sequential:
    """Fig. 5's CNN in plain torch.nn (Conv2d without bias, BatchNorm2d, ReLU, AvgPool2d; Linear), carrying
    our weights: BatchNorm2d's γ, α are ours divided by √N_l (our BN is BatchNorm2d / √N_l)."""
    layers = []
    for weight, bn, N in zip(net.convs, net.norms, n_rows, strict=True):
        conv = torch.nn.Conv2d(weight.shape[1], weight.shape[0], 3, padding=1, bias=False).double()
        norm = torch.nn.BatchNorm2d(weight.shape[0], eps=1e-300).double()
        with torch.no_grad():
            conv.weight.copy_(weight)
            norm.weight.copy_(bn.gamma / N**0.5)
            norm.bias.copy_(bn.alpha / N**0.5)
        layers += [conv, norm, torch.nn.ReLU(), torch.nn.AvgPool2d(2)]
    head = torch.nn.Linear(net.W_out.shape[0], net.W_out.shape[1], bias=False).double()
    with torch.no_grad():
        head.weight.copy_(net.W_out.T)
    return torch.nn.Sequential(torch.nn.Unflatten(1, net.image_shape), *layers, torch.nn.Flatten(), head)


def test_four_layer_cnn_is_conv_batchnorm2d_relu_avgpool_three_times_then_linear(rng):
    """Fig. 5 (App. A.2): our four-layer CNN equals its torch.nn spelling (full batch, BN over n·H_l·W_l rows),
    and its gradient matches finite differences of the objective."""
    shape, n = (2, 16, 8), 5
    X = torch.as_tensor(rng.standard_normal((n, int(np.prod(shape)))))
    Y = torch.as_tensor(np.eye(3)[rng.integers(0, 3, n)])
    net = DeepBNConvNet(shape, 4, 3, None, beta=0.1, seed=2, dtype=torch.float64)
    with torch.no_grad():
        for bn in net.norms:
            bn.gamma.uniform_(0.5, 2.0), bn.alpha.uniform_(-1.0, 1.0)
    assert [tuple(w.shape) for w in net.convs] == [(4, 2, 3, 3), (4, 4, 3, 3), (4, 4, 3, 3)]
    assert net.W_out.shape == (4 * 2 * 1, 3)  # 16×8 pooled three times: 2×1
    reference = _torch_four_layer(net, [n * 16 * 8, n * 8 * 4, n * 4 * 2])
    torch.testing.assert_close(net(X), reference(X), rtol=1e-10, atol=1e-12)
    # objective (9)'s regularizer on every BN layer and the output layer; gradient by central differences
    objective = lambda: net.objective(X, Y)  # noqa: E731
    value = objective()
    reg = sum(bn.gamma.pow(2).sum() + bn.alpha.pow(2).sum() for bn in net.norms) + net.W_out.pow(2).sum()
    torch.testing.assert_close(value, 0.5 * (net(X) - Y).pow(2).sum() + 0.05 * reg)
    value.backward()
    for param in (net.convs[1], net.norms[2].gamma, net.W_out):
        index = (0,) * param.dim()
        with torch.no_grad():
            param[index] += 1e-6
            up = objective().item()
            param[index] -= 2e-6
            down = objective().item()
            param[index] += 1e-6
        assert param.grad[index].item() == pytest.approx((up - down) / 2e-6, rel=1e-5, abs=1e-8)


def test_four_layer_cnn_needs_sides_divisible_by_eight():
    with pytest.raises(ValueError, match="multiples of 8"):
        DeepBNConvNet((3, 12, 12), 4, 2, None, beta=0.1)
