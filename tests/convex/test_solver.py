import numpy as np
import pytest
import torch

from bnconvex.convex import patterns, solve
from bnconvex.convex.certificate import PatternSystem, lower_bound
from bnconvex.convex.solver import ADMM
from bnconvex.linalg import compact_svd

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def instance(rng, n=12, d=2):
    X = rng.standard_normal((n, d)) + np.array([2.0] + [0.0] * (d - 1))
    y = np.where(X[:, 0] > 2, 1.0, -1.0) + 0.1 * rng.standard_normal(n)
    return X, y


def test_agrees_with_cvxpy_and_its_gap_is_honest(rng):
    X, y = instance(rng)
    D = patterns(X)  # complete: 2(1 + 11 + 55) = 134
    ref = solve(X, y, 0.1, patterns=D).certificate
    res = solve(X, y, 0.1, patterns=D, solver="bnconvex", tol=1e-7)
    cert = res.certificate
    assert cert["solver"] == "bnconvex" and cert["status"] == "optimal" and cert["valid"]
    assert cert["primal_convex"] == pytest.approx(ref["primal_convex"], rel=1e-6)
    # recomputed independently from the returned blocks (exact NNLS on every pattern)
    assert cert["rel_gap"] <= 1e-6
    assert cert["max_violation"] <= 1e-10  # blocks are projected exactly onto their cones
    assert cert["network_rel_diff"] <= 1e-6


def test_reported_bounds_bracket_the_optimum_and_match_a_recomputation(rng):
    X, y = instance(rng, n=10)
    D = patterns(X)
    Up = compact_svd(X).U_prime
    out = ADMM(Up, D, y, 0.1).run(tol=1e-6)
    p_star = solve(X, y, 0.1, patterns=D).certificate["primal_convex"]
    # CVXPY+Clarabel itself is accurate to ~1e-8: our feasible upper bound may sit just below its value
    assert out["lower"] <= p_star * (1 + 1e-7) and out["upper"] >= p_star * (1 - 1e-7)
    S = out["S"].numpy()
    yhat = (D * (Up @ (S[0] - S[1]))).sum(axis=1)
    upper = 0.5 * np.sum((yhat - y) ** 2) + 0.1 * np.linalg.norm(S, axis=1).sum()
    assert upper == pytest.approx(out["upper"], rel=1e-12)
    lb = lower_bound("squared", [yhat - y], y, 0.1, PatternSystem(U_prime=Up, D=D))["lower_bound"]
    assert (upper - lb) / upper <= 2e-6


def test_float32_runs(rng):
    X, y = instance(rng, n=10)
    D = patterns(X)
    Up = compact_svd(X).U_prime
    out = ADMM(Up, D, y, 0.1, dtype=torch.float32).run(tol=1e-4)
    p_star = solve(X, y, 0.1, patterns=D).certificate["primal_convex"]
    assert out["S"].dtype == torch.float32
    assert out["upper"] == pytest.approx(p_star, rel=1e-3)


def test_column_wise_vector_output(rng):
    X, _ = instance(rng, n=10)
    Y = np.eye(2)[(X[:, 1] > 0).astype(int)]
    D = patterns(X)
    ref = solve(X, Y, 0.1, patterns=D).certificate["primal_convex"]
    cert = solve(X, Y, 0.1, patterns=D, solver="bnconvex", tol=1e-7).certificate
    assert cert["C"] == 2 and cert["primal_convex"] == pytest.approx(ref, rel=1e-6)
    # each column's dual point is scaled to feasibility on its own: still a valid bound, and a tight one
    assert cert["lower_bound"] <= ref * (1 + 1e-7) and cert["rel_gap"] <= 1e-6


def test_warm_start_along_a_beta_path(rng):
    X, y = instance(rng, n=10)
    D = patterns(X)
    Up = compact_svd(X).U_prime
    first = ADMM(Up, D, y, 0.2).run(tol=1e-6)
    warm = ADMM(Up, D, y, 0.15).run(tol=1e-6, warm=first["warm"])
    cold = ADMM(Up, D, y, 0.15).run(tol=1e-6)
    assert warm["converged"] and cold["converged"]
    assert warm["upper"] == pytest.approx(cold["upper"], rel=2e-6)


def test_other_losses_are_refused(rng):
    X, y = instance(rng)
    with pytest.raises(ValueError, match="squared loss"):
        solve(X, np.sign(y), 0.1, loss="hinge", solver="bnconvex")
