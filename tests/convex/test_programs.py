import numpy as np
import pytest
import torch
from helpers import train_full_batch

from bnconvex.closed_form import closed_form
from bnconvex.convex import patterns, solve, solve_g1, solve_no_bn, vector_sandwich
from bnconvex.convex.formulations import cvxpy_solve
from bnconvex.convex.patterns import no_bias_patterns, unique_columns
from bnconvex.models import BNNet
from bnconvex.network import ReLUNetwork

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def threshold_data(rng, n=15):
    """A scalar target that needs a bias: y ≈ ±1 on either side of x_0 = 3."""
    X = rng.standard_normal((n, 2)) + np.array([3.0, 0.0])
    y = np.where(X[:, 0] > 3, 1.0, -1.0) + 0.1 * rng.standard_normal(n)
    return X, y


def adam_runs(X, Y, beta, m=20, seeds=(0, 1, 2), steps=3000, lr=0.01):
    out = []
    for seed in seeds:
        net = BNNet(X.shape[1], m, Y.shape[1], None, beta, seed=seed, dtype=torch.float64)
        out.append(train_full_batch(net, X, Y, steps, lr))
    return out


def test_thm_2_2_exact_patterns_certified_reconstructed_and_unbeaten(rng):
    X, y = threshold_data(rng)
    beta = 0.05
    res = solve(X, y, beta)
    cert = res.certificate
    assert cert["patterns_complete"] and cert["status"] == "optimal" and cert["valid"]
    assert cert["P"] == 2 * (1 + 14 + 91)
    assert cert["rel_gap"] <= 1e-6 and cert["lower_bound"] <= cert["primal_convex"]
    assert cert["network_rel_diff"] <= 1e-6
    assert cert["max_violation"] <= 1e-7
    assert res.network.objective(X, y, beta) == pytest.approx(cert["primal_network"], rel=1e-12)
    # the printed no-bias patterns give a strictly larger optimum ...
    no_bias = solve(X, y, beta, patterns=no_bias_patterns(X, 5000)).certificate["primal_convex"]
    assert no_bias > cert["primal_convex"] * 1.1
    # ... which gradient descent on the network beats, while it never beats the certified bound
    for history in adam_runs(X, y[:, None], beta):
        assert min(history) >= cert["lower_bound"] * (1 - 1e-9)
        assert history[-1] < no_bias


def test_no_bn_program_exact_patterns_certified_reconstructed_and_unbeaten(rng):
    """Fig. 13's convex no-BN program (Pilanci & Ergen 2020) on [X, 1] with every pattern (d = 2): certified,
    its ReLU network (no BN) reaches the primal, and Adam on the no-BN network from random starts ends no lower
    (its final weights scored with the program's objective, bias regularized with the weights)."""
    X, y = threshold_data(rng)
    beta = 0.05
    res = solve_no_bn(X, y, beta)
    cert = res.certificate
    assert cert["program"] == "no-bn" and cert["patterns_complete"] and cert["valid"]
    assert cert["rel_gap"] <= 1e-6 and cert["network_rel_diff"] <= 1e-6 and cert["max_violation"] <= 1e-7
    assert isinstance(res.network, ReLUNetwork)
    assert res.network.objective(X, y, beta) == pytest.approx(cert["primal_network"], rel=1e-12)
    Xt = np.column_stack([X, np.ones(len(X))])  # the network is Σ (X̃ s)₊ − (X̃ s')₊ of the blocks
    direct = sum(np.maximum(Xt @ s, 0) - np.maximum(Xt @ sn, 0) for s, sn in zip(res.S[0].T, res.S_neg[0].T,
                                                                                  strict=True))
    np.testing.assert_allclose(res.network.forward(X)[:, 0], direct, atol=1e-6)
    for seed in range(3):
        net = BNNet(2, 20, 1, None, beta, bn=False, seed=seed, dtype=torch.float64)
        train_full_batch(net, X, y[:, None], 3000, 0.01)
        a = lambda p: p.detach().numpy()  # noqa: E731
        trained = ReLUNetwork(a(net.W1), a(net.b1), a(net.W2)).objective(X, y, beta)
        assert trained >= cert["lower_bound"] * (1 - 1e-9)
    # BN changes the problem: the BN program's optimum on the same data differs
    assert abs(solve(X, y, beta).certificate["primal_convex"] - cert["primal_convex"]) > 1e-3


def test_squared_loss_optimum_matches_thm_2_1_when_its_patterns_are_present(rng):
    X, y = rng.standard_normal((6, 10)), rng.standard_normal(6)
    beta = 0.3
    p_star = closed_form(X, y, beta, theorem="2.1").certificate["primal"]
    D = patterns(X, "sample", P=40, seed=0)
    D = unique_columns(np.concatenate([D, np.stack([y >= 0, y <= 0], axis=1)], axis=1))
    cert = solve(X, y, beta, patterns=D).certificate
    assert cert["primal_convex"] == pytest.approx(p_star, rel=1e-6)
    assert cert["rel_gap"] <= 1e-6


@pytest.mark.parametrize("loss", ["hinge", "logistic"])
def test_classification_losses_certified_and_confirmed_by_brute_force(rng, loss):
    X, y = threshold_data(rng, n=12)
    y = np.sign(y)
    beta = 0.1
    res = solve(X, y, beta, loss=loss)
    cert = res.certificate
    assert cert["rel_gap"] <= 1e-6 and cert["network_rel_diff"] <= 1e-6
    assert res.network.objective(X, y, beta, loss) == pytest.approx(cert["primal_convex"], rel=1e-6)
    # brute force: many random networks, each evaluated with the same loss, never beat the lower bound
    from bnconvex.network import BNNetwork

    best = np.inf
    for seed in range(300):
        r = np.random.default_rng(seed)
        net = BNNetwork(r.standard_normal((2, 4)), r.standard_normal(4), r.standard_normal(4),
                        r.standard_normal((4, 1)))
        best = min(best, net.rescaled().objective(X, y, beta, loss))
    assert best >= cert["lower_bound"] * (1 - 1e-9)


def test_cross_entropy_vector_output(rng):
    X = rng.standard_normal((12, 2))
    Y = np.eye(3)[np.argmax(X @ rng.standard_normal((2, 3)), axis=1)]
    res = solve(X, Y, 0.1, loss="cross_entropy")
    cert = res.certificate
    assert cert["program"] == "2.3-restriction" and cert["C"] == 3
    assert cert["rel_gap"] <= 1e-6 and cert["network_rel_diff"] <= 1e-6


def test_vector_sandwich_brackets_thm_2_4(rng):
    X = rng.standard_normal((8, 12))
    Y = np.eye(2)[np.arange(8) % 2]
    beta = 0.5
    p_star = closed_form(X, Y, beta).certificate["primal"]
    res = vector_sandwich(X, Y, beta, patterns(X, "sample", P=200, seed=0))
    cert = res.certificate
    assert cert["relaxation_lower_bound"] <= p_star * (1 + 1e-6)
    assert cert["upper_bound"] >= p_star * (1 - 1e-6)
    assert cert["rel_gap"] <= 1e-6  # the restriction itself is solved to certified optimality


def test_g1_bn_after_relu_certified_and_matches_thm_g2(rng):
    X, y = rng.standard_normal((6, 10)), rng.standard_normal(6)
    beta = 0.3
    D = unique_columns(np.concatenate([no_bias_patterns(X, 30), np.ones((6, 1), bool)], axis=1))
    res = solve_g1(X, y, beta, D)
    cert = res.certificate
    assert res.network.bn_after_relu
    assert cert["rel_gap"] <= 1e-6 and cert["network_rel_diff"] <= 1e-6
    p_g2 = closed_form(X, y, beta, theorem="G.2").certificate["primal"]
    assert cert["primal_convex"] <= p_g2 * (1 + 1e-6)  # the G.2 network is feasible in the G.1 program
    assert cert["lower_bound"] <= p_g2 * (1 + 1e-6)


def test_formulas_g1_cone_is_only_a_restriction(rng):
    """The reference formulas' G.1 cone (docs/formulas.md, corrections) fixes w_i = V_i Σ_i⁻¹ s_{1:r}: on
    n ≤ d data the G.2 closed form beats it."""
    import cvxpy as cp

    from bnconvex.linalg import compact_svd

    X, y = rng.standard_normal((6, 10)), rng.standard_normal(6)
    beta = 0.3
    D = np.ones((6, 1), bool)  # the pattern of the G.2 network
    svd = compact_svd(X)
    s = cp.Variable(svd.rank + 1)
    A = X @ svd.V / svd.Sigma
    printed = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(svd.U_prime @ s - y) + beta * cp.norm(s, 2)),
                         [A @ s[:-1] >= 0])
    printed.solve(solver=cp.CLARABEL)
    p_g2 = closed_form(X, y, beta, theorem="G.2").certificate["primal"]
    ours = solve_g1(X, y, beta, D).certificate["primal_convex"]
    assert ours == pytest.approx(p_g2, rel=1e-6)
    assert printed.value > p_g2 * 1.01


def test_scs_is_selectable_and_agrees(rng):
    X, y = threshold_data(rng, n=10)
    a = solve(X, y, 0.1).certificate["primal_convex"]
    b = solve(X, y, 0.1, solver="scs", eps_abs=1e-9, eps_rel=1e-9, max_iters=200000).certificate
    assert b["solver"] == "scs" and b["primal_convex"] == pytest.approx(a, rel=1e-4)


def test_inaccurate_solve_is_marked_invalid_and_its_gap_says_so(rng):
    X, y = threshold_data(rng, n=10)
    cert = solve(X, y, 0.1, solver="scs", max_iters=5).certificate
    assert cert["status"] == "optimal_inaccurate" and cert["valid"] is False
    assert cert["rel_gap"] > 1e-2  # the certificate is still computed, and honest about the stopped solve


def test_a_failed_solve_raises_with_its_status():
    import cvxpy as cp

    x = cp.Variable()
    with pytest.raises(RuntimeError, match="status 'infeasible' for the toy program"):
        cvxpy_solve(cp.Problem(cp.Minimize(x), [x >= 1, x <= 0]), "clarabel", "toy program")


def test_bad_inputs_are_named(rng):
    X, y = threshold_data(rng, n=10)
    with pytest.raises(ValueError, match="beta"):
        solve(X, y, 0.0)
    with pytest.raises(ValueError, match="labels y in"):
        solve(X, y, 0.1, loss="hinge")
    with pytest.raises(ValueError, match="solver must be"):
        solve(X, y, 0.1, solver="gurobi")
    with pytest.raises(ValueError, match="too large"):
        solve(X, y, 0.1, patterns=np.ones((10, 2_000_000), bool))
