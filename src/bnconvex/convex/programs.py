"""The convex programs of BN ReLU networks: data → patterns → solution (CVXPY formulations of
:mod:`bnconvex.convex.formulations`, or our solvers of :mod:`bnconvex.convex.solvers`) → the one
reconstruction (:mod:`bnconvex.convex.reconstruct`) → the one certificate
(:func:`~bnconvex.convex.certificate.certify`).

- Thm 2.2, scalar output: ``min L(Σ_i D_i U'(s_i − s'_i)) + β Σ_i (‖s_i‖ + ‖s'_i‖)`` s.t.
  ``(2D_i − I) U' s_i ≥ 0``, ``(2D_i − I) U' s'_i ≥ 0``, with L squared, hinge or logistic (App. B.1).
- Thm 2.3, vector output, as a sandwich (docs/formulas.md): the column-wise cone restriction (an upper
  bound, reconstructable: one neuron per nonzero column, output ``±e_c``) and the nuclear-norm relaxation
  without cones (a lower bound). Losses squared or softmax cross-entropy.
- No BN (:func:`solve_no_bn`, Fig. 13): the program of Pilanci & Ergen (2020), Thm 2.2's on ``[X, 1]``.
- Thm G.1, BN after ReLU: per-pattern SVDs ``Pc D_i X = U_i Σ_i V_iᵀ``, ``U'_i = [U_i, 1/√n·1]``.
- Thm 3.1, a two-layer CNN with channel-wise BN (:func:`solve_cnn`): patches ``X_k ∈ R^{n×h}`` (k = 1..K)
  stacked as ``M = [X_1; …; X_K]``; BN normalizes each channel over all nK entries (``α/√(nK)``), and with
  ``Pc M = U_M Σ_M V_Mᵀ``, ``U'_M = [U_M, 1/√(nK)·1]``, the program is Thm 2.2 on the nK rows of M followed
  by sum-pooling over the K patches (``S = [I, …, I]``, n×nK): ``min ½‖Σ_i S D_i U'_M(q_i − q'_i) − y‖² +
  β Σ_i (‖q_i‖ + ‖q'_i‖)`` s.t. ``(2D_i − I) U'_M q_i ≥ 0`` (likewise q'_i). With K = 1 and the patch equal
  to the whole image it is exactly Thm 2.2.

Every solve returns the reconstructed network and a certificate (see :func:`solve`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bnconvex import losses
from bnconvex.convex import formulations
from bnconvex.convex.certificate import PatternSystem, certify
from bnconvex.convex.patterns import count_patterns, exact_patterns, sampled_patterns
from bnconvex.convex.reconstruct import reconstruct, reconstruct_no_bn, signed_classes
from bnconvex.linalg import compact_svd
from bnconvex.network import BNNetwork, ReLUNetwork


@dataclass
class ConvexResult:
    """``network``: the reconstructed :class:`BNNetwork` (a :class:`ReLUNetwork` for :func:`solve_no_bn`);
    ``certificate``: :meth:`Certificate.to_dict` (JSON);
    ``S``/``S_neg``: solution blocks, C×(r+1)×P; ``patterns``: the n×P boolean patterns used."""

    network: BNNetwork | ReLUNetwork
    certificate: dict
    S: np.ndarray | None = None
    S_neg: np.ndarray | None = None
    patterns: np.ndarray | None = None


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


def solve(X, y, beta: float, patterns=None, loss: str = "squared", solver: str = "clarabel",
          dust: float = 1e-8, patterns_complete: bool | None = None, **solver_options) -> ConvexResult:
    """Solve the BN convex program for data X (n×d) and targets y: Thm 2.2 for a 1-D y (scalar output),
    the column-wise restriction of Thm 2.3 for an n×C Y.

    ``patterns``: boolean n×P (:func:`bnconvex.convex.patterns.patterns`); None: every pattern when r + 1 ≤ 4
    (at most 5000), else 1000 sampled. ``patterns_complete`` marks a given set complete (default: true only for
    the exact default). ``solver``: "clarabel", "scs" or "bnconvex" (ours, squared loss; ``solver_options`` go to
    :func:`bnconvex.convex.solvers.solve_columns`). The certificate (:class:`~bnconvex.convex.Certificate`) holds
    ``primal_convex`` (the convex objective recomputed from the solution), ``primal_network`` (objective (9) of
    the network), ``lower_bound`` (a dual point scaled by sound per-pattern bounds:
    :func:`bnconvex.convex.certificate.dual_constraint`), ``gap``, ``rel_gap``,
    ``max_violation``, ``patterns_complete``, ``solver``, ``status``, ``valid`` and ``time_s``. A CVXPY status
    other than "optimal"/"optimal_inaccurate" raises a RuntimeError; "optimal_inaccurate" is ``valid: false``.
    """
    X, y = np.asarray(X, float), np.asarray(y, float)
    _check(X, y, beta, loss)
    svd = compact_svd(X)
    if patterns is None:
        D, complete = default_patterns(svd.U_prime)
    else:
        D, complete = np.asarray(patterns, bool), bool(patterns_complete)
    if D.shape[0] != X.shape[0]:
        raise ValueError(f"patterns must have n = {X.shape[0]} rows, got {D.shape}")
    return _columnwise("2.2" if y.ndim == 1 else "2.3-restriction", X, y, beta, svd.U_prime, D, complete, loss,
                       solver, dust, _bn_network(svd, dust), **solver_options)


def solve_no_bn(X, y, beta: float, patterns=None, loss: str = "squared", solver: str = "clarabel",
                dust: float = 1e-8, patterns_complete: bool | None = None, **solver_options) -> ConvexResult:
    """The convex program of the two-layer ReLU network *without* BN (Pilanci & Ergen, 2020; Fig. 13's convex
    no-BN model): Thm 2.2's program (and the column-wise one for an n×C Y) with the raw rows ``X̃ = [X, 1]``
    (n×(d+1)) in place of U', patterns ``1[X̃ h ≥ 0]``. Its network is a :class:`~bnconvex.network.ReLUNetwork`
    (:func:`~bnconvex.convex.reconstruct.reconstruct_no_bn`), whose objective (bias regularized with the
    weights) equals the program's; the certificate is the same as :func:`solve`'s (program ``"no-bn"``).
    ``patterns`` None: every pattern when d + 1 ≤ 4 (at most 5000), else 1000 sampled."""
    X, y = np.asarray(X, float), np.asarray(y, float)
    _check(X, y, beta, loss)
    X_tilde = np.column_stack([X, np.ones(len(X))])
    if patterns is None:
        D, complete = default_patterns(X_tilde)
    else:
        D, complete = np.asarray(patterns, bool), bool(patterns_complete)
    if D.shape[0] != X.shape[0]:
        raise ValueError(f"patterns must have n = {X.shape[0]} rows, got {D.shape}")

    def network(blocks, E):
        return ReLUNetwork(*reconstruct_no_bn(blocks, E, dust=dust))

    return _columnwise("no-bn", X, y, beta, X_tilde, D, complete, loss, solver, dust, network, **solver_options)


def _bn_network(svd, dust):
    """The BN network of blocks (App. C.3, :func:`~bnconvex.convex.reconstruct.reconstruct`) on ``svd``'s data."""
    return lambda blocks, E: reconstruct(blocks, E, svd.V, svd.Sigma, dust=dust)


def _columnwise(program, X, y, beta, Up, D, complete, loss, solver, dust, network, K=1, **solver_options):
    """Solve over the rows of ``Up`` (U'; Thm 3.1: nK rows, X the K×n×h patches; no BN: [X, 1]), build the
    network of the blocks with ``network(blocks, E)`` and certify."""
    (nK, r1), P = Up.shape, D.shape[1]
    C = 1 if y.ndim == 1 else y.shape[1]
    own = solver == "bnconvex" and K == 1
    if not own:
        formulations.size_check(nK, P, C, r1)
    Dm = D.astype(float)
    if own:
        from bnconvex.convex.solvers import solve_columns

        S, Sn, status, t_solve, dual = solve_columns(Up, D, y, beta, loss, **solver_options)
    else:
        S, Sn, status, t_solve, dual = formulations.columnwise(Up, Dm, y, beta, loss, solver, K, **solver_options)
    pool = np.tile(np.eye(nK // K), (1, K))
    yhat = np.stack([(F if K == 1 else pool @ F).sum(axis=1) for F in Dm * (Up @ (S - Sn))], axis=1)
    yhat = yhat[:, 0] if y.ndim == 1 else yhat
    reg = np.linalg.norm(S, axis=1).sum() + np.linalg.norm(Sn, axis=1).sum()
    violation = max(float(np.max(-((2 * Dm - 1) * (Up @ V)))) for V in [*S, *Sn])
    blocks = np.concatenate([S.transpose(0, 2, 1), Sn.transpose(0, 2, 1)]).reshape(2 * C * P, r1)
    signs, classes = np.repeat([1.0, -1.0], C * P), np.tile(np.repeat(np.arange(C), P), 2)
    net = network(blocks, signed_classes(signs, classes, C))
    cert = certify(program, X, y, beta, loss, yhat=yhat, reg=reg, violation=violation, dual=dual,
                   system=PatternSystem(U_prime=Up, D=D, K=K), network=net, P=P, complete=complete, solver=solver,
                   status=status, time_s=t_solve, own_dual=own)
    return ConvexResult(net, cert.to_dict(), S, Sn, D)


def relaxation_lower_bound(X, Y, beta: float, patterns, loss: str = "squared", solver: str = "clarabel",
                           **solver_options) -> dict:
    """Thm 2.3's nuclear-norm relaxation without cones: ``min L(Σ_i D_i U' Z_i) + β Σ_i ‖Z_i‖_*``.

    Its optimum is a lower bound on the vector-output program over the same patterns (the gauge of
    K_i is ≥ the nuclear norm, and the cones are dropped). Returns {"value", "status", "time_s"}.
    """
    X, Y = np.asarray(X, float), np.asarray(Y, float)
    _check(X, Y, beta, loss)
    Up = compact_svd(X).U_prime
    D = np.asarray(patterns, float)
    formulations.size_check(Up.shape[0], D.shape[1], Y.shape[1], Up.shape[1])
    value, status, t = formulations.nuclear_relaxation(Up, D, Y, beta, loss, solver, **solver_options)
    return {"value": value, "status": status, "time_s": t}


def vector_sandwich(X, Y, beta: float, patterns=None, loss: str = "squared", solver: str = "clarabel",
                    patterns_complete: bool | None = None) -> ConvexResult:
    """Thm 2.3 sandwich: the column-wise restriction (upper bound, with a network and certificate) and the
    nuclear-norm relaxation (lower bound). The certificate gains ``upper_bound``, ``relaxation_lower_bound``
    and ``sandwich_gap``."""
    res = solve(X, Y, beta, patterns, loss, solver, patterns_complete=patterns_complete)
    relax = relaxation_lower_bound(X, Y, beta, res.patterns, loss, solver)
    upper = res.certificate["primal_convex"]
    res.certificate.update(upper_bound=upper, relaxation_lower_bound=relax["value"],
                           sandwich_gap=upper - relax["value"], relaxation_time_s=relax["time_s"])
    return res


def solve_g1(X, y, beta: float, patterns, solver: str = "clarabel", dust: float = 1e-8,
             patterns_complete: bool = False, **solver_options) -> ConvexResult:
    """Thm G.1, BN after ReLU, scalar squared loss, over the given patterns ``1[Xw ≥ 0]`` (n×P).

    For each pattern, ``Pc D_i X = U_i Σ_i V_iᵀ`` and ``U'_i = [U_i, 1/√n·1]``; the neuron's output is
    ``U'_i s_i`` with ``s_i = [Σ_i V_iᵀ w_i; a_i]``, under the cone ``(2D_i − I) X w_i ≥ 0``.

    ⚠ The cone has been written (docs/formulas.md, "Corrections our tests prove") as
    ``(2D_i − I) X V_i Σ_i⁻¹ s_{i,1:r_i} ≥ 0``, i.e. it fixes
    ``w_i = V_i Σ_i⁻¹ s_{i,1:r_i}`` in the row space of ``Pc D_i X``. Components of w_i in the null space of
    ``Pc D_i X`` change neither the BN output nor the penalty, but they do move ``X w_i`` on the rows the ReLU
    cuts off (and shift all rows when D_i = I), so that version is only a restriction: with n ≤ d the
    closed form of Thm G.2 beats it (tests/convex/test_programs.py). Here w_i ∈ R^d is free.
    """
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
    formulations.size_check(n, P, 1, d + 1)
    per_pattern = []
    for i in range(P):
        svd_i = compact_svd(D[:, i, None] * X)  # Pc D_i X = U_i Σ_i V_iᵀ
        M_i = (svd_i.V * svd_i.Sigma).T  # Σ_i V_iᵀ, r_i×d
        per_pattern.append((svd_i.U_prime, np.where(D[:, i, None], X, -X), M_i))
    W, Wn, a, an, status, t_solve, dual = formulations.g1(per_pattern, y, beta, solver, **solver_options)
    blocks, yhat, reg_val, violation = [], np.zeros(n), 0.0, 0.0
    for i, (Up_i, B_i, M_i) in enumerate(per_pattern):
        for w, b, sgn in ((W[:, i], a[i], 1.0), (Wn[:, i], an[i], -1.0)):
            s_i = np.append(M_i @ w, b)
            yhat += sgn * (Up_i @ s_i)
            reg_val += np.linalg.norm(s_i)
            violation = max(violation, float(np.max(-(B_i @ w))))
            blocks.append((s_i, w, sgn))
    # blocks have r_i + 1 entries; with W1 given only ‖s_{1:r_i}‖ and s_{r_i+1} matter: pad before the last
    S_blocks = np.zeros((len(blocks), max(b[0].size for b in blocks)))
    for j, (s_i, _, _) in enumerate(blocks):
        S_blocks[j, : s_i.size - 1], S_blocks[j, -1] = s_i[:-1], s_i[-1]
    net = reconstruct(S_blocks, np.array([[b[2]] for b in blocks]), W1=np.stack([b[1] for b in blocks], axis=1),
                      dust=dust, bn_after_relu=True)
    net = BNNetwork(Vx @ net.W1, net.gamma, net.alpha, net.W2, bn_after_relu=True)  # back to R^d
    cert = certify("G.1", X_full, y, beta, "squared", yhat=yhat, reg=reg_val, violation=violation, dual=dual,
                   system=PatternSystem(per_pattern=per_pattern), network=net, P=P, complete=patterns_complete,
                   solver=solver, status=status, time_s=t_solve)
    return ConvexResult(net, cert.to_dict(), None, None, D)


def extract_patches(images: np.ndarray, kernel: int, stride: int, padding: int = 0) -> np.ndarray:
    """Patches of images (n, channels, H, W) → (K, n, channels·kernel²), K = number of positions."""
    images = np.asarray(images, float)
    if images.ndim != 4:
        raise ValueError(f"images must be (n, channels, H, W), got shape {images.shape}")
    x = np.pad(images, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    n, c, H, W = x.shape
    out = []
    for i in range(0, H - kernel + 1, stride):
        for j in range(0, W - kernel + 1, stride):
            out.append(x[:, :, i:i + kernel, j:j + kernel].reshape(n, -1))
    if not out:
        raise ValueError(f"kernel {kernel} does not fit images of size {H}×{W} (padding included)")
    return np.stack(out)


def solve_cnn(patches: np.ndarray, y: np.ndarray, beta: float, P: int = 100, seed: int = 0,
              patterns: np.ndarray | None = None, solver: str = "clarabel", dust: float = 1e-8,
              **solver_options) -> ConvexResult:
    """Thm 3.1 for scalar y and squared loss over P sampled patterns of the nK rows (or given ``patterns``,
    boolean nK×P, rows ordered patch-major as in ``M``). Returns the network (a :class:`BNNetwork`
    whose W1 holds the filters; evaluate it on the patches) and a certificate (``n``, ``d`` = h and ``K``)."""
    patches, y = np.asarray(patches, float), np.asarray(y, float)
    K, n, h = patches.shape
    if y.shape != (n,):
        raise ValueError(f"Thm 3.1 here takes a scalar target of shape ({n},), got {y.shape}")
    if not np.isfinite(beta) or beta <= 0:
        raise ValueError(f"beta must be a positive finite number, got {beta}")
    svd = compact_svd(patches.reshape(K * n, h))  # centers over all nK entries, U' = [U, 1/√(nK)·1]
    D = sampled_patterns(svd.U_prime, P, seed) if patterns is None else np.asarray(patterns, bool)
    return _columnwise("3.1", patches, y, beta, svd.U_prime, D, False, "squared", solver, dust, _bn_network(svd, dust),
                       K, **solver_options)

