"""Hyperplane arrangements: the sign patterns ``D_i`` of the convex programs.

⚠ (docs/formulas.md) The patterns of a BN-before-ReLU network are ``1[U' s ≥ 0]`` for ``s ∈ R^{r+1}``: the
patterns of the centered data *with a bias*, ``1[Pc X w + b ≥ 0]``. The printed ``1[Xw ≥ 0]`` (no bias)
gives a strict subset, whose program has a larger optimum that gradient descent on the network then beats.

In general position there are exactly ``P = 2 Σ_{k=0}^{r} C(n−1, k)`` patterns (:func:`count_patterns`).
Patterns are returned as a boolean n×P array, one column per pattern, duplicates removed, in a canonical
(lexicographic) column order so that results do not depend on the enumeration order.
"""

from __future__ import annotations

from itertools import combinations, product
from math import comb

import numpy as np

from bnconvex.linalg import compact_svd


def count_patterns(n: int, r: int) -> int:
    """Number of patterns ``1[U's ≥ 0]`` for n points in general position, U' of rank r + 1."""
    return 2 * sum(comb(n - 1, k) for k in range(r + 1))


def unique_columns(D: np.ndarray) -> np.ndarray:
    """Distinct columns of a boolean n×P array, in lexicographic order of their bytes."""
    if D.shape[1] == 0:
        return D
    _, idx = np.unique(np.packbits(D, axis=0).T, axis=0, return_index=True)  # sorted unique rows
    return D[:, idx]


def exact_patterns(U_prime: np.ndarray, max_patterns: int = 200_000) -> np.ndarray:
    """All patterns ``1[U' s ≥ 0]`` by enumerating the vertices of the arrangement.

    For each r-subset of rows of ``U'`` (n×(r+1)), the null vector ±u of those rows fixes the signs of the
    other rows; all 2^r sign choices on the subset complete the cells around that ray. Exact in general
    position; feasible for r + 1 ≤ 4 and moderate n.
    """
    n, r1 = U_prime.shape
    r = r1 - 1
    if r1 > 4:
        raise ValueError(f"exact enumeration is for r + 1 ≤ 4 (got r + 1 = {r1}); use method='sample'")
    if count_patterns(n, r) > max_patterns:
        raise ValueError(f"exact enumeration would give {count_patterns(n, r)} patterns (> {max_patterns})")
    out = []
    choices = np.array(list(product([True, False], repeat=r)), dtype=bool).reshape(-1, r)
    for subset in combinations(range(n), r):
        rows = list(subset)
        _, _, Vt = np.linalg.svd(U_prime[rows], full_matrices=True)
        u = Vt[-1]
        for sign in (1.0, -1.0):
            base = (U_prime @ (sign * u)) > 0
            block = np.repeat(base[:, None], len(choices), axis=1)
            block[rows, :] = choices.T
            out.append(block)
    if r == 0:  # only the bias: the patterns are all ones and all zeros
        out.append(np.stack([np.ones(n, bool), np.zeros(n, bool)], axis=1))
    return unique_columns(np.concatenate(out, axis=1))


def sampled_patterns(U_prime: np.ndarray, P: int, seed: int = 0) -> np.ndarray:
    """Patterns ``1[U' s ≥ 0]`` of P Gaussian directions s (seeded), duplicates removed (≤ P columns)."""
    rng = np.random.default_rng(seed)
    S = rng.standard_normal((U_prime.shape[1], P))
    return unique_columns(U_prime @ S >= 0)


def network_patterns(X: np.ndarray, W1: np.ndarray, gamma: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """The patterns ``1[BN(X w1_j) ≥ 0]`` of a trained BN network (added to a sampled set)."""
    from bnconvex.network import batch_norm

    return batch_norm(np.asarray(X, float) @ W1, gamma, alpha) >= 0


def patterns(X: np.ndarray, method: str = "exact", P: int | None = None, seed: int = 0,
             extra: np.ndarray | None = None) -> np.ndarray:
    """Sign patterns of the BN convex programs for data X (n×d): a boolean n×P array, no duplicates.

    - ``method="exact"``: every pattern (r + 1 ≤ 4);
    - ``method="sample"``: ``P`` seeded Gaussian directions, as the paper does (``P = m1``);
    - ``extra``: boolean n×k patterns to add, e.g. :func:`network_patterns` of a trained network.
    """
    U_prime = compact_svd(X).U_prime
    if method == "exact":
        D = exact_patterns(U_prime)
    elif method == "sample":
        if not P or P < 1:
            raise ValueError("method='sample' needs the number of directions P ≥ 1")
        D = sampled_patterns(U_prime, P, seed)
    else:
        raise ValueError(f"method must be 'exact' or 'sample', got {method!r}")
    if extra is not None:
        D = unique_columns(np.concatenate([D, np.asarray(extra, bool)], axis=1))
    return D


def no_bias_patterns(X: np.ndarray, P: int, seed: int = 0) -> np.ndarray:
    """⚠ The printed (wrong) patterns ``1[X w ≥ 0]`` without a bias, for comparison tests only."""
    rng = np.random.default_rng(seed)
    return unique_columns(np.asarray(X, float) @ rng.standard_normal((X.shape[1], P)) >= 0)
