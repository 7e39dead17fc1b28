import numpy as np
import pytest

from bnconvex.convex.patterns import (
    count_patterns,
    network_patterns,
    no_bias_patterns,
    patterns,
    unique_columns,
)


def as_set(D):
    return {tuple(col) for col in D.T}


@pytest.mark.parametrize("n, d", [(12, 1), (20, 2), (30, 2), (40, 2), (20, 3)])
def test_exact_enumeration_matches_the_count_formula(rng, n, d):
    D = patterns(rng.standard_normal((n, d)), method="exact")
    assert D.shape == (n, count_patterns(n, d))
    assert len(as_set(D)) == D.shape[1]


def test_count_formula_values():
    # docs/formulas.md: 382, 872, 1562, 2320 at (n, d) = (20,2), (30,2), (40,2), (20,3)
    assert [count_patterns(20, 2), count_patterns(30, 2), count_patterns(40, 2), count_patterns(20, 3)] == [
        382, 872, 1562, 2320]


def test_sampled_and_network_patterns_are_among_the_exact_ones(rng):
    X = rng.standard_normal((20, 2))
    exact = as_set(patterns(X))
    sampled = patterns(X, method="sample", P=5000, seed=0)
    assert as_set(sampled) <= exact
    assert sampled.shape[1] < len(exact)  # sampling misses some (docs/formulas.md: 368 of 382 at 200,000)
    W1, gamma, alpha = rng.standard_normal((2, 7)), rng.standard_normal(7), rng.standard_normal(7)
    assert as_set(network_patterns(X, W1, gamma, alpha)) <= exact
    extra = patterns(X, method="sample", P=10, seed=1, extra=network_patterns(X, W1, gamma, alpha))
    assert as_set(network_patterns(X, W1, gamma, alpha)) <= as_set(extra)


def test_sampling_is_seeded(rng):
    X = rng.standard_normal((25, 3))
    a, b = patterns(X, "sample", P=100, seed=3), patterns(X, "sample", P=100, seed=3)
    np.testing.assert_array_equal(a, b)


def test_no_bias_patterns_are_a_strict_subset(rng):
    X = rng.standard_normal((15, 2)) + 2.0
    with_bias = as_set(patterns(X))
    without = as_set(no_bias_patterns(X, 20000))
    assert without < with_bias


def test_unique_columns_removes_duplicates():
    D = np.array([[1, 1, 0], [0, 0, 1]], dtype=bool)
    assert unique_columns(D).shape == (2, 2)


def test_bad_method_and_size_are_named(rng):
    with pytest.raises(ValueError, match="method must be"):
        patterns(rng.standard_normal((5, 2)), method="all")
    with pytest.raises(ValueError, match="r \\+ 1 ≤ 4"):
        patterns(rng.standard_normal((10, 5)), method="exact")
