"""Our solvers (bnconvex.convex.solvers) against one contract, parametrized over the methods, then what is
specific to each method."""

from functools import cache

import numpy as np
import pytest
import torch

from bnconvex.convex import patterns, solve
from bnconvex.convex.certificate import PatternSystem, cone_max, lower_bound, square_dual_constraint
from bnconvex.convex.solvers import METHODS, OrthantDual, SolverResult, choose_own_method
from bnconvex.convex.solvers.interior_point import interior_directions
from bnconvex.linalg import compact_svd

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@cache
def instance(method):
    """Tiny seeded problems: U' square (n ≤ d) for the orthant dual, n×(r+1) with r + 1 < n for the others."""
    rng = np.random.default_rng(12345)
    if method == "orthant":
        X, beta = rng.standard_normal((10, 12)), 0.3
        y = rng.standard_normal(10)
    else:
        X, beta = rng.standard_normal((12, 2)), 0.1
        y = np.sign(X[:, 0]) + 0.1 * rng.standard_normal(12)
    D = patterns(X, "sample", P=20, seed=0)
    return X, y, D, compact_svd(X).U_prime, beta


@cache
def clarabel(method, vector=False):
    """The certificate of CVXPY + Clarabel on the same program (accurate to ~1e-8)."""
    X, y, D, _, beta = instance(method)
    return solve(X, np.c_[y, 1 - y] if vector else y, beta, patterns=D).certificate


def run(method, beta=None, **options):
    X, y, D, Up, b = instance(method)
    dtype = options.pop("dtype", torch.float64)
    return METHODS[method](Up, D, y, b if beta is None else beta, dtype=dtype).run(**options)


def recomputed(method, S):
    """ŷ, the objective and the cone margins of blocks S (2, r+1, P), from the data alone."""
    X, y, D, Up, beta = instance(method)
    yhat = (D * (Up @ (S[0] - S[1]))).sum(axis=1)
    margins = np.stack([(2 * D - 1.0) * (Up @ S[k]) for k in range(2)])
    return yhat, 0.5 * np.sum((yhat - y) ** 2) + beta * np.linalg.norm(S, axis=1).sum(), margins


@pytest.mark.parametrize("method", METHODS)
def test_result_is_typed_feasible_and_its_bounds_are_honest(method):
    X, y, D, Up, beta = instance(method)
    out = run(method, tol=1e-6)
    assert isinstance(out, SolverResult) and out.converged and out.rel_gap <= 1e-6
    assert out.S.shape == (2, Up.shape[1], D.shape[1]) and out.S.dtype == torch.float64
    assert out.iterations >= 1 and out.time_s > 0 and out.dual_constraint <= beta * (1 + 1e-9)
    S = out.S.numpy()
    yhat, upper, margins = recomputed(method, S)
    assert margins.min() >= -1e-10  # primal feasible: the upper bound is the objective of a feasible point
    assert upper == pytest.approx(out.upper, rel=1e-10)
    p_star = clarabel(method)["primal_convex"]
    assert out.lower <= p_star * (1 + 1e-7) and out.upper >= p_star * (1 - 1e-7)
    # an independent certificate of the returned blocks (exact NNLS on every pattern) is as tight
    exact = lower_bound("squared", [yhat - y], y, beta, PatternSystem(U_prime=Up, D=D))["lower_bound"]
    assert (upper - exact) / upper <= 2e-6
    if out.dual is not None:  # the solver's own bound never exceeds the exact one of its dual point
        own = lower_bound("squared", [-out.dual.numpy()], y, beta, PatternSystem(U_prime=Up, D=D))["lower_bound"]
        assert out.lower <= own + 1e-12 * abs(own)


@pytest.mark.parametrize("method", METHODS)
def test_solve_with_the_method_agrees_with_clarabel(method):
    X, y, D, _, beta = instance(method)
    cert = solve(X, y, beta, patterns=D, solver="bnconvex", method=method, tol=1e-7).certificate
    ref = clarabel(method)
    assert cert["solver"] == "bnconvex" and cert["status"] == "optimal" and cert["valid"]
    assert cert["primal_convex"] == pytest.approx(ref["primal_convex"], rel=1e-6)
    assert cert["rel_gap"] <= 1e-6  # recomputed in solve() from the returned blocks
    assert cert["max_violation"] <= 1e-10 and cert["network_rel_diff"] <= 1e-6


@pytest.mark.parametrize("method", METHODS)
def test_column_wise_vector_output(method):
    X, y, D, _, beta = instance(method)
    cert = solve(X, np.c_[y, 1 - y], beta, patterns=D, solver="bnconvex", method=method, tol=1e-7).certificate
    ref = clarabel(method, vector=True)["primal_convex"]
    assert cert["C"] == 2 and cert["primal_convex"] == pytest.approx(ref, rel=1e-6)
    # each column's dual point is scaled to feasibility on its own: still a valid bound, and a tight one
    assert cert["lower_bound"] <= ref * (1 + 1e-7) and cert["rel_gap"] <= 1e-6


@pytest.mark.parametrize("method", METHODS)
def test_stopped_early_it_reports_the_gap_and_no_convergence(method):
    X, y, D, _, beta = instance(method)
    out = run(method, tol=1e-6, max_iter=2)
    assert not out.converged and out.rel_gap > 1e-3
    cert = solve(X, y, beta, patterns=D, solver="bnconvex", method=method, max_iter=2).certificate
    assert cert["status"] == "not_converged" and cert["valid"] is False


@pytest.mark.parametrize("method", METHODS)
def test_float32_runs(method):
    out = run(method, tol=1e-4, dtype=torch.float32)
    certified = torch.float64 if method == "admm" else torch.float32  # ADMM: float32 iterations, float64 bounds
    assert out.S.dtype == certified and out.converged
    assert out.upper == pytest.approx(clarabel(method)["primal_convex"], rel=2e-4)


@pytest.mark.parametrize("method", METHODS)
def test_warm_start_along_a_beta_path(method):
    beta = instance(method)[-1]
    # ADMM: certificates whenever due, not timed, so the iteration counts compared do not depend on the load
    schedule = {"cert_time_share": 0.0} if method == "admm" else {}
    first = run(method, tol=1e-6, **schedule)
    warm = run(method, 0.8 * beta, tol=1e-6, warm=first.warm, **schedule)
    cold = run(method, 0.8 * beta, tol=1e-6, **schedule)
    assert warm.converged and cold.converged
    assert warm.upper == pytest.approx(cold.upper, rel=2e-6)
    if method != "ipm":  # an interior point must re-centre: its warm start saves little (not asserted)
        assert warm.iterations < cold.iterations


def test_auto_dispatch_and_refusals(rng):
    assert choose_own_method(10, 10, 20) == "orthant"
    assert choose_own_method(12, 3, 20) == "ipm"
    assert choose_own_method(60_000, 785, 1000) == "admm"  # the interior point's blocks would not fit
    X, y, D, _, beta = instance("ipm")
    with pytest.raises(ValueError, match="method must be"):
        solve(X, y, beta, patterns=D, solver="bnconvex", method="newton")
    with pytest.raises(ValueError, match="squared loss"):
        solve(X, np.sign(y), beta, loss="hinge", solver="bnconvex")


# --- orthant dual (U' square) -------------------------------------------------------------------------------

def test_orthant_closed_form_dual_constraint_equals_the_nnls(rng):
    _, _, D, Up, _ = instance("orthant")
    v = rng.standard_normal(Up.shape[0])
    nnls_value = max(max(cone_max(G.T @ v, B), cone_max(-G.T @ v, B)) for G, B in PatternSystem(Up, D))
    assert square_dual_constraint(v[:, None], D) == pytest.approx(nnls_value, rel=1e-9)


def test_orthant_lower_bound_is_exact_for_its_dual_point():
    """With U' square the solver's closed-form bound is the exact one (the generic NNLS gives the same)."""
    X, y, D, Up, beta = instance("orthant")
    out = run("orthant", tol=1e-6)
    yhat, _, _ = recomputed("orthant", out.S.numpy())
    exact = lower_bound("squared", [yhat - y], y, beta, PatternSystem(Up, D))["lower_bound"]
    assert exact == pytest.approx(out.lower, rel=1e-8)


def test_orthant_needs_a_square_u_prime():
    X, y, D, Up, beta = instance("ipm")
    with pytest.raises(ValueError, match="square"):
        OrthantDual(Up, D, y, beta)


# --- interior point ----------------------------------------------------------------------------------------

def test_interior_point_iterates_are_strictly_feasible():
    _, _, margins = recomputed("ipm", run("ipm", tol=1e-6).S.numpy())
    assert margins.min() > 0


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
    with pytest.raises(ValueError, match="empty interior"):  # the perceptron gives up, the LP proves it
        interior_directions(torch.as_tensor(Up), torch.as_tensor(D, dtype=torch.float64), steps=20)


# --- ADMM on rows (r + 1 < n, large n) -------------------------------------------------------------------------

def test_row_prox_solves_its_row_separable_problem(rng):
    """z-update of the ADMM: ½‖Σ_i D_i(z_i − z'_i) − y‖² + ρ/2‖z − C‖² over the orthants, against Clarabel."""
    import cvxpy as cp

    from bnconvex.convex.solvers.admm import row_prox

    n, P, rho = 7, 5, 0.7
    D = (rng.random((n, P)) < 0.5).astype(float)
    C, y = rng.standard_normal((2, n, P)), rng.standard_normal(n)
    z, t = row_prox(torch.as_tensor(C), torch.as_tensor(D), torch.as_tensor(y), rho, torch.zeros(n), 1e-12)
    z = z.numpy()
    Z0, Z1 = cp.Variable((n, P)), cp.Variable((n, P))
    sign = 2 * D - 1
    fit = cp.sum(cp.multiply(D, Z0 - Z1), axis=1)
    cost = 0.5 * cp.sum_squares(fit - y) + rho / 2 * (cp.sum_squares(Z0 - C[0]) + cp.sum_squares(Z1 - C[1]))
    prob = cp.Problem(cp.Minimize(cost),
                      [cp.multiply(sign, Z0) >= 0, cp.multiply(sign, Z1) >= 0])
    prob.solve(solver=cp.CLARABEL)
    ours = 0.5 * np.sum(((D * (z[0] - z[1])).sum(1) - y) ** 2) + rho / 2 * np.sum((z - C) ** 2)
    assert (sign * z).min() >= 0
    assert ours <= prob.value + 1e-8 and ours == pytest.approx(prob.value, rel=1e-7)
    assert np.allclose(t.numpy(), (D * (z[0] - z[1])).sum(1) - y)  # t: the rows' residuals


def test_admm_float32_iterations_float64_certificates():
    X, y, D, Up, beta = instance("admm")
    out = run("admm", tol=1e-4)  # tol ≥ 1e-5: float32 iterations
    assert out.extra["iter_dtype"] == "float32" and out.S.dtype == torch.float64 and out.converged
    _, upper, margins = recomputed("admm", out.S.numpy())
    p_star = clarabel("admm")["primal_convex"]
    assert margins.min() >= 0 and upper == pytest.approx(out.upper, rel=1e-12)
    assert out.lower <= p_star * (1 + 1e-9) <= out.upper * (1 + 2e-9)


def test_admm_trace_is_monotone_and_it_holds_no_n_by_n_matrix():
    X, y, D, Up, beta = instance("admm")
    seen = []
    solver = METHODS["admm"](Up, D, y, beta)
    out = solver.run(tol=1e-7, progress=lambda it, t, up, lo, rho: seen.append((up, lo)))
    ups, los = np.array([u for u, _ in seen]), np.array([lo for _, lo in seen])
    assert len(seen) == len(out.extra["trace"]) >= 2
    assert np.all(np.diff(ups) <= 0) and np.all(np.diff(los) >= 0)  # best bounds so far
    n = Up.shape[0]
    shapes = [v.shape for v in vars(solver).values() if isinstance(v, torch.Tensor)]
    assert all(s.count(n) <= 1 for s in shapes)  # memory O(nP + n(r+1))


def test_admm_repair_makes_any_blocks_feasible_and_rescaling_never_hurts(rng):
    X, y, D, Up, beta = instance("admm")
    solver = METHODS["admm"](Up, D, y, beta)
    S = torch.as_tensor(rng.standard_normal((2, Up.shape[1], D.shape[1])))
    S[:, :, :3] = 0  # empty blocks stay empty
    feasible = solver.feasible(S, iters=50)
    _, _, margins = recomputed("admm", feasible.numpy())
    assert margins.min() >= 0 and torch.all(feasible[:, :, :3] == 0)
    scaled = solver.rescale(feasible)
    assert solver.objective(scaled) <= solver.objective(feasible)
    ratio = scaled / torch.where(feasible == 0, torch.ones_like(feasible), feasible)
    assert torch.all(ratio >= 0)  # a ≥ 0 per block: cones are closed under it
