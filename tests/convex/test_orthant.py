import numpy as np
import pytest
import torch

from bnconvex.convex import patterns, solve
from bnconvex.convex.certificate import PatternSystem, cone_max, square_dual_constraint
from bnconvex.convex.orthant import OrthantDual
from bnconvex.linalg import compact_svd

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def instance(rng, n=20, d=30, P=30, C=None):
    """n ≤ d: centred X has rank n − 1, so U' = [U, 1/√n] is square (r + 1 = n)."""
    X = rng.standard_normal((n, d))
    y = rng.standard_normal(n) if C is None else rng.standard_normal((n, C))
    return X, y, patterns(X, "sample", P=P, seed=0)


def test_agrees_with_cvxpy_and_is_feasible(rng):
    X, y, D = instance(rng)
    ref = solve(X, y, 0.3, patterns=D).certificate
    cert = solve(X, y, 0.3, patterns=D, solver="bnconvex", tol=1e-8).certificate
    assert cert["status"] == "optimal" and cert["valid"]
    assert cert["primal_convex"] == pytest.approx(ref["primal_convex"], rel=1e-6)
    assert cert["rel_gap"] <= 1e-7  # recomputed in solve() from the returned blocks
    assert cert["max_violation"] <= 1e-10
    assert cert["network_rel_diff"] <= 1e-10


def test_column_wise_vector_output(rng):
    X, Y, D = instance(rng, n=16, d=20, C=3)
    ref = solve(X, Y, 0.2, patterns=D).certificate["primal_convex"]
    cert = solve(X, Y, 0.2, patterns=D, solver="bnconvex", tol=1e-8).certificate
    assert cert["C"] == 3 and cert["primal_convex"] == pytest.approx(ref, rel=1e-6)
    # each column's dual point is scaled to feasibility on its own: still a valid bound, and a tight one
    assert cert["lower_bound"] <= ref * (1 + 1e-7) and cert["rel_gap"] <= 1e-6


def test_closed_form_dual_constraint_equals_the_nnls(rng):
    X, y, D = instance(rng, n=12, d=15, P=10)
    Up = compact_svd(X).U_prime
    v = rng.standard_normal(12)
    nnls_value = max(max(cone_max(G.T @ v, B), cone_max(-G.T @ v, B)) for G, B in PatternSystem(Up, D))
    assert square_dual_constraint(v[:, None], D) == pytest.approx(nnls_value, rel=1e-9)


def test_reported_bounds_match_an_independent_recomputation(rng):
    X, y, D = instance(rng)
    Up = compact_svd(X).U_prime
    out = OrthantDual(Up, D, y, 0.3).run(tol=1e-6)
    assert out["converged"] and out["rel_gap"] <= 1e-6
    S = out["S"].numpy()
    sign = 2 * D - 1.0
    assert min((sign * (Up @ S[k])).min() for k in range(2)) >= -1e-12  # feasible
    yhat = (D * (Up @ (S[0] - S[1]))).sum(axis=1)
    upper = 0.5 * np.sum((yhat - y) ** 2) + 0.3 * np.linalg.norm(S, axis=1).sum()
    assert upper == pytest.approx(out["upper"], rel=1e-10)
    # lower bound through the generic per-pattern NNLS, not the closed form the solver uses
    system = PatternSystem(Up, D)
    nnls_max = max(max(cone_max(G.T @ (y - yhat), B), cone_max(-G.T @ (y - yhat), B)) for G, B in system)
    v = (y - yhat) * min(1.0, 0.3 / nnls_max)
    lower = 0.5 * y @ y - 0.5 * np.sum((v - y) ** 2)
    assert lower == pytest.approx(out["lower"], rel=1e-8)
    assert lower <= upper


def test_float32_runs(rng):
    X, y, D = instance(rng)
    Up = compact_svd(X).U_prime
    out = OrthantDual(Up, D, y, 0.3, dtype=torch.float32).run(tol=1e-4)
    p_star = OrthantDual(Up, D, y, 0.3).run(tol=1e-8)["upper"]
    assert out["S"].dtype == torch.float32 and out["converged"]
    assert out["upper"] == pytest.approx(p_star, rel=2e-4)


def test_warm_start_along_a_beta_path(rng):
    X, y, D = instance(rng, n=30, d=40, P=60)
    Up = compact_svd(X).U_prime
    first = OrthantDual(Up, D, y, 0.3).run(tol=1e-7)
    warm = OrthantDual(Up, D, y, 0.25).run(tol=1e-7, warm=first["warm"], check_every=1)
    cold = OrthantDual(Up, D, y, 0.25).run(tol=1e-7, check_every=1)
    assert warm["converged"] and cold["converged"]
    assert warm["upper"] == pytest.approx(cold["upper"], rel=1e-6)
    assert warm["iterations"] < cold["iterations"]


def test_needs_a_square_u_prime(rng):
    X = rng.standard_normal((20, 3))
    with pytest.raises(ValueError, match="square"):
        OrthantDual(compact_svd(X).U_prime, patterns(X, "sample", P=5, seed=0), X[:, 0], 0.1)
