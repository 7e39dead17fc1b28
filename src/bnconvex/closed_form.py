"""Closed-form optimal BN ReLU networks with optimality certificates (Thm 2.1, 2.4, 4.1, 4.2, G.2).

All theorems need the high-dimensional regime: ``n ≤ d`` and X (n×d) of full row rank. Then
``U'`` is an n×n orthogonal matrix and BN(Xw) ranges over every unit vector of R^n, which makes the
dual constraint of (7) checkable exactly. Formulas follow docs/formulas.md, with its corrections of the
printed paper: ``w2 = (‖u‖ − β)₊`` (the printed table drops ``(·)₊``) and the dual sum over ``j ∉ E``.

``X† Y`` is computed as ``Xᵀ (X Xᵀ)⁻¹ Y`` through a Cholesky factor of the n×n Gram
(:func:`bnconvex.linalg.gram_solve`), never through an SVD pseudo-inverse.

Every result carries a certificate: ``primal`` is objective (9) evaluated on the returned weights (after
the optimal rescaling), ``dual`` the value of the dual (7) at the theorem's dual point, and the dual
constraint of that point is evaluated, not assumed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from bnconvex.linalg import gram_solve
from bnconvex.network import BNNetwork, as_2d

THEOREMS = ("2.1", "2.4", "4.1", "4.2", "G.2")


@dataclass
class ClosedFormResult:
    """``network``: the optimal :class:`BNNetwork`; ``certificate``: a JSON-ready dict (see module doc)."""

    network: BNNetwork
    certificate: dict = field(default_factory=dict)


def _unit_bn_params(u: np.ndarray) -> tuple[float, float]:
    """``[γ; α] = [‖Pc u‖; 1ᵀu/√n] / ‖u‖`` so that ``BN_{γ,α}(u) = u/‖u‖``."""
    n = u.shape[0]
    norm = np.linalg.norm(u)
    return np.linalg.norm(u - u.mean()) / norm, u.sum() / np.sqrt(n) / norm


def _check_inputs(X: np.ndarray, Y: np.ndarray, beta: float) -> None:
    if not np.isfinite(beta) or beta <= 0:
        raise ValueError(f"beta must be a positive finite number, got {beta}")
    if X.ndim != 2:
        raise ValueError(f"X must be a 2-D array (n×d), got shape {X.shape}")
    if Y.shape[0] != X.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows but Y has {Y.shape[0]}")
    if not np.all(np.isfinite(X)):
        raise ValueError("X contains NaN or inf")
    if not np.all(np.isfinite(Y)):
        raise ValueError("Y contains NaN or inf")
    n, d = X.shape
    if n > d:
        raise ValueError(f"the closed forms need n ≤ d (high-dimensional regime), got n={n} > d={d}")


def _check_one_hot(Y: np.ndarray) -> None:
    if not (np.all((Y == 0) | (Y == 1)) and np.all(Y.sum(axis=1) == 1)):
        raise ValueError("Y must be one-hot: entries in {0, 1} and exactly one 1 per row")


def _neurons_for_targets(X, targets, signs, out_cols, C, beta):
    """One neuron per target column u (n,): ``w1 = X†u``, ``BN(Xw1) = u/‖u‖``, ``w2 = sign(‖u‖−β)₊ e_c``.

    ``targets``: n×m matrix of the u's. Zero targets give zero neurons. Returns the rescaled network.
    """
    n, m = targets.shape
    W1 = gram_solve(X, targets)
    gamma, alpha, W2 = np.zeros(m), np.zeros(m), np.zeros((m, C))
    for j in range(m):
        u = targets[:, j]
        norm = np.linalg.norm(u)
        if norm == 0:
            continue
        gamma[j], alpha[j] = _unit_bn_params(u)
        W2[j, out_cols[j]] = signs[j] * max(norm - beta, 0.0)
    return W1, gamma, alpha, W2


def _certificate(theorem, X, Y, beta, net, V, dual_constraint, t_weights) -> dict:
    """Evaluate (9) on ``net``, the dual (7) at ``V`` and the dual constraint value (must be ≤ β)."""
    t0 = time.perf_counter()
    n, d = X.shape
    primal = net.objective(X, Y, beta)
    dual = -0.5 * float(np.sum((V - Y) ** 2)) + 0.5 * float(np.sum(Y**2))
    gap = primal - dual
    cert = {
        "theorem": theorem,
        "n": int(n),
        "d": int(d),
        "C": int(Y.shape[1]),
        "beta": float(beta),
        "primal": float(primal),
        "dual": float(dual),
        "gap": float(gap),
        "rel_gap": float(abs(gap) / max(abs(primal), np.finfo(float).tiny)),
        "dual_constraint": float(dual_constraint),
        "max_violation": float(max(dual_constraint - beta, 0.0)),
        "dual_feasible": bool(dual_constraint <= beta * (1 + 1e-10)),
        "width": int(np.count_nonzero(np.linalg.norm(net.W2, axis=1))),
        "time_s": float(t_weights),
    }
    cert["certificate_time_s"] = float(time.perf_counter() - t0)
    return cert


def _scaled_targets(U: np.ndarray, beta: float) -> np.ndarray:
    """Dual point columns: ``β u/‖u‖`` when ``‖u‖ ≥ β``, else ``u`` (eq. 37)."""
    norms = np.linalg.norm(U, axis=0)
    scale = np.where(norms >= beta, beta / np.where(norms > 0, norms, 1.0), 1.0)
    return U * scale


def thm_2_4(X: np.ndarray, Y: np.ndarray, beta: float, theorem: str = "2.4") -> ClosedFormResult:
    """Thm 2.4 (and 4.2 with X = A^(L−2)): one-hot Y (n×C), one neuron per class.

    Optimal value ``Σ_{j∈E} (β‖y_j‖ − β²/2) + Σ_{j∉E} ½‖y_j‖²`` with ``E = {j : ‖y_j‖ ≥ β}``.
    Dual point (37): ``v_j = β y_j/‖y_j‖`` for j ∈ E, ``y_j`` otherwise. Its dual constraint
    ``max_{‖u‖=1} ‖Vᵀ(u)₊‖`` is bounded by ``‖V‖₂``, which is exact here (disjoint nonnegative columns).
    """
    _check_one_hot(Y)
    t0 = time.perf_counter()
    C = Y.shape[1]
    W1, gamma, alpha, W2 = _neurons_for_targets(X, Y, np.ones(C), np.arange(C), C, beta)
    net = BNNetwork(W1, gamma, alpha, W2).rescaled()
    t_weights = time.perf_counter() - t0
    V = _scaled_targets(Y, beta)
    return ClosedFormResult(net, _certificate(theorem, X, Y, beta, net, V, np.linalg.norm(V, 2), t_weights))


def thm_2_1(X: np.ndarray, y: np.ndarray, beta: float, theorem: str = "2.1") -> ClosedFormResult:
    """Thm 2.1 (and 4.1 with X = A^(L−2)): scalar y, two neurons for ``u = (y)₊`` and ``u = (−y)₊``.

    Optimal value ``Σ_u (‖u‖ ≥ β ? β‖u‖ − β²/2 : ½‖u‖²)``; dual point ``v = Σ_u ± min(1, β/‖u‖) u``,
    whose dual constraint ``max_{‖s‖=1} |vᵀ(s)₊| = max(‖(v)₊‖, ‖(−v)₊‖)`` is computed exactly.
    """
    if y.shape[1] != 1:
        raise ValueError(f"Thm {theorem} is for a scalar output; got Y with {y.shape[1]} columns")
    t0 = time.perf_counter()
    targets = np.hstack([np.maximum(y, 0.0), np.maximum(-y, 0.0)])
    W1, gamma, alpha, W2 = _neurons_for_targets(X, targets, np.array([1.0, -1.0]), [0, 0], 1, beta)
    net = BNNetwork(W1, gamma, alpha, W2).rescaled()
    t_weights = time.perf_counter() - t0
    V_parts = _scaled_targets(targets, beta)
    v = V_parts[:, :1] - V_parts[:, 1:]
    constraint = max(np.linalg.norm(np.maximum(v, 0)), np.linalg.norm(np.maximum(-v, 0)))
    return ClosedFormResult(net, _certificate(theorem, X, y, beta, net, v, constraint, t_weights))


def thm_g_2(X: np.ndarray, y: np.ndarray, beta: float) -> ClosedFormResult:
    """Thm G.2, BN after ReLU, scalar y: one neuron with ``w1 = X†(y − min_i y_i · 1)``.

    Then ``X w1 ≥ 0``, the ReLU is the identity and ``BN((Xw1)₊) = y/‖y‖``; ``w2 = (‖y‖ − β)₊``.
    Value ``β‖y‖ − β²/2`` if ``‖y‖ ≥ β``, else ``½‖y‖²``. Dual point ``v = min(1, β/‖y‖) y``; since
    ``BN((Xw)₊)`` ranges over all unit vectors, its dual constraint is ``‖v‖``, computed exactly.
    """
    if y.shape[1] != 1:
        raise ValueError(f"Thm G.2 is for a scalar output; got Y with {y.shape[1]} columns")
    t0 = time.perf_counter()
    u = y[:, 0]
    norm = np.linalg.norm(u)
    W1 = gram_solve(X, (u - u.min())[:, None])
    gamma, alpha = _unit_bn_params(u) if norm > 0 else (0.0, 0.0)
    W2 = np.array([[max(norm - beta, 0.0)]])
    net = BNNetwork(W1, [gamma], [alpha], W2, bn_after_relu=True).rescaled()
    t_weights = time.perf_counter() - t0
    v = _scaled_targets(y, beta)
    return ClosedFormResult(net, _certificate("G.2", X, y, beta, net, v, np.linalg.norm(v), t_weights))


def closed_form(X: np.ndarray, Y: np.ndarray, beta: float, theorem: str = "2.4") -> ClosedFormResult:
    """Closed-form optimal network for ``theorem`` in ``"2.1", "2.4", "4.1", "4.2", "G.2"``.

    Parameters
    ----------
    X : (n, d) data with n ≤ d and full row rank; for "4.1"/"4.2", the features ``A^(L−2)``.
    Y : (n, C) one-hot labels for "2.4"/"4.2"; (n,) or (n, 1) scalar targets for "2.1"/"4.1"/"G.2".
    beta : regularization β > 0.

    Returns a :class:`ClosedFormResult`; raises ``ValueError`` naming the broken assumption.
    """
    X = np.asarray(X, dtype=float)
    Y = as_2d(Y)
    if theorem not in THEOREMS:
        raise ValueError(f"unknown theorem {theorem!r}; choose one of {', '.join(THEOREMS)}")
    _check_inputs(X, Y, beta)
    if theorem in ("2.4", "4.2"):
        return thm_2_4(X, Y, beta, theorem)
    if theorem in ("2.1", "4.1"):
        return thm_2_1(X, Y, beta, theorem)
    return thm_g_2(X, Y, beta)


def optimal_value(Y: np.ndarray, beta: float) -> float:
    """The theorems' optimal value ``Σ_u (‖u‖ ≥ β ? β‖u‖ − β²/2 : ½‖u‖²)`` over target columns u.

    For Thm 2.4 pass one-hot Y; for Thm 2.1 pass ``[(y)₊, (−y)₊]``; for G.2 pass y.
    """
    norms = np.linalg.norm(as_2d(Y), axis=0)
    return float(np.sum(np.where(norms >= beta, beta * norms - beta**2 / 2, norms**2 / 2)))


def subset_task(data, classes, n: int, seed: int = 0, scalar: bool = False):
    """The closed-form stage's task: ``n // len(classes)`` seeded training samples of each class in
    ``classes`` and every test sample of them. Returns ``(X, Y, y, X_test, Y_test, y_test)``: Y one-hot (n×C)
    over ``classes``, or with ``scalar`` (two classes) ±1 targets (n×1, classes[0] → −1, classes[1] → +1);
    y the labels 0..C−1. ``data``: a :class:`bnconvex.data.PreparedData`."""
    from bnconvex.data import select_classes

    if scalar and (len(classes) != 2 or n % 2):
        raise ValueError(f"a ±1 task takes two classes and an even n; got classes {classes}, n={n}")
    if n % len(classes):
        raise ValueError(f"closed_form.n={n} must be a multiple of the number of classes {len(classes)}")
    X, y = select_classes(data.X_train, data.y_train, classes, per_class=n // len(classes), seed=seed)
    X_test, y_test = select_classes(data.X_test, data.y_test, classes)
    def targets(labels):
        return np.where(labels == 1, 1.0, -1.0)[:, None] if scalar else np.eye(len(classes))[labels]

    return X, targets(y), y, X_test, targets(y_test), y_test


def accuracy(F: np.ndarray, y: np.ndarray) -> float:
    """Accuracy of outputs F (n×C) against labels y: argmax for C > 1, the sign (label 1 ↔ +) for C = 1."""
    predicted = (F[:, 0] > 0).astype(int) if F.shape[1] == 1 else np.argmax(F, axis=1)
    return float(np.mean(predicted == y))


def fit_one_hot_subset(data, classes, n: int, beta: float, seed: int = 0, theorem: str = "2.4"):
    """Closed form on a seeded one-hot subset of a prepared data set (the closed-form stage).

    Takes the :func:`subset_task` of ``classes``, fits the closed form (Thm 2.4 by default), and adds the
    train/test accuracy of the optimal network to the certificate, with BN at test time using the
    statistics of the training subset (App. A.1). Returns a :class:`ClosedFormResult`.
    """
    return _fit_subset(data, classes, n, beta, seed, theorem, scalar=False)


def fit_scalar_subset(data, classes, n: int, beta: float, seed: int = 0, theorem: str = "2.1"):
    """Thm 2.1 or G.2 (scalar output) on a seeded ±1 subset (:func:`subset_task` with ``scalar``), with the
    optimal network's train/test accuracy (sign of f, BN with the training subset's statistics) added to
    the certificate."""
    return _fit_subset(data, classes, n, beta, seed, theorem, scalar=True)


def _fit_subset(data, classes, n, beta, seed, theorem, scalar):
    X, Y, y, X_test, _, y_test = subset_task(data, classes, n, seed, scalar)
    result = closed_form(X, Y, beta, theorem=theorem)
    net = result.network
    result.certificate.update({"dataset": data.meta.get("name"), "classes": list(classes), "subset_seed": int(seed),
                               "train_acc": accuracy(net.forward(X, ref=X), y),
                               "test_acc": accuracy(net.forward(X_test, ref=X), y_test),
                               "n_test": int(y_test.size)})
    return result
