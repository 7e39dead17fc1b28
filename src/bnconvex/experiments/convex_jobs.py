"""The convex-program jobs of the study: Thm 2.2 with sampled patterns (squared loss, and App. B.1's hinge and
logistic losses), an exact-enumeration demo in 2-D with the decision function of the optimal network, the
BN-after-ReLU program (Thm G.1), Thm 2.3's sandwich for vector output, the CNN program (Thm 3.1) and the
program of the network without BN (Fig. 13)."""

from __future__ import annotations

import numpy as np

from bnconvex.convex import extract_patches, patterns, solve, solve_cnn, solve_g1, solve_no_bn, vector_sandwich
from bnconvex.convex.patterns import no_bias_patterns, sampled_patterns
from bnconvex.data import select_classes
from bnconvex.linalg import compact_svd


def binary_task(X, y, classes, n: int | None = None, seed: int = 0):
    """Two classes as a scalar ±1 task (classes[0] → −1, classes[1] → +1); ``n`` seeded samples (n/2 each)."""
    if len(classes) != 2:
        raise ValueError(f"a scalar-output task needs exactly two classes, got {classes}")
    if n is not None and n % 2:
        raise ValueError(f"n={n} must be even (n/2 samples per class)")
    Xs, ys = select_classes(X, y, classes, per_class=None if n is None else n // 2, seed=seed)
    return Xs, np.where(ys == 1, 1.0, -1.0)


def multiclass_task(X, y, classes, n: int, seed: int = 0):
    """``classes`` as a one-hot task (column j for classes[j]), n / C seeded samples of each: (X (n×d), Y (n×C))."""
    C = len(classes)
    if n % C:
        raise ValueError(f"n={n} must be a multiple of the {C} classes (n/C samples per class)")
    Xs, ys = select_classes(X, y, classes, per_class=n // C, seed=seed)
    return Xs, np.eye(C)[ys]


def thm23_sampled(X, Y, beta: float, P: int, seed: int, loss: str = "squared", solver: str = "clarabel"):
    """Thm 2.3's sandwich over P sampled patterns: the column-wise restriction (network, certificate) and the
    nuclear-norm relaxation over the same patterns (:func:`bnconvex.convex.vector_sandwich`)."""
    D = patterns(X, method="sample", P=P, seed=seed)
    return vector_sandwich(X, Y, beta, patterns=D, loss=loss, solver=solver, patterns_complete=False)


def thm22_sampled(X, y, beta: float, P: int, seed: int, loss: str = "squared", solver: str = "clarabel",
                  **solver_options):
    """Thm 2.2 over P sampled patterns (the paper's setting, P = m1); ``solver_options`` (``tol``,
    ``time_limit_s``) go to our solver (solver="bnconvex")."""
    D = patterns(X, method="sample", P=P, seed=seed)
    return solve(X, y, beta, patterns=D, loss=loss, solver=solver, patterns_complete=False, **solver_options)


def nobn_sampled(X, y, beta: float, P: int, seed: int, solver: str = "clarabel"):
    """Fig. 13's convex no-BN program (:func:`bnconvex.convex.solve_no_bn`) over P sampled patterns of [X, 1]."""
    X_tilde = np.column_stack([X, np.ones(len(X))])
    D = sampled_patterns(X_tilde, P, seed)
    return solve_no_bn(X, y, beta, patterns=D, solver=solver, patterns_complete=False)


def exact_2d(X, y, beta: float, grid_size: int = 80, solver: str = "clarabel"):
    """Project X onto its top-2 principal directions, solve Thm 2.2 over *all* patterns, and evaluate the
    optimal network's decision function on a grid (BN with the training statistics, App. A.1).

    Returns (result, X2 (n×2), grid dict with ``g0, g1`` (grid_size,) and ``f`` (grid_size×grid_size)).
    """
    svd = compact_svd(X)
    X2 = (X - X.mean(axis=0)) @ svd.V[:, :2]
    res = solve(X2, y, beta, patterns=patterns(X2, method="exact"), patterns_complete=True, solver=solver)
    pad = 0.15 * (X2.max(axis=0) - X2.min(axis=0))
    g0 = np.linspace(X2[:, 0].min() - pad[0], X2[:, 0].max() + pad[0], grid_size)
    g1 = np.linspace(X2[:, 1].min() - pad[1], X2[:, 1].max() + pad[1], grid_size)
    G0, G1 = np.meshgrid(g0, g1)
    f = res.network.forward(np.column_stack([G0.ravel(), G1.ravel()]), ref=X2)[:, 0].reshape(G0.shape)
    return res, X2, {"g0": g0, "g1": g1, "f": f}


def g1_sampled(X, y, beta: float, P: int, seed: int, solver: str = "clarabel"):
    """Thm G.1 (BN after ReLU) over P sampled no-bias patterns ``1[Xw ≥ 0]``."""
    return solve_g1(X, y, beta, no_bias_patterns(X, P, seed), solver=solver)


def cnn_sampled(X, y, image_shape, kernel: int, stride: int, padding: int, beta: float, P: int, seed: int,
                solver: str = "clarabel"):
    """Thm 3.1 (CNN, channel-wise BN) on flattened images X (n×c·H·W, CHW order) over P sampled patterns."""
    if image_shape is None:
        raise ValueError("the CNN program needs image data; this data set's source has no image shape")
    images = np.asarray(X, float).reshape(len(X), *image_shape)
    return solve_cnn(extract_patches(images, kernel, stride, padding), y, beta, P=P, seed=seed, solver=solver)

