"""The exact convex programs of BN ReLU networks, solved with CVXPY and open solvers (Clarabel, SCS).

- Thm 2.2, scalar output: ``min L(Σ_i D_i U'(s_i − s'_i)) + β Σ_i (‖s_i‖ + ‖s'_i‖)`` s.t.
  ``(2D_i − I) U' s_i ≥ 0``, ``(2D_i − I) U' s'_i ≥ 0``, with L squared, hinge or logistic (App. B.1).
- Thm 2.3, vector output, as a sandwich (shared/FORMULAS.md): the column-wise cone restriction (an upper
  bound, reconstructable: one neuron per nonzero column, output ``±e_c``) and the nuclear-norm relaxation
  without cones (a lower bound). Losses squared or softmax cross-entropy.
- Thm G.1, BN after ReLU: per-pattern SVDs ``Pc D_i X = U_i Σ_i V_iᵀ``, ``U'_i = [U_i, 1/√n·1]``.

Every solve returns the reconstructed network and a certificate (see :func:`solve`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from bnconvex import losses
from bnconvex.convex.certificate import PatternSystem, lower_bound
from bnconvex.convex.patterns import count_patterns, exact_patterns, sampled_patterns
from bnconvex.convex.reconstruct import reconstruct, signed_classes
from bnconvex.linalg import compact_svd
from bnconvex.network import BNNetwork

SOLVERS = ("clarabel", "scs")  # CVXPY's open solvers; "bnconvex" is our own (squared loss)
MAX_ENTRIES = 5e7  # n·P·C·(r+1) above which CVXPY's dense model does not fit a node's memory
IPM_MAX_ENTRIES = 3e8  # float entries (2.4 GB in float64) up to which solver="bnconvex" uses its interior point


@dataclass
class ConvexResult:
    """``network``: the reconstructed :class:`BNNetwork`; ``certificate``: a JSON-ready dict;
    ``S``/``S_neg``: solution blocks, C×(r+1)×P; ``patterns``: the n×P boolean patterns used."""

    network: BNNetwork
    certificate: dict
    S: np.ndarray | None = None
    S_neg: np.ndarray | None = None
    patterns: np.ndarray | None = None
    extra: dict = field(default_factory=dict)


def _check(X, y, beta, loss):
    if not np.isfinite(beta) or beta <= 0:
        raise ValueError(f"beta must be a positive finite number, got {beta}")
    if X.ndim != 2 or y.shape[0] != X.shape[0]:
        raise ValueError(f"X must be n×d and y have n rows; got X {X.shape}, y {y.shape}")
    if not (np.all(np.isfinite(X)) and np.all(np.isfinite(y))):
        raise ValueError("X or y contains NaN or inf")
    losses.check_targets(loss, y)


def default_patterns(U_prime: np.ndarray, P: int = 1000, seed: int = 0, exact_limit: int = 5000):
    """Exact patterns when r + 1 ≤ 4 and there are at most ``exact_limit``; else P sampled ones.
    Returns (patterns, complete)."""
    n, r1 = U_prime.shape
    if r1 <= 4 and count_patterns(n, r1 - 1) <= exact_limit:
        return exact_patterns(U_prime), True
    return sampled_patterns(U_prime, P, seed), False


def _cvxpy_solve(problem, solver: str, **options):
    import cvxpy as cp

    if solver not in SOLVERS:
        raise ValueError(f"solver must be one of {SOLVERS} (open solvers), got {solver!r}")
    t0 = time.perf_counter()
    problem.solve(solver={"clarabel": cp.CLARABEL, "scs": cp.SCS}[solver], **options)
    return problem.status, time.perf_counter() - t0


def _size_check(n, P, C, r1):
    entries = float(n) * P * C * r1
    if entries > MAX_ENTRIES:
        raise ValueError(
            f"problem too large for the CVXPY path: n·P·C·(r+1) = {n}·{P}·{C}·{r1} = {entries:.2e} > "
            f"{MAX_ENTRIES:.0e}; use fewer patterns or a subset (the first-order solver is for this size)"
        )


def _status_ok(status: str) -> bool:
    return status == "optimal"


def solve(X, y, beta: float, patterns=None, loss: str = "squared", solver: str = "clarabel",
          dust: float = 1e-8, patterns_complete: bool | None = None, **solver_options) -> ConvexResult:
    """Solve the BN convex program for data X (n×d) and targets y: Thm 2.2 for a 1-D y (scalar output),
    the column-wise restriction of Thm 2.3 for an n×C Y.

    ``patterns``: boolean n×P (see :func:`bnconvex.convex.patterns.patterns`); None takes every pattern
    when r + 1 ≤ 4 (at most 5000), else 1000 sampled. ``patterns_complete`` marks a user-given set as
    complete (default: true only for the exact default).

    The certificate holds ``primal_convex`` (the convex objective recomputed from the solution),
    ``primal_network`` (objective (9) of the reconstructed network), ``lower_bound`` (from a dual point
    checked per pattern by NNLS), ``gap``, ``rel_gap``, ``max_violation`` (of the cone constraints),
    ``patterns_complete``, ``solver``, ``status``, ``valid`` and ``time_s``. A status other than
    "optimal" raises a RuntimeError.
    """

    X = np.asarray(X, float)
    y = np.asarray(y, float)
    _check(X, y, beta, loss)
    svd = compact_svd(X)
    Up = svd.U_prime
    n, r1 = Up.shape
    if patterns is None:
        D, complete = default_patterns(Up)
    else:
        D, complete = np.asarray(patterns, bool), bool(patterns_complete)
    if D.shape[0] != n:
        raise ValueError(f"patterns must have n = {n} rows, got {D.shape}")
    P = D.shape[1]
    C = 1 if y.ndim == 1 else y.shape[1]
    if solver != "bnconvex":
        _size_check(n, P, C, r1)

    Dm = D.astype(float)
    sign = 2 * Dm - 1
    if solver == "bnconvex":
        S_val, Sn_val, status, t_solve, dual = _solve_own(Up, D, y, beta, loss, **solver_options)
    else:
        S_val, Sn_val, status, t_solve, dual = _solve_cvxpy(Up, Dm, y, beta, loss, solver, **solver_options)
    yhat = np.stack([(Dm * (Up @ (S_val[c] - Sn_val[c]))).sum(axis=1) for c in range(C)], axis=1)
    yhat = yhat[:, 0] if y.ndim == 1 else yhat
    reg_val = np.linalg.norm(S_val, axis=1).sum() + np.linalg.norm(Sn_val, axis=1).sum()
    primal_convex = losses.value(loss, yhat, y) + beta * float(reg_val)
    violation = max(float(np.max(-(sign * (Up @ V)))) for V in [*S_val, *Sn_val])
    blocks = np.concatenate([S_val.transpose(0, 2, 1), Sn_val.transpose(0, 2, 1)]).reshape(2 * C * P, r1)
    signs, classes = np.repeat([1.0, -1.0], C * P), np.tile(np.repeat(np.arange(C), P), 2)
    net = reconstruct(blocks, signed_classes(signs, classes, C), svd.V, svd.Sigma, dust=dust)

    candidates = [losses.gradient(loss, yhat, y)]
    if dual is not None and solver == "bnconvex":  # ours: ŷ − y at its best dual iterate (the gradient's sign)
        candidates += [np.asarray(dual, float)]
    elif dual is not None:  # CVXPY's dual of u = ŷ, whose sign convention depends on the solver
        candidates += [np.asarray(dual, float), -np.asarray(dual, float)]
    t0 = time.perf_counter()
    lb = lower_bound(loss, candidates, y, beta, PatternSystem(U_prime=Up, D=D))
    cert = _certificate(
        "2.2" if y.ndim == 1 else "2.3-restriction", X, y, beta, loss, P, complete, solver, status,
        primal_convex, net.objective(X, y, beta, loss), lb, max(violation, 0.0), t_solve,
        time.perf_counter() - t0, net.width,
    )
    return ConvexResult(net, cert, S_val, Sn_val, D)


def _solve_cvxpy(Up, Dm, y, beta, loss, solver, **solver_options):
    """The Thm 2.2 / column-wise program in CVXPY. Returns (S, S', status, time, dual of u = ŷ)."""
    import cvxpy as cp

    (n, r1), P = Up.shape, Dm.shape[1]
    C = 1 if y.ndim == 1 else y.shape[1]
    sign = 2 * Dm - 1
    S = [cp.Variable((r1, P)) for _ in range(C)]
    Sn = [cp.Variable((r1, P)) for _ in range(C)]
    cols = [cp.sum(cp.multiply(Dm, Up @ (S[c] - Sn[c])), axis=1) for c in range(C)]
    u = cp.Variable(n) if y.ndim == 1 else cp.Variable((n, C))
    fit = cols[0] if u.ndim == 1 else cp.vstack(cols).T
    cons = [u == fit]
    cons += [cp.multiply(sign, Up @ V) >= 0 for V in S + Sn]
    reg = sum(cp.sum(cp.norm(V, 2, axis=0)) for V in S + Sn)
    problem = cp.Problem(cp.Minimize(losses.cvxpy_expr(loss, u, y) + beta * reg), cons)
    status, t_solve = _cvxpy_solve(problem, solver, **solver_options)
    if status not in ("optimal", "optimal_inaccurate"):
        raise RuntimeError(f"{solver} returned status {status!r} for the Thm 2.2/2.3 program")
    return np.stack([V.value for V in S]), np.stack([V.value for V in Sn]), status, t_solve, cons[0].dual_value


def choose_own_method(n: int, r1: int, P: int) -> str:
    """What ``method="auto"`` of solver="bnconvex" picks for U' of shape n×r1 and P patterns."""
    from bnconvex.convex.barrier import interior_point_entries

    if n == r1:
        return "orthant"
    return "ipm" if interior_point_entries(n, r1, P) <= IPM_MAX_ENTRIES else "admm"


def _solve_own(Up, D, y, beta, loss, tol=1e-6, time_limit_s=None, dtype=None, device=None, method="auto",
               **options):
    """Our solver, column by column (the column-wise program decouples). ``method``: "orthant" (the dual
    L-BFGS-B of :mod:`bnconvex.convex.orthant`, needs a square U', i.e. r + 1 = n), "ipm" (the
    interior-point method of :mod:`bnconvex.convex.barrier`), "admm" (:mod:`bnconvex.convex.solver`), or
    "auto": orthant when U' is square, else ipm when it fits in memory (:data:`IPM_MAX_ENTRIES`), else
    admm. Returns as :func:`_solve_cvxpy`; the dual is ``ŷ − y`` at the iterate of the solver's best lower
    bound (which may precede the returned primal iterate), n or n×C, or None."""
    import torch

    from bnconvex.convex.barrier import InteriorPoint
    from bnconvex.convex.orthant import OrthantDual
    from bnconvex.convex.solver import ADMM

    if loss != "squared":
        raise ValueError(f"solver 'bnconvex' handles the squared loss, not {loss!r}; use clarabel or scs")
    methods = {"orthant": OrthantDual, "ipm": InteriorPoint, "admm": ADMM}
    if method == "auto":
        method = choose_own_method(*Up.shape, D.shape[1])
    if method not in methods:
        raise ValueError(f"method must be 'auto' or one of {sorted(methods)}, got {method!r}")
    Y = y[:, None] if y.ndim == 1 else y
    S, Sn, duals, t, ok = [], [], [], 0.0, True
    for c in range(Y.shape[1]):
        out = methods[method](Up, D, Y[:, c], beta, dtype=dtype or torch.float64, device=device).run(
            tol=tol, time_limit_s=time_limit_s, **options)
        Sc = out["S"].cpu().double().numpy()
        S.append(Sc[0])
        Sn.append(Sc[1])
        duals.append(None if out.get("dual") is None else -out["dual"].cpu().double().numpy())
        t += out["time_s"]
        ok &= out["converged"]
    dual = None if any(d is None for d in duals) else np.stack(duals, axis=1).reshape(y.shape)
    return np.stack(S), np.stack(Sn), "optimal" if ok else "not_converged", t, dual


def _certificate(program, X, y, beta, loss, P, complete, solver, status, primal_convex, primal_network, lb,
                 violation, t_solve, t_cert, width) -> dict:
    gap = primal_convex - lb["lower_bound"]
    return {
        "program": program,
        "theorem": program.split("-")[0],
        "loss": loss,
        "n": int(X.shape[0]),
        "d": int(X.shape[1]),
        "C": 1 if y.ndim == 1 else int(y.shape[1]),
        "beta": float(beta),
        "P": int(P),
        "patterns_complete": bool(complete),
        "solver": solver,
        "status": status,
        "valid": _status_ok(status),
        "primal_convex": float(primal_convex),
        "primal_network": float(primal_network),
        "network_rel_diff": float(abs(primal_network - primal_convex) / max(abs(primal_convex), 1e-300)),
        "lower_bound": lb["lower_bound"],
        "dual_constraint": lb["dual_constraint"],
        "dual_scale": lb["dual_scale"],
        "gap": float(gap),
        "rel_gap": float(gap / max(abs(primal_convex), 1e-300)),
        "max_violation": float(violation),
        "width": int(width),
        "time_s": float(t_solve),
        "certificate_time_s": float(t_cert),
    }


def relaxation_lower_bound(X, Y, beta: float, patterns, loss: str = "squared", solver: str = "clarabel",
                           **solver_options) -> dict:
    """Thm 2.3's nuclear-norm relaxation without cones: ``min L(Σ_i D_i U' Z_i) + β Σ_i ‖Z_i‖_*``.

    Its optimum is a lower bound on the vector-output program over the same patterns (the gauge of
    K_i is ≥ the nuclear norm, and the cones are dropped). Returns {"value", "status", "time_s"}.
    """
    import cvxpy as cp

    X, Y = np.asarray(X, float), np.asarray(Y, float)
    _check(X, Y, beta, loss)
    Up = compact_svd(X).U_prime
    D = np.asarray(patterns, float)
    n, r1 = Up.shape
    _size_check(n, D.shape[1], Y.shape[1], r1)
    Z = [cp.Variable((r1, Y.shape[1])) for _ in range(D.shape[1])]
    fit = sum(cp.multiply(D[:, [i]] @ np.ones((1, Y.shape[1])), Up @ Z[i]) for i in range(D.shape[1]))
    problem = cp.Problem(cp.Minimize(losses.cvxpy_expr(loss, fit, Y) + beta * sum(cp.normNuc(z) for z in Z)))
    status, t = _cvxpy_solve(problem, solver, **solver_options)
    if status != "optimal":
        raise RuntimeError(f"{solver} returned status {status!r} for the nuclear-norm relaxation")
    return {"value": float(problem.value), "status": status, "time_s": t}


def vector_sandwich(X, Y, beta: float, patterns=None, loss: str = "squared", solver: str = "clarabel",
                    patterns_complete: bool | None = None) -> ConvexResult:
    """Thm 2.3 sandwich: the column-wise restriction (upper bound, with a network and certificate) and the
    nuclear-norm relaxation (lower bound). The certificate gains ``upper_bound``, ``relaxation_lower_bound``
    and ``sandwich_gap``."""
    res = solve(X, Y, beta, patterns, loss, solver, patterns_complete=patterns_complete)
    relax = relaxation_lower_bound(X, Y, beta, res.patterns, loss, solver)
    res.certificate.update(
        upper_bound=res.certificate["primal_convex"],
        relaxation_lower_bound=relax["value"],
        sandwich_gap=res.certificate["primal_convex"] - relax["value"],
        relaxation_time_s=relax["time_s"],
    )
    return res


def no_bias_patterns_g1(X: np.ndarray, P: int, seed: int = 0) -> np.ndarray:
    """Patterns ``1[X w ≥ 0]`` (no bias: with BN after ReLU, nothing is added before the ReLU)."""
    from bnconvex.convex.patterns import no_bias_patterns

    return no_bias_patterns(X, P, seed)


def solve_g1(X, y, beta: float, patterns, solver: str = "clarabel", dust: float = 1e-8,
             patterns_complete: bool = False, **solver_options) -> ConvexResult:
    """Thm G.1, BN after ReLU, scalar squared loss, over the given patterns ``1[Xw ≥ 0]`` (n×P).

    For each pattern, ``Pc D_i X = U_i Σ_i V_iᵀ`` and ``U'_i = [U_i, 1/√n·1]``; the neuron's output is
    ``U'_i s_i`` with ``s_i = [Σ_i V_iᵀ w_i; a_i]``, under the cone ``(2D_i − I) X w_i ≥ 0``.

    ⚠ shared/FORMULAS.md writes the cone as ``(2D_i − I) X V_i Σ_i⁻¹ s_{i,1:r_i} ≥ 0``, i.e. it fixes
    ``w_i = V_i Σ_i⁻¹ s_{i,1:r_i}`` in the row space of ``Pc D_i X``. Components of w_i in the null space of
    ``Pc D_i X`` change neither the BN output nor the penalty, but they do move ``X w_i`` on the rows the ReLU
    cuts off (and shift all rows when D_i = I), so that version is only a restriction: with n ≤ d the
    closed form of Thm G.2 beats it (tests/convex/test_programs.py). Here w_i ∈ R^d is free.
    """
    import cvxpy as cp

    X, y = np.asarray(X, float), np.asarray(y, float)
    _check(X, y, beta, "squared")
    if y.ndim != 1:
        raise ValueError("Thm G.1 is implemented for scalar output (1-D y)")
    D = np.asarray(patterns, bool)
    # w matters only through X w, so solve in the row space of X (d → rank X ≤ n variables per block):
    # exact, and far better conditioned when d ≫ n
    _, sx, Vxt = np.linalg.svd(X, full_matrices=False)
    Vx = Vxt[: int(np.sum(sx > max(X.shape) * np.finfo(float).eps * sx[0]))].T
    X_full, X = X, X @ Vx
    n, d = X.shape
    P = D.shape[1]
    _size_check(n, P, 1, d + 1)
    per_pattern = []
    for i in range(P):
        svd_i = compact_svd(D[:, i, None] * X)  # Pc D_i X = U_i Σ_i V_iᵀ
        M_i = (svd_i.V * svd_i.Sigma).T  # Σ_i V_iᵀ, r_i×d
        per_pattern.append((svd_i.U_prime, np.where(D[:, i, None], X, -X), M_i))
    W, Wn = cp.Variable((d, P)), cp.Variable((d, P))
    a, an = cp.Variable(P), cp.Variable(P)
    fit, reg, cons = 0, 0, []
    for i, (Up_i, B_i, M_i) in enumerate(per_pattern):
        for w, b, sgn in ((W[:, i], a[i], 1), (Wn[:, i], an[i], -1)):
            s_i = cp.hstack([M_i @ w, cp.reshape(b, (1,), order="C")])
            fit = fit + sgn * (Up_i @ s_i)
            reg = reg + cp.norm(s_i, 2)
            cons.append(B_i @ w >= 0)
    u = cp.Variable(n)
    cons.insert(0, u == fit)
    problem = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(u - y) + beta * reg), cons)
    if solver == "clarabel":  # degenerate patterns (few active rows) need a smaller static regularization
        solver_options = {"static_regularization_constant": 1e-7, **solver_options}
    status, t_solve = _cvxpy_solve(problem, solver, **solver_options)
    if status not in ("optimal", "optimal_inaccurate"):
        raise RuntimeError(f"{solver} returned status {status!r} for the Thm G.1 program")
    blocks, yhat, reg_val, violation = [], np.zeros(n), 0.0, 0.0
    for i, (Up_i, B_i, M_i) in enumerate(per_pattern):
        for w, b, sgn in ((W.value[:, i], a.value[i], 1.0), (Wn.value[:, i], an.value[i], -1.0)):
            s_i = np.append(M_i @ w, b)
            yhat += sgn * (Up_i @ s_i)
            reg_val += np.linalg.norm(s_i)
            violation = max(violation, float(np.max(-(B_i @ w))))
            blocks.append((s_i, w, sgn))
    primal_convex = losses.value("squared", yhat, y) + beta * reg_val
    # blocks have r_i + 1 entries; with W1 given only ‖s_{1:r_i}‖ and s_{r_i+1} matter: pad before the last
    S_blocks = np.zeros((len(blocks), max(b[0].size for b in blocks)))
    for j, (s_i, _, _) in enumerate(blocks):
        S_blocks[j, : s_i.size - 1], S_blocks[j, -1] = s_i[:-1], s_i[-1]
    net = reconstruct(S_blocks, np.array([[b[2]] for b in blocks]), W1=np.stack([b[1] for b in blocks], axis=1),
                      dust=dust, bn_after_relu=True)
    net = BNNetwork(Vx @ net.W1, net.gamma, net.alpha, net.W2, bn_after_relu=True)  # back to R^d
    dual = cons[0].dual_value
    candidates = [yhat - y] + ([np.asarray(dual, float), -np.asarray(dual, float)] if dual is not None else [])
    t0 = time.perf_counter()
    lb = lower_bound("squared", candidates, y, beta, PatternSystem(per_pattern=per_pattern))
    cert = _certificate("G.1", X_full, y, beta, "squared", P, patterns_complete, solver, status, primal_convex,
                        net.objective(X_full, y, beta), lb, max(violation, 0.0), t_solve,
                        time.perf_counter() - t0, net.width)
    return ConvexResult(net, cert, None, None, D)


__all__ = ["ConvexResult", "solve", "solve_g1", "vector_sandwich", "relaxation_lower_bound", "default_patterns"]
