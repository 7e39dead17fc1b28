"""Linear algebra of the paper: centering, compact SVD, ``U'`` and the truncation g(X) (eq. 17).

Notation (docs/formulas.md): ``X`` is n×d, ``Pc = I - 11ᵀ/n``, ``Pc X = U Σ Vᵀ`` the compact SVD of
rank r, and ``U' = [U, 1/√n · 1]`` (n×(r+1)) has orthonormal columns since ``1ᵀ Pc X = 0``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import LinAlgError, cho_factor, cho_solve


def center(X: np.ndarray) -> np.ndarray:
    """Return ``Pc X = X - 1 (1ᵀX)/n`` (n×d)."""
    X = np.asarray(X, dtype=float)
    return X - X.mean(axis=0, keepdims=True)


@dataclass(frozen=True)
class CompactSVD:
    """Compact SVD of the centered data, ``Pc X = U diag(Sigma) Vᵀ``.

    Attributes
    ----------
    U : (n, r) left singular vectors.
    Sigma : (r,) singular values, descending, all above the rank tolerance.
    V : (d, r) right singular vectors.
    """

    U: np.ndarray
    Sigma: np.ndarray
    V: np.ndarray

    @property
    def rank(self) -> int:
        return int(self.Sigma.shape[0])

    @property
    def U_prime(self) -> np.ndarray:
        """``U' = [U, 1/√n · 1]``, shape (n, r+1)."""
        return u_prime(self.U)


def compact_svd(X: np.ndarray, rtol: float | None = None) -> CompactSVD:
    """Compact SVD of the centered data ``Pc X``.

    Singular values below ``rtol · σ_max`` are dropped (default ``max(n, d) · eps``, as numpy's
    ``matrix_rank``), so ``r`` is the numerical rank of ``Pc X``.
    """
    Xc = center(X)
    U, Sigma, Vt = np.linalg.svd(Xc, full_matrices=False)
    r = _numerical_rank(Sigma, Xc.shape, rtol)
    U, Sigma, V = U[:, :r], Sigma[:r], Vt[:r].T
    # Fix the sign of each singular pair (largest |entry| of V positive) so results are reproducible.
    if r:
        signs = np.sign(V[np.argmax(np.abs(V), axis=0), np.arange(r)])
        signs[signs == 0] = 1.0
        U, V = U * signs, V * signs
    return CompactSVD(U=U, Sigma=Sigma, V=V)


def load_svd(path, X: np.ndarray) -> CompactSVD:
    """The compact SVD of ``Pc X`` that the spectral stage saved (``path``: its ``svd.npz``, arrays U, Sigma, V
    and mu), checked against X: its shape and column means μ must be X's (so a stale or foreign file is
    refused with a ``ValueError`` naming it, never used). The same arrays :func:`compact_svd` of X gives."""
    X = np.asarray(X, dtype=float)
    with np.load(path) as z:
        mu, V = z["mu"], z["V"]
        if V.shape[0] != X.shape[1] or mu.shape != (X.shape[1],):
            raise ValueError(f"{path}: an SVD of {mu.shape[0]}-column data, not of this {X.shape[1]}-column X")
        if not np.allclose(mu, X.mean(axis=0), rtol=0, atol=1e-12 * max(1.0, float(np.abs(X).max()))):
            raise ValueError(f"{path}: its column means differ from this X's: rerun the spectral stage")
        U = z["U"]
        if U.shape[0] != X.shape[0]:
            raise ValueError(f"{path}: an SVD of {U.shape[0]} rows, not of this X's {X.shape[0]}")
        return CompactSVD(U=U, Sigma=z["Sigma"], V=V)


def _numerical_rank(Sigma: np.ndarray, shape: tuple[int, int], rtol: float | None = None) -> int:
    """How many singular values (descending) lie above ``rtol · σ_max`` (default ``max(n, d) · eps``)."""
    if rtol is None:
        rtol = max(shape) * np.finfo(float).eps
    smax = Sigma[0] if Sigma.size else 0.0
    return int(np.sum(Sigma > rtol * smax)) if smax > 0 else 0


def conditioning(X: np.ndarray) -> dict:
    """App. A.4's condition number of a data matrix: ``σ_max / σ_min`` of ``Pc X`` (n×d) over its numerical
    rank r (the singular values that U, Σ, V keep), with n, d, r, σ_max and σ_min; JSON-ready."""
    Xc = center(X)
    Sigma = np.linalg.svd(Xc, compute_uv=False)
    r = _numerical_rank(Sigma, Xc.shape)
    smax, smin = (float(Sigma[0]), float(Sigma[r - 1])) if r else (0.0, 0.0)
    return {"n": int(Xc.shape[0]), "d": int(Xc.shape[1]), "rank": r, "sigma_max": smax, "sigma_min": smin,
            "condition_number": smax / smin if r else float("inf")}


def u_prime(U: np.ndarray) -> np.ndarray:
    """``U' = [U, 1/√n · 1]`` for U of shape (n, r); returns (n, r+1)."""
    n = U.shape[0]
    return np.hstack([U, np.full((n, 1), 1.0 / np.sqrt(n))])


def k_for_variance(Sigma: np.ndarray, fraction: float) -> int:
    """Smallest k such that the top-k singular values keep ``fraction`` of ``Σ σ_i²`` (the paper: 0.95)."""
    if not 0.0 < fraction <= 1.0:
        raise ValueError(f"variance fraction must lie in (0, 1], got {fraction}")
    energy = np.cumsum(np.asarray(Sigma, dtype=float) ** 2)
    if energy.size == 0 or energy[-1] == 0:
        return 0
    # tolerance guards fraction = 1 against rounding in the cumulative sum
    return int(np.searchsorted(energy, fraction * energy[-1] * (1 - 1e-12)) + 1)


def truncate(X: np.ndarray, k: int, svd: CompactSVD | None = None) -> np.ndarray:
    """Truncation (17): ``g(X) = U T_k(Σ) Vᵀ + 1 μᵀ``, keeping the top-k singular values of Pc X.

    The printed ``1{i ≥ k}`` of the paper means ``i ≤ k`` (docs/formulas.md, corrections). The column means μ of X are
    added back, so g(X) has the same means as X and BN (which centers) sees exactly ``U T_k(Σ) Vᵀ``.
    Returns an n×d array.
    """
    X = np.asarray(X, dtype=float)
    svd = compact_svd(X) if svd is None else svd
    if not 0 <= k <= svd.rank:
        raise ValueError(f"truncation k={k} must lie in [0, rank={svd.rank}]")
    mu = X.mean(axis=0, keepdims=True)
    return (svd.U[:, :k] * svd.Sigma[:k]) @ svd.V[:, :k].T + mu


def gram_solve(X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """``X† Y = Xᵀ (X Xᵀ)⁻¹ Y`` for X of full row rank (n ≤ d), via a Cholesky factor of the n×n Gram.

    Raises ``ValueError`` when the Gram matrix is not numerically positive definite (rank-deficient X).
    Returns a d×C array (d when Y is 1-D).
    """
    G = X @ X.T
    try:
        factor = cho_factor(G, lower=True, check_finite=False)
    except LinAlgError as err:
        raise ValueError("X is rank-deficient: its Gram matrix X Xᵀ is not positive definite"
                         + _duplicates_note(X)) from err
    L = np.tril(factor[0])
    diag = np.abs(np.diag(L))
    # cond(G) = cond(L)^2; the ratio of Cholesky diagonals bounds it from below.
    if diag.min() <= np.sqrt(G.shape[0] * np.finfo(float).eps) * diag.max():
        raise ValueError(
            "X is numerically rank-deficient (Cholesky pivot ratio "
            f"{diag.min() / diag.max():.2e}); the theorem needs full row rank" + _duplicates_note(X)
        )
    return X.T @ cho_solve(factor, Y, check_finite=False)


def _duplicates_note(X: np.ndarray) -> str:
    """"; n rows repeat …" where X has identical rows (CIFAR-100 has pixel-identical training images), else ""."""
    _, first, counts = np.unique(X, axis=0, return_index=True, return_counts=True)
    repeated = np.sort(first[counts > 1])
    if not repeated.size:
        return ""
    return (f"; {int((counts - 1).sum())} of its {X.shape[0]} rows repeat earlier ones (first at rows "
            f"{', '.join(map(str, repeated[:5]))}): choose other classes or a subset without identical images")


def spectral_stage(X: np.ndarray, variance_fraction: float, k: int | None = None) -> tuple[dict, dict]:
    """The spectral stage on training data X (n×d).

    Returns ``(arrays, summary)``: arrays ``U, Sigma, V, U_prime, mu, X_truncated`` (g(X) of eq. 17 with
    k from ``variance_fraction`` unless ``k`` is given) and a JSON-ready summary that records the checks
    ``‖U'ᵀU' − I‖_max`` and ``‖U Σ Vᵀ − Pc X‖_max``.
    """
    X = np.asarray(X, dtype=float)
    svd = compact_svd(X)
    if k is None:
        k = k_for_variance(svd.Sigma, variance_fraction)
    Up = svd.U_prime
    Xc = center(X)
    energy = svd.Sigma**2
    summary = {
        "n": int(X.shape[0]),
        "d": int(X.shape[1]),
        "rank": svd.rank,
        "k": int(k),
        "variance_fraction_target": float(variance_fraction),
        "variance_fraction_kept": float(energy[:k].sum() / energy.sum()) if energy.sum() > 0 else 1.0,
        "sigma_max": float(svd.Sigma[0]) if svd.rank else 0.0,
        "sigma_min": float(svd.Sigma[-1]) if svd.rank else 0.0,
        "condition_number": float(svd.Sigma[0] / svd.Sigma[-1]) if svd.rank else float("inf"),
        "orthonormality_error": float(np.abs(Up.T @ Up - np.eye(svd.rank + 1)).max()),
        "reconstruction_error": float(np.abs((svd.U * svd.Sigma) @ svd.V.T - Xc).max()),
    }
    arrays = {
        "U": svd.U,
        "Sigma": svd.Sigma,
        "V": svd.V,
        "U_prime": Up,
        "mu": X.mean(axis=0),
        "X_truncated": truncate(X, k, svd),
    }
    return arrays, summary
