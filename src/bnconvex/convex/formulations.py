"""The CVXPY formulations of the convex programs, solved by CVXPY's open solvers (Clarabel, SCS). Each returns
the solution arrays, the status, the solve time and the dual of ``u = ŷ``; :mod:`bnconvex.convex.programs` turns
them into networks and certificates. :func:`columnwise`: Thm 2.2 and the column-wise restriction of Thm 2.3 (and
Thm 3.1: K patches, fit sum-pooled); :func:`nuclear_relaxation`: Thm 2.3's relaxation; :func:`g1`: Thm G.1.
"""

from __future__ import annotations

import time

import numpy as np

from bnconvex import losses

SOLVERS = ("clarabel", "scs")  # CVXPY's open solvers; "bnconvex" is our own (squared loss)
MAX_ENTRIES = 5e7  # n·P·C·(r+1) above which CVXPY's dense model does not fit a node's memory


def size_check(n, P, C, r1):
    entries = float(n) * P * C * r1
    if entries > MAX_ENTRIES:
        raise ValueError(f"problem too large for the CVXPY path: n·P·C·(r+1) = {n}·{P}·{C}·{r1} = {entries:.2e} > "
                         f"{MAX_ENTRIES:.0e}; use fewer patterns or a subset (the first-order solver is for this size)")


def cvxpy_solve(problem, solver: str, program: str, accept=("optimal", "optimal_inaccurate"), **options):
    """Solve with an open solver; a status outside ``accept`` raises a RuntimeError. Returns (status, time)."""
    import cvxpy as cp

    if solver not in SOLVERS:
        raise ValueError(f"solver must be one of {SOLVERS} (open solvers), got {solver!r}")
    t0 = time.perf_counter()
    problem.solve(solver={"clarabel": cp.CLARABEL, "scs": cp.SCS}[solver], **options)
    if problem.status not in accept:
        raise RuntimeError(f"{solver} returned status {problem.status!r} for the {program}")
    return problem.status, time.perf_counter() - t0


def columnwise(Up, Dm, y, beta, loss, solver, K: int = 1, **solver_options):
    """Thm 2.2 / the column-wise program (Thm 3.1: K patches). Returns (S, S' (C×(r+1)×P), status, time, dual)."""
    import cvxpy as cp

    (nK, r1), P = Up.shape, Dm.shape[1]
    n, C = nK // K, 1 if y.ndim == 1 else y.shape[1]
    sign = 2 * Dm - 1
    pool = np.tile(np.eye(n), (1, K))  # S = [I, …, I]: sums the K patch blocks
    S = [cp.Variable((r1, P)) for _ in range(C)]
    Sn = [cp.Variable((r1, P)) for _ in range(C)]
    cols = [cp.multiply(Dm, Up @ (S[c] - Sn[c])) for c in range(C)]
    cols = [cp.sum(col if K == 1 else pool @ col, axis=1) for col in cols]
    u = cp.Variable(n) if y.ndim == 1 else cp.Variable((n, C))
    fit = cols[0] if u.ndim == 1 else cp.vstack(cols).T
    cons = [u == fit]
    cons += [cp.multiply(sign, Up @ V) >= 0 for V in S + Sn]
    reg = sum(cp.sum(cp.norm(V, 2, axis=0)) for V in S + Sn)
    problem = cp.Problem(cp.Minimize(losses.cvxpy_expr(loss, u, y) + beta * reg), cons)
    status, t_solve = cvxpy_solve(problem, solver, "Thm 2.2/2.3 program" if K == 1 else "Thm 3.1 program",
                                  **solver_options)
    return np.stack([V.value for V in S]), np.stack([V.value for V in Sn]), status, t_solve, cons[0].dual_value


def nuclear_relaxation(Up, D, Y, beta, loss, solver, **solver_options) -> tuple[float, str, float]:
    """``min L(Σ_i D_i U' Z_i) + β Σ_i ‖Z_i‖_*``. Returns (value, status, time)."""
    import cvxpy as cp

    r1, P, C = Up.shape[1], D.shape[1], Y.shape[1]
    Z = [cp.Variable((r1, C)) for _ in range(P)]
    fit = sum(cp.multiply(D[:, [i]] @ np.ones((1, C)), Up @ Z[i]) for i in range(P))
    problem = cp.Problem(cp.Minimize(losses.cvxpy_expr(loss, fit, Y) + beta * sum(cp.normNuc(z) for z in Z)))
    status, t = cvxpy_solve(problem, solver, "nuclear-norm relaxation", accept=("optimal",), **solver_options)
    return float(problem.value), status, t


def g1(per_pattern, y, beta, solver, **solver_options):
    """Thm G.1 over (U'_i, B_i, M_i) (:func:`~bnconvex.convex.programs.solve_g1`). Returns (W, W', a, a', status,
    time, dual)."""
    import cvxpy as cp

    d, P = per_pattern[0][1].shape[1], len(per_pattern)
    W, Wn = cp.Variable((d, P)), cp.Variable((d, P))
    a, an = cp.Variable(P), cp.Variable(P)
    fit, reg, cons = 0, 0, []
    for i, (Up_i, B_i, M_i) in enumerate(per_pattern):
        for w, b, sgn in ((W[:, i], a[i], 1), (Wn[:, i], an[i], -1)):
            s_i = cp.hstack([M_i @ w, cp.reshape(b, (1,), order="C")])
            fit = fit + sgn * (Up_i @ s_i)
            reg = reg + cp.norm(s_i, 2)
            cons.append(B_i @ w >= 0)
    u = cp.Variable(len(y))
    cons.insert(0, u == fit)
    problem = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(u - y) + beta * reg), cons)
    if solver == "clarabel":  # degenerate patterns (few active rows) need a smaller static regularization
        solver_options = {"static_regularization_constant": 1e-7, **solver_options}
    status, t_solve = cvxpy_solve(problem, solver, "Thm G.1 program", **solver_options)
    return W.value, Wn.value, a.value, an.value, status, t_solve, cons[0].dual_value
