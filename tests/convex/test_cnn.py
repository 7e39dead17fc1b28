import numpy as np
import pytest

from bnconvex.convex import extract_patches, solve, solve_cnn
from bnconvex.convex.patterns import sampled_patterns
from bnconvex.linalg import compact_svd
from bnconvex.network import batch_norm

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def test_patches_shapes_and_values():
    imgs = np.arange(2 * 1 * 4 * 4, dtype=float).reshape(2, 1, 4, 4)
    p = extract_patches(imgs, kernel=2, stride=2)
    assert p.shape == (4, 2, 4)
    np.testing.assert_array_equal(p[0, 0], [0, 1, 4, 5])
    assert extract_patches(np.zeros((3, 3, 8, 8)), 3, 3, padding=2).shape == (16, 3, 27)  # Table 1's setting
    with pytest.raises(ValueError, match="does not fit"):
        extract_patches(np.zeros((1, 1, 2, 2)), 3, 1)


def test_one_patch_equal_to_the_image_reduces_to_thm_2_2(rng):
    imgs, y = rng.standard_normal((12, 1, 4, 4)), rng.standard_normal(12)
    X = imgs.reshape(12, -1)
    D = sampled_patterns(compact_svd(X).U_prime, 40, seed=0)
    cnn = solve_cnn(extract_patches(imgs, 4, 4), y, 0.2, patterns=D).certificate
    flat = solve(X, y, 0.2, patterns=D).certificate
    assert cnn["K"] == 1
    assert cnn["primal_convex"] == pytest.approx(flat["primal_convex"], rel=1e-7)
    assert cnn["lower_bound"] == pytest.approx(flat["lower_bound"], rel=1e-6)


def test_cnn_certificate_and_reconstruction(rng):
    imgs, y = rng.standard_normal((10, 2, 5, 5)), rng.standard_normal(10)
    patches = extract_patches(imgs, 3, 2)
    res = solve_cnn(patches, y, 0.2, P=30, seed=1)
    cert = res.certificate
    assert cert["K"] == 4 and cert["status"] == "optimal"
    assert cert["rel_gap"] <= 1e-6 and cert["network_rel_diff"] <= 1e-6
    assert res.network.objective(patches, y, 0.2) == pytest.approx(cert["primal_network"], rel=1e-12)
    # channel-wise BN: each filter's BN output over all nK patch rows has norm √(γ² + α²) (α/√(nK) shift)
    net = res.network
    bn = batch_norm(patches.reshape(-1, patches.shape[-1]) @ net.W1, net.gamma, net.alpha)
    np.testing.assert_allclose(np.linalg.norm(bn, axis=0), np.hypot(net.gamma, net.alpha), rtol=1e-10)
    assert cert["width"] == net.width > 0


def test_cnn_rejects_vector_targets(rng):
    with pytest.raises(ValueError, match="scalar target"):
        solve_cnn(rng.standard_normal((1, 5, 4)), rng.standard_normal((5, 2)), 0.1)
