"""The certificates' dual constraint: batched multiplier bounds (any λ ≥ 0 bounds a cone maximum from above)
refined by NNLS where they bind, against NNLS on every pattern."""

import numpy as np
import pytest
import torch

from bnconvex.convex import patterns, solve
from bnconvex.convex.certificate import PatternSystem, cone_max, dual_constraint, multiplier_bounds, project_on_cones
from bnconvex.linalg import compact_svd


def system(rng, n=60, d=6, P=80):
    X = rng.standard_normal((n, d)) * np.linspace(3, 0.3, d)
    D = patterns(X, "sample", P=P, seed=1)
    return X, compact_svd(X).U_prime, D


def exact_maxima(Up, D, v):
    """max_{s ∈ K_i, ‖s‖ ≤ 1} vᵀ D_i U' s per pattern, by NNLS."""
    return np.array([cone_max(Up.T @ (D[:, i] * v), np.where(D[:, i, None], Up, -Up)) for i in range(D.shape[1])])


@pytest.mark.parametrize("iters", [0, 5, 200])
def test_multiplier_bounds_never_fall_below_the_cone_maximum_and_tighten_with_iterations(rng, iters):
    _, Up, D = system(rng)
    v = rng.standard_normal(Up.shape[0])
    exact = exact_maxima(Up, D, v)
    u = multiplier_bounds(Up, D.astype(float), np.broadcast_to(v[:, None], D.shape), iters=iters)
    assert np.all(u >= exact - 1e-12)  # sound whatever the multipliers
    if iters == 200:
        top = exact > 0.1 * exact.max()
        assert np.median((u[top] - exact[top]) / exact[top]) < 1e-3


def test_a_floor_stops_iterating_only_pairs_already_below_it(rng):
    _, Up, D = system(rng)
    v = rng.standard_normal(Up.shape[0])
    A = np.broadcast_to(v[:, None], D.shape)
    full = multiplier_bounds(Up, D.astype(float), A, iters=200)
    floor = np.quantile(full, 0.7)
    cut = multiplier_bounds(Up, D.astype(float), A, iters=200, floor=floor, chunk=Up.shape[0] * 7)  # 7 per chunk
    assert np.all(cut >= exact_maxima(Up, D, v) - 1e-12)
    assert np.allclose(cut[full > floor * 1.01], full[full > floor * 1.01], rtol=1e-6)


def test_batched_dual_constraint_matches_nnls_on_every_pattern_at_a_near_optimal_dual_point(rng):
    """At the optimum many patterns bind (their constraint equals β): the case that needs refinement."""
    X, Up, D = system(rng)
    y = np.sign(X[:, 0]) + 0.1 * rng.standard_normal(X.shape[0])
    res = solve(X, y, 0.1, patterns=D, solver="bnconvex")
    v = y - (D * (Up @ (res.S[0] - res.S_neg[0]))).sum(axis=1)  # blocks C×(r+1)×P, C = 1
    S = PatternSystem(U_prime=Up, D=D)
    serial, batched = dual_constraint(v, S, batched=False), dual_constraint(v, S)
    assert serial * (1 - 1e-12) <= batched <= serial * (1 + 1e-9)
    assert abs(serial - 0.1) < 1e-3  # the solution is near-optimal: the constraint is nearly tight
    V = np.c_[v, rng.standard_normal(X.shape[0])]  # column by column
    assert dual_constraint(V, S) == pytest.approx(dual_constraint(V, S, batched=False), rel=1e-9)


def test_batched_dual_constraint_of_a_pooled_system_thm31(rng):
    """Thm 3.1: G_i = S (D_i U') sum-pools K row blocks, so G_iᵀv = U'ᵀ D_i [v; …; v]."""
    K, n, k, P = 3, 10, 5, 25
    Up = np.linalg.qr(rng.standard_normal((K * n, k)))[0]
    D = rng.random((K * n, P)) < 0.5
    S = PatternSystem(U_prime=Up, D=D, K=K)
    v = rng.standard_normal(n)
    assert dual_constraint(v, S) == pytest.approx(dual_constraint(v, S, batched=False), rel=1e-9)


def test_a_float32_search_still_gives_sound_float64_bounds_and_warm_multipliers_are_used(rng):
    _, Up, D = system(rng)
    v = rng.standard_normal(Up.shape[0])
    A = np.broadcast_to(v[:, None], D.shape)
    exact = exact_maxima(Up, D, v)
    u32, lam = multiplier_bounds(Up, D.astype(float), A, iters=200, work_dtype=torch.float32, return_lam=True)
    assert u32.dtype == np.float64 and np.all(u32 >= exact - 1e-12)  # evaluated in float64 at the λ found
    top = exact > 0.1 * exact.max()
    assert np.median((u32[top] - exact[top]) / exact[top]) < 1e-3
    # the λ returned reproduces its bounds, and a warm start from it needs no iteration to match them
    again = multiplier_bounds(Up, D.astype(float), A, iters=0, lam0=lam)
    assert np.all(again <= u32 * (1 + 1e-12))


def test_projection_on_cones_matches_the_nnls_projection(rng):
    _, Up, D = system(rng, P=12)
    sign = 2 * D.astype(float) - 1
    S = rng.standard_normal((Up.shape[1], D.shape[1]))
    X, lam = project_on_cones(torch.as_tensor(Up), torch.as_tensor(S), torch.as_tensor(sign), iters=5000)
    from scipy.optimize import nnls
    for j in range(D.shape[1]):
        B = sign[:, j, None] * Up
        mu, _ = nnls(B.T, -S[:, j], maxiter=5000)  # Moreau: Π_K(s) = s + Bᵀμ*
        assert np.allclose(X[:, j].numpy(), S[:, j] + B.T @ mu, atol=1e-5)
    assert (lam >= 0).all()
    inside, _ = project_on_cones(torch.as_tensor(Up), torch.as_tensor(S), torch.as_tensor(sign), iters=5000,
                                 margin=1e-2)
    margins = sign * (Up @ inside.numpy())
    assert margins.min() > 0  # a margin puts the inexact projection strictly inside the cone


def test_above_the_exact_size_limit_the_dual_constraint_is_fista_only_and_still_sound(rng, monkeypatch):
    from bnconvex.convex import certificate

    _, Up, D = system(rng)
    v = rng.standard_normal(Up.shape[0])
    S = PatternSystem(U_prime=Up, D=D)
    exact = dual_constraint(v, S, batched=False)
    monkeypatch.setattr(certificate, "EXACT_MAX_ENTRIES", 0)  # every system is "large": no NNLS at all
    monkeypatch.setattr(certificate, "cone_max", lambda *a: pytest.fail("NNLS ran above the size limit"))
    fista_only = dual_constraint(v, S)
    assert exact * (1 - 1e-12) <= fista_only <= exact * (1 + 1e-2)
