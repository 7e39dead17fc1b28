import numpy as np
import pytest

from bnconvex.linalg import (
    center,
    compact_svd,
    conditioning,
    gram_solve,
    k_for_variance,
    load_svd,
    spectral_stage,
    truncate,
    u_prime,
)


def test_u_prime_has_orthonormal_columns(rng):
    X = rng.standard_normal((40, 7))
    svd = compact_svd(X)
    Up = svd.U_prime
    assert Up.shape == (40, 8)
    np.testing.assert_allclose(Up.T @ Up, np.eye(8), atol=1e-12)


def test_compact_svd_reconstructs_centered_data_and_drops_null_directions(rng):
    X = rng.standard_normal((30, 3)) @ rng.standard_normal((3, 10))  # rank 3, centered rank 3
    svd = compact_svd(X)
    assert svd.rank == 3
    np.testing.assert_allclose((svd.U * svd.Sigma) @ svd.V.T, center(X), atol=1e-12)
    assert np.all(np.diff(svd.Sigma) <= 0)


def test_u_prime_appends_normalized_ones():
    Up = u_prime(np.zeros((4, 2)))
    np.testing.assert_allclose(Up[:, -1], 0.5)


def test_k_for_variance_picks_smallest_sufficient_k():
    Sigma = np.sqrt(np.array([50.0, 30.0, 15.0, 5.0]))  # energies sum to 100
    assert k_for_variance(Sigma, 0.5) == 1
    assert k_for_variance(Sigma, 0.8) == 2
    assert k_for_variance(Sigma, 0.95) == 3
    assert k_for_variance(Sigma, 0.951) == 4
    assert k_for_variance(Sigma, 1.0) == 4
    with pytest.raises(ValueError, match="variance fraction"):
        k_for_variance(Sigma, 0.0)


def test_truncation_keeps_top_k_singular_values_and_the_means(rng):
    X = rng.standard_normal((25, 6)) + 3.0
    svd = compact_svd(X)
    G = truncate(X, 2, svd)
    np.testing.assert_allclose(G.mean(axis=0), X.mean(axis=0), atol=1e-12)
    s = np.linalg.svd(center(G), compute_uv=False)
    np.testing.assert_allclose(s[:2], svd.Sigma[:2], rtol=1e-12)
    assert np.all(s[2:] < 1e-10)
    with pytest.raises(ValueError, match="truncation k"):
        truncate(X, 7, svd)


def test_gram_solve_matches_pseudo_inverse(rng):
    X = rng.standard_normal((8, 20))
    Y = rng.standard_normal((8, 3))
    np.testing.assert_allclose(gram_solve(X, Y), np.linalg.pinv(X) @ Y, atol=1e-12)


def test_gram_solve_rejects_rank_deficient_x(rng):
    X = rng.standard_normal((6, 20))
    X[5] = X[0] + X[1]
    with pytest.raises(ValueError, match="rank-deficient"):
        gram_solve(X, np.ones((6, 1)))


def test_spectral_stage_reports_its_checks(rng):
    X = rng.standard_normal((50, 12))
    arrays, summary = spectral_stage(X, 0.9)
    assert summary["rank"] == 12
    assert summary["variance_fraction_kept"] >= 0.9
    assert summary["orthonormality_error"] < 1e-12
    assert summary["reconstruction_error"] < 1e-12
    assert arrays["U_prime"].shape == (50, 13)
    assert arrays["X_truncated"].shape == X.shape


def test_load_svd_returns_the_spectral_stages_svd_and_refuses_another_datas(rng, tmp_path):
    from bnconvex.io import save_npz

    X = rng.standard_normal((30, 8))
    arrays, _ = spectral_stage(X, 0.9)
    save_npz(tmp_path / "svd.npz", **arrays)
    svd, direct = load_svd(tmp_path / "svd.npz", X), compact_svd(X)
    for name in ("U", "Sigma", "V"):
        np.testing.assert_array_equal(getattr(svd, name), getattr(direct, name))
    with pytest.raises(ValueError, match="column means differ"):
        load_svd(tmp_path / "svd.npz", X + 1.0)
    with pytest.raises(ValueError, match="8-column data"):
        load_svd(tmp_path / "svd.npz", X[:, :5])
    with pytest.raises(ValueError, match="30 rows"):
        load_svd(tmp_path / "svd.npz", np.vstack([X, X.mean(axis=0)]))


def test_conditioning_is_the_ratio_of_the_extreme_singular_values_of_the_centered_data(rng):
    n, d = 40, 5
    Q, _ = np.linalg.qr(center(rng.standard_normal((n, d))))   # orthonormal columns, each orthogonal to 1
    V, _ = np.linalg.qr(rng.standard_normal((d, d)))
    Sigma = np.array([50.0, 20.0, 3.0, 0.5, 0.25])
    X = Q @ np.diag(Sigma) @ V.T + 7.0                          # a shift: centering removes it
    c = conditioning(X)
    assert c["condition_number"] == pytest.approx(200.0, rel=1e-10)
    assert (c["n"], c["d"], c["rank"]) == (n, d, d)
    assert c["sigma_max"] == pytest.approx(50.0) and c["sigma_min"] == pytest.approx(0.25)
    # a null direction is not the minimum: σ_min is over the numerical rank, as U, Σ, V keep it
    X0 = np.hstack([X, X[:, :1] + X[:, 1:2]])
    assert conditioning(X0)["rank"] == d and conditioning(X0)["condition_number"] < 1e6
    assert spectral_stage(X, 0.9)[1]["condition_number"] == pytest.approx(200.0, rel=1e-10)


def test_gram_solve_names_identical_rows_as_the_cause(rng):
    X = rng.standard_normal((6, 10))
    X[4] = X[1]
    with pytest.raises(ValueError, match=r"rank-deficient.*1 of its 6 rows repeat earlier ones \(first at rows 1\)"):
        gram_solve(X, np.ones(6))
