"""The one reconstruction (bnconvex.convex.reconstruct) on blocks of a small solve, and on hand-made blocks."""

import numpy as np
import pytest

from bnconvex.convex import patterns, solve
from bnconvex.convex.reconstruct import reconstruct, signed_classes
from bnconvex.linalg import compact_svd

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def test_blocks_of_a_solve_give_a_network_whose_objective_9_is_the_convex_one(rng):
    X, y = rng.standard_normal((8, 3)), rng.standard_normal(8)
    beta = 0.2
    res = solve(X, y, beta, patterns=patterns(X, "sample", P=30, seed=0))
    svd, P = compact_svd(X), res.S.shape[2]
    blocks = np.concatenate([res.S[0].T, res.S_neg[0].T])
    net = reconstruct(blocks, signed_classes(np.r_[np.ones(P), -np.ones(P)], np.zeros(2 * P), 1), svd.V, svd.Sigma)
    assert net.objective(X, y, beta) == pytest.approx(res.certificate["primal_convex"], rel=1e-6)
    # one neuron per block above the dust, and each neuron is (BN(X w1))₊ = D_j U' s_j / ‖s_j‖ on the data
    # (checked on the blocks well above the solver's tolerance: tiny ones amplify it by 1/‖s_j‖)
    norms = np.linalg.norm(blocks, axis=1)
    kept = np.flatnonzero(norms > 1e-8 * norms.max())
    assert net.width == kept.size > 0
    big = norms[kept] > 1e-3 * norms.max()
    j = kept[big]
    expected = np.concatenate([res.patterns, res.patterns], axis=1)[:, j] * (svd.U_prime @ blocks[j].T) / norms[j]
    hidden = net.hidden(X) / np.hypot(net.gamma, net.alpha)
    np.testing.assert_allclose(hidden[:, big], expected, atol=1e-6)


def test_dust_drops_tiny_blocks_and_rescale_keeps_f(rng):
    X = rng.standard_normal((6, 2))
    svd = compact_svd(X)
    S = np.array([[1.0, 0.5, 0.2], [1e-10, 0.0, 0.0], [0.0, -2.0, 1.0]])
    E = signed_classes(np.array([1.0, -1.0, -1.0]), np.array([0, 1, 1]), 2)
    kept = reconstruct(S, E, svd.V, svd.Sigma)
    assert kept.width == 2 and reconstruct(S, E, svd.V, svd.Sigma, dust=0).width == 3
    raw = reconstruct(S, E, svd.V, svd.Sigma, rescale=False)
    np.testing.assert_allclose(raw.forward(X), kept.forward(X), atol=1e-12)
    np.testing.assert_allclose(np.hypot(raw.gamma, raw.alpha), 1.0)  # [γ; α] = [‖s_{1:r}‖; s_{r+1}] / ‖s‖
    np.testing.assert_allclose(raw.W2, [[np.linalg.norm(S[0]), 0.0], [0.0, -np.linalg.norm(S[2])]])


def test_a_given_w1_is_used_as_is_bn_after_relu(rng):
    S = np.array([[3.0, 4.0], [0.0, 0.0], [0.0, 2.0]])
    W1 = rng.standard_normal((5, 3))
    net = reconstruct(S, np.array([[1.0], [1.0], [-1.0]]), W1=W1, bn_after_relu=True, rescale=False)
    assert net.bn_after_relu and net.width == 2
    np.testing.assert_array_equal(net.W1, W1[:, [0, 2]])  # the zero block is dropped with its column
    np.testing.assert_allclose(net.gamma, [0.6, 0.0])
    np.testing.assert_allclose(net.alpha, [0.8, 1.0])
    np.testing.assert_allclose(net.W2[:, 0], [5.0, -2.0])
