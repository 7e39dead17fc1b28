"""Table 1's CNN and its convex counterpart over spatial blocks (App. A.4)."""

import numpy as np
import pytest
import torch

from bnconvex.convex import extract_patches
from bnconvex.models import SpectralMap
from bnconvex.models.cnn import BNConvNet, ConvexConvNet, PatchGeometry
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
