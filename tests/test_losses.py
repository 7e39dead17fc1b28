"""The convex losses of bnconvex.losses, directly: Fenchel–Young at the gradient, conjugate domains, gradients."""

import numpy as np
import pytest
from scipy.special import softmax

from bnconvex import losses

LOSSES = ["squared", "hinge", "logistic", "cross_entropy"]


def data(loss, rng, n=7, C=3):
    if loss == "cross_entropy":
        return rng.standard_normal((n, C)), np.eye(C)[rng.integers(0, C, n)]
    y = rng.standard_normal(n) if loss == "squared" else rng.choice([-1.0, 1.0], n)
    return rng.standard_normal(n), y


@pytest.mark.parametrize("loss", LOSSES)
def test_fenchel_young_equality_at_the_gradient(rng, loss):
    """L(u) + L*(∇L(u)) = ⟨u, ∇L(u)⟩: the gradient is where the dual candidates of the certificates start."""
    for _ in range(5):
        u, y = data(loss, rng)
        if loss == "hinge":
            u = u + 0.01 * np.sign(1 - y * u)  # away from the kink, where the subgradient is not unique
        g = losses.gradient(loss, u, y)
        assert losses.value(loss, u, y) + losses.conjugate(loss, g, y) == pytest.approx(np.sum(u * g), abs=1e-10)


@pytest.mark.parametrize("loss", LOSSES)
def test_fenchel_young_inequality_elsewhere(rng, loss):
    u, y = data(loss, rng)
    v = losses.project_dual(loss, rng.standard_normal(u.shape), y)
    assert losses.value(loss, u, y) + losses.conjugate(loss, v, y) >= np.sum(u * v) - 1e-12


@pytest.mark.parametrize("loss", ["hinge", "logistic", "cross_entropy"])
def test_conjugate_is_infinite_outside_its_domain_and_finite_inside(rng, loss):
    u, y = data(loss, rng)
    inside = losses.project_dual(loss, 3 * rng.standard_normal(u.shape), y)
    assert np.isfinite(losses.conjugate(loss, inside, y))
    if loss == "cross_entropy":  # v + y must be a probability vector in each row
        outside = [inside + 0.1, inside - 2 * (inside + y)]  # rows sum to 1.3; or negative entries
    else:  # −y v must lie in [0, 1]
        outside = [-1.5 * y, 0.5 * y]
    for v in outside:
        assert losses.conjugate(loss, v, y) == np.inf
    assert losses.conjugate(loss, np.zeros_like(u) if loss != "cross_entropy" else softmax(u, axis=1) - y, y) < np.inf


def test_squared_conjugate_is_finite_everywhere(rng):
    u, y = data("squared", rng)
    assert losses.conjugate("squared", 1e6 * u, y) == pytest.approx(0.5e12 * u @ u + 1e6 * u @ y)


@pytest.mark.parametrize("loss", LOSSES)
def test_gradient_matches_finite_differences(rng, loss):
    u, y = data(loss, rng)
    if loss == "hinge":
        u = u + 0.1 * np.sign(1 - y * u)  # finite differences need a margin from the kink
    g, h = losses.gradient(loss, u, y), 1e-6
    fd = np.zeros_like(u)
    for idx in np.ndindex(u.shape):
        e = np.zeros_like(u)
        e[idx] = h
        fd[idx] = (losses.value(loss, u + e, y) - losses.value(loss, u - e, y)) / (2 * h)
    np.testing.assert_allclose(g, fd, atol=1e-6)


@pytest.mark.parametrize("loss", LOSSES)
def test_cvxpy_expression_has_the_same_value(rng, loss):
    u, y = data(loss, rng)
    assert losses.cvxpy_expr(loss, u, y).value == pytest.approx(losses.value(loss, u, y), rel=1e-12)


def test_targets_are_checked():
    with pytest.raises(ValueError, match="labels y in"):
        losses.check_targets("hinge", np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="one-hot"):
        losses.check_targets("cross_entropy", np.array([[0.5, 0.5]]))
    with pytest.raises(ValueError, match="vector output"):
        losses.check_targets("cross_entropy", np.array([1.0, 0.0]))
