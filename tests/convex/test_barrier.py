import numpy as np
import pytest
import torch

from bnconvex.convex import patterns, solve
from bnconvex.convex.barrier import InteriorPoint, interior_directions
from bnconvex.convex.certificate import PatternSystem, lower_bound
from bnconvex.linalg import compact_svd

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def instance(rng, n=40, d=3, P=30):
    """n > d + 1: U' is n×(r+1), not square (the interior-point path)."""
    X = rng.standard_normal((n, d))
    y = np.sign(X[:, 0]) + 0.1 * rng.standard_normal(n)
    return X, y, patterns(X, "sample", P=P, seed=0)


def test_agrees_with_cvxpy_and_is_strictly_feasible(rng):
    X, y, D = instance(rng)
    ref = solve(X, y, 0.1, patterns=D).certificate
    cert = solve(X, y, 0.1, patterns=D, solver="bnconvex", tol=1e-6).certificate
    assert cert["status"] == "optimal" and cert["valid"]
    assert cert["primal_convex"] == pytest.approx(ref["primal_convex"], rel=1e-6)
    assert cert["rel_gap"] <= 1e-6  # recomputed in solve() by exact NNLS on every pattern
    assert cert["max_violation"] <= 0.0  # interior iterates: every cone constraint strictly satisfied
    assert cert["network_rel_diff"] <= 1e-8


def test_reported_bounds_match_an_independent_recomputation(rng):
    X, y, D = instance(rng, n=30)
    Up = compact_svd(X).U_prime
    out = InteriorPoint(Up, D, y, 0.1).run(tol=1e-6)
    assert out["converged"]
    S = out["S"].numpy()
    yhat = (D * (Up @ (S[0] - S[1]))).sum(axis=1)
    upper = 0.5 * np.sum((yhat - y) ** 2) + 0.1 * np.linalg.norm(S, axis=1).sum()
    assert upper == pytest.approx(out["upper"], rel=1e-12)
    exact = lower_bound("squared", [yhat - y], y, 0.1, PatternSystem(U_prime=Up, D=D))["lower_bound"]
    assert out["lower"] <= exact * (1 + 1e-12)  # the solver's bound is valid: never above the exact one
    assert (upper - exact) / upper <= 1e-6


def test_the_gap_test_can_fail(rng):
    """Stopped after two steps the certified gap is large, and it is reported as not converged."""
    X, y, D = instance(rng, n=30)
    out = InteriorPoint(compact_svd(X).U_prime, D, y, 0.1).run(tol=1e-6, max_iter=2)
    assert not out["converged"] and out["rel_gap"] > 1e-3


def test_float32_runs(rng):
    X, y, D = instance(rng)
    Up = compact_svd(X).U_prime
    out = InteriorPoint(Up, D, y, 0.1, dtype=torch.float32).run(tol=1e-3)
    p_star = solve(X, y, 0.1, patterns=D).certificate["primal_convex"]
    assert out["S"].dtype == torch.float32
    assert out["upper"] == pytest.approx(p_star, rel=2e-3)


def test_warm_start_along_a_beta_path(rng):
    X, y, D = instance(rng)
    Up = compact_svd(X).U_prime
    first = InteriorPoint(Up, D, y, 0.2).run(tol=1e-6)
    warm = InteriorPoint(Up, D, y, 0.15).run(tol=1e-6, warm=first["warm"])
    cold = InteriorPoint(Up, D, y, 0.15).run(tol=1e-6)
    assert warm["converged"] and cold["converged"]
    assert warm["upper"] == pytest.approx(cold["upper"], rel=2e-6)


def test_interior_directions_are_strictly_inside_every_cone(rng):
    X = rng.standard_normal((50, 4))
    Up = compact_svd(X).U_prime
    D = patterns(X, "sample", P=40, seed=1)
    H = interior_directions(torch.as_tensor(Up), torch.as_tensor(D, dtype=torch.float64))
    margins = (2 * D - 1) * (Up @ H.numpy())
    assert margins.min() > 0
    assert np.allclose(np.linalg.norm(H.numpy(), axis=0), 1)


def test_a_pattern_without_interior_is_refused(rng):
    X = rng.standard_normal((20, 2))
    Up = compact_svd(X).U_prime
    D = patterns(X, "sample", P=5, seed=0)
    D[:, 0] = np.arange(20) % 2 == 0  # alternate rows of random 2-D points: no half-plane realizes them
    with pytest.raises(ValueError, match="empty interior"):
        InteriorPoint(Up, D, X[:, 0], 0.1).run()
