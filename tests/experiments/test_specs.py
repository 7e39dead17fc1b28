"""bnconvex.experiments.specs: the precedence of a model's settings, and the paper's steps in our parametrisation
(one step of ours at the mapped lr / β is one step of the paper's PyTorch network at its own)."""

import copy

import pytest
import torch
import yaml
from helpers import ROOT

from bnconvex.config import ConfigError, check_config
from bnconvex.experiments.specs import paper_step, resolve_spec
from bnconvex.models import BNNet, ConvexNet, SpectralMap
from bnconvex.train import TrainSettings, make_optimizer

TEST_CONFIG = yaml.safe_load((ROOT / "config/test.yaml").read_text())
F64 = torch.float64


# ---- precedence ----

def test_each_level_overrides_the_one_below():
    """defaults < datasets.<ds> < models.<m> < datasets.<ds>.models.<m> < sweep suffix, one field per level."""
    defaults = {"m1": 1, "batch_size": 1, "beta": 1.0, "epochs": 1, "lr": 1.0, "k": 1}
    models = {"sgd": {"arch": "bn", "beta": 3.0, "epochs": 3, "lr": 3.0, "k": 3}, "other": {"arch": "bn"}}
    on_dataset = {"batch_size": 2, "beta": 2.0, "epochs": 2, "lr": 2.0, "k": 2,
                  "models": {"sgd": {"epochs": 4, "lr": 4.0, "k": 4}}}
    before = copy.deepcopy(on_dataset)
    spec = resolve_spec("sgd-lr5", defaults, models, on_dataset)
    assert spec == {"arch": "bn", "m1": 1, "batch_size": 2, "beta": 3.0, "epochs": 4, "lr": 5.0, "k": 4}
    assert resolve_spec("sgd", defaults, models, on_dataset)["lr"] == 4.0
    assert resolve_spec("sgd-k7", defaults, models, on_dataset)["truncate"] is True
    # another model on that data set, and the same model on a data set without overrides
    assert resolve_spec("other", defaults, models, on_dataset)["lr"] == 2.0
    assert resolve_spec("sgd", defaults, models, None)["lr"] == 3.0
    assert on_dataset == before  # the config is not modified


def test_the_config_check_names_the_level_a_setting_came_from(tmp_path):
    """A bad k set under train.datasets.<ds>.models.<m> is reported there, not at the model or the default."""
    config = copy.deepcopy(TEST_CONFIG)
    config["train"]["datasets"] = {"digits": {"models": {"sgd_truncated": {"k": 1000}}}}
    with pytest.raises(ConfigError, match=r"train\.datasets\.digits\.models\.sgd_truncated\.k.*k=1000 outside"):
        check_config(config)
    config["train"]["datasets"] = {"digits": {"models": {"sgd_truncated": {"k": 3}}}}
    check_config(config)


@pytest.mark.parametrize("models, key", [
    ({"nope": {"lr": 1.0}}, r"train\.datasets\.digits\.models\.nope.*not a model of train\.models"),
    ({"sgd": {"arch": "nobn"}}, r"train\.datasets\.digits\.models\.sgd"),      # what a model is stays in models
    ({"sgd": {"lrr": 1.0}}, r"train\.datasets\.digits\.models\.sgd"),
])
def test_per_dataset_model_settings_are_checked(models, key):
    config = copy.deepcopy(TEST_CONFIG)
    config["train"]["datasets"] = {"digits": {"models": models}}
    with pytest.raises(ConfigError, match=key):
        check_config(config)


# ---- the paper's step ----

N, D, M, C, B = 12, 5, 7, 3, 4
LR, BETA = 0.05, 0.3   # the paper's (large enough that a wrong mapping shows)


@pytest.fixture
def batches():
    g = torch.Generator().manual_seed(7)
    X = torch.randn(N, D, generator=g, dtype=F64)
    Y = torch.eye(C, dtype=F64)[torch.randint(0, C, (N,), generator=g)]
    X_test = torch.randn(5, D, generator=g, dtype=F64)
    return X, Y, X_test, [torch.arange(i * B, (i + 1) * B) for i in range(N // B)]


def ours_bn() -> BNNet:
    net = BNNet(D, M, C, N, beta=0.0, seed=1, dtype=F64)
    g = torch.Generator().manual_seed(2)
    with torch.no_grad():
        net.bn.gamma.copy_(0.5 + torch.rand(M, generator=g, dtype=F64))
        net.bn.alpha.copy_(torch.randn(M, generator=g, dtype=F64))
    return net


def paper_bn(ours: BNNet, scale: float) -> torch.nn.Sequential:
    """The paper's network in plain PyTorch at θ_paper = scale · θ_ours (bias-free Linear layers: BN removes the
    first bias and (3) has no output bias; eps the dtype's tiny, as ours, instead of BatchNorm1d's 1e-5)."""
    net = torch.nn.Sequential(torch.nn.Linear(D, M, bias=False, dtype=F64),
                              torch.nn.BatchNorm1d(M, eps=torch.finfo(F64).tiny, dtype=F64),
                              torch.nn.ReLU(), torch.nn.Linear(M, C, bias=False, dtype=F64))
    with torch.no_grad():
        net[0].weight.copy_(scale * ours.W1.T)
        net[1].weight.copy_(scale * ours.bn.gamma)
        net[1].bias.copy_(scale * ours.bn.alpha)
        net[3].weight.copy_(scale * ours.W2.T)
        net[1].running_mean.copy_(scale * ours.bn.running_mean)   # the running statistics of X W1 map too
        net[1].running_var.copy_(scale**2 * ours.bn.running_var)
    return net


def optimizer(kind: str, groups, lr: float, eps: float = 1e-8):
    """The paper's SGD (momentum 0.9) or Adam (0.9, 0.999, ε; App. A.7.4)."""
    return torch.optim.SGD(groups, lr=lr, momentum=0.9) if kind == "sgd" else torch.optim.Adam(groups, lr=lr, eps=eps)


def paper_steps(net, X, Y, idx_list, kind, reduction):
    """The paper's steps: (3) on each batch, divided by b for "mean"; weight decay β on every parameter."""
    w = 1.0 / B if reduction == "mean" else 1.0
    opt = optimizer(kind, [{"params": list(net.parameters()), "weight_decay": w * BETA}], LR)
    for idx in idx_list:
        opt.zero_grad()
        (w * 0.5 * (net(X[idx]) - Y[idx]).pow(2).sum()).backward()
        opt.step()


def our_steps(net, X, Y, idx_list, opt):
    for idx in idx_list:
        opt.zero_grad()
        net.batch_objective(X[idx], Y[idx], N).backward()
        opt.step()


def bn_gap(paper, ours, scale) -> float:
    """Largest difference of the mapped weights, relative to the largest weight."""
    pairs = [(paper[0].weight, ours.W1.T), (paper[1].weight, ours.bn.gamma), (paper[1].bias, ours.bn.alpha),
             (paper[3].weight, ours.W2.T)]
    with torch.no_grad():
        return max(float((p - scale * o).abs().max() / p.abs().max()) for p, o in pairs)


@pytest.mark.parametrize("kind, reduction", [("sgd", "mean"), ("sgd", "sum"), ("adam", "mean"), ("adam", "sum")])
def test_our_bn_network_at_the_mapped_lr_takes_the_papers_steps(batches, kind, reduction):
    """Three steps (momentum or Adam moments carried) on mini-batches b < n: same weights, same outputs (train
    and eval mode, running statistics included). Adam with our ε = factor · scale × the paper's, the scale of
    our gradients (our loop keeps Adam's 1e-8: docs/study.md)."""
    X, Y, X_test, idx = batches
    step = paper_step("bn", kind, LR, BETA, N, B, reduction)
    ours = ours_bn()
    ours.beta = step.beta
    paper = paper_bn(ours, step.scale)
    with torch.no_grad():
        assert torch.allclose(paper(X[:B]), ours(X[:B]), rtol=1e-12, atol=1e-14)  # the same function
    paper_steps(paper, X, Y, idx, kind, reduction)
    groups = [{"params": [ours.W1], "weight_decay": step.missing_decay},
              {"params": [ours.bn.gamma, ours.bn.alpha, ours.W2], "weight_decay": 0.0}]
    our_steps(ours, X, Y, idx, optimizer(kind, groups, step.lr, eps=1e-8 * step.factor * step.scale))
    assert bn_gap(paper, ours, step.scale) < 1e-12
    paper.eval(), ours.eval()
    with torch.no_grad():
        assert torch.allclose(paper(X_test), ours(X_test), rtol=1e-11, atol=1e-13)


def test_the_papers_lr_copied_into_ours_is_another_step(batches):
    """The check can fail: at the paper's own lr (or at the mapped lr without the mapped β) ours moves elsewhere."""
    X, Y, _, idx = batches
    step = paper_step("bn", "sgd", LR, BETA, N, B)
    for lr, beta in ((LR, step.beta), (step.lr, BETA)):
        ours = ours_bn()
        ours.beta = beta
        paper = paper_bn(ours, step.scale)
        paper_steps(paper, X, Y, idx, "sgd", "mean")
        our_steps(ours, X, Y, idx, optimizer("sgd", [{"params": list(ours.parameters()),
                                                      "weight_decay": step.missing_decay}], lr))
        assert bn_gap(paper, ours, step.scale) > 1e-3


def test_our_training_loop_misses_only_the_first_layers_decay(batches):
    """bnconvex.train's optimizer (no decay of W1: our objective (9) leaves it out) takes the paper's step
    except W1 ← W1 − lr·(β/b)·W1 (the decay of W1 the paper applies; BN makes the output scale-free in W1)."""
    X, Y, _, idx = batches
    step = paper_step("bn", "sgd", LR, BETA, N, B)
    ours = ours_bn()
    ours.beta = step.beta
    paper = paper_bn(ours, step.scale)
    W1_before = paper[0].weight.detach().clone()
    paper_steps(paper, X, Y, idx[:1], "sgd", "mean")
    params = [p for p in ours.parameters() if p.requires_grad]
    our_steps(ours, X, Y, idx[:1], make_optimizer(params, TrainSettings(optimizer="sgd", lr=step.lr)))
    with torch.no_grad():
        for p, o in ((paper[1].weight, ours.bn.gamma), (paper[1].bias, ours.bn.alpha), (paper[3].weight, ours.W2.T)):
            assert torch.allclose(p, step.scale * o, rtol=1e-12, atol=1e-15)
        decay = paper[0].weight - step.scale * ours.W1.T
        assert torch.allclose(decay, -LR * BETA / B * W1_before, rtol=1e-9, atol=1e-15)


def test_no_bn_network_maps_with_unit_scale(batches):
    """No BN (Fig. 13): the same parameters; lr/factor and β·factor·w, the bias b1 decayed as the paper's."""
    X, Y, _, idx = batches
    step = paper_step("nobn", "sgd", LR, BETA, N, B)
    assert step.scale == 1.0 and step.factor == N
    ours = BNNet(D, M, C, N, step.beta, bn=False, seed=1, dtype=F64)
    paper = torch.nn.Sequential(torch.nn.Linear(D, M, dtype=F64), torch.nn.ReLU(),
                                torch.nn.Linear(M, C, bias=False, dtype=F64))
    with torch.no_grad():
        ours.b1.copy_(torch.linspace(-0.5, 0.5, M))
        paper[0].weight.copy_(ours.W1.T), paper[0].bias.copy_(ours.b1), paper[2].weight.copy_(ours.W2.T)
    paper_steps(paper, X, Y, idx, "sgd", "mean")
    groups = [{"params": [ours.W1, ours.W2], "weight_decay": 0.0},
              {"params": [ours.b1], "weight_decay": step.missing_decay}]
    our_steps(ours, X, Y, idx, optimizer("sgd", groups, step.lr))
    with torch.no_grad():
        for p, o in ((paper[0].weight, ours.W1.T), (paper[0].bias, ours.b1), (paper[2].weight, ours.W2.T)):
            assert torch.allclose(p, o, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("kind", ["sgd", "adam"])
def test_convex_program_maps_with_unit_scale_and_the_same_rho(batches, kind):
    """The penalized convex program (App. A) written as the paper's batch objective, divided by b:
    ``(½‖ŷ − Y‖² + β Σ‖s‖ + ρ Σ violations) / b``; ours at the mapped lr and β (ρ unchanged) takes its steps."""
    X, Y, _, idx = batches
    step = paper_step("convex", kind, LR, BETA, N, B)
    assert step.missing_decay == 0.0
    spectral = SpectralMap.fit(X.numpy())
    ours, paper = (ConvexNet(spectral, 6, C, beta, rho=0.7, seed=3, dtype=F64) for beta in (step.beta, BETA))
    g = torch.Generator().manual_seed(4)
    with torch.no_grad():
        for S in ("S", "S_neg"):
            getattr(ours, S).copy_(0.3 * torch.randn(getattr(ours, S).shape, generator=g, dtype=F64))
            getattr(paper, S).copy_(getattr(ours, S))
    opt_paper = optimizer(kind, list(paper.parameters()), LR)
    for i in idx:
        opt_paper.zero_grad()
        pred, violation = paper._fit_and_penalty(X[i])
        assert violation.sum() > 0  # the penalty acts
        ((0.5 * (pred - Y[i]).pow(2).sum() + BETA * paper.regularizer() + 0.7 * violation.sum()) / B).backward()
        opt_paper.step()
    our_steps(ours, X, Y, idx, optimizer(kind, list(ours.parameters()), step.lr, eps=1e-8 * step.factor))
    with torch.no_grad():
        for S in ("S", "S_neg"):
            p, o = getattr(paper, S), getattr(ours, S)
            assert float((p - o).abs().max() / p.abs().max()) < 1e-12


def test_paper_step_at_cifar10s_sizes():
    """The closed forms of the docstring at Fig. 3's n = 50,000, bs = 1000, and what is not derived."""
    bn, convex = (paper_step(arch, "sgd", 1e-5, 1e-4, 50_000, 1000) for arch in ("bn", "convex"))
    assert bn.lr == pytest.approx(1e-5 / 50_000**0.5) and bn.beta == pytest.approx(1e-4 * 50_000**0.5 / 1000)
    assert convex.lr == pytest.approx(1e-5 / 50_000) and convex.beta == pytest.approx(1e-4 * 50)
    assert paper_step("bn", "adam", 1e-5, 1e-4, 50_000, 1000).lr == pytest.approx(1e-5 * 50_000**0.25)
    assert paper_step("bn", "sgd", 1e-5, 1e-4, 900, None).lr == paper_step("bn", "sgd", 1e-5, 1e-4, 900, 900).lr
    for bad in (("cnn", "adamw"), ("bn", "adamw"), ("convex_cnn", "sgd")):
        with pytest.raises(ValueError, match="derived"):
            paper_step(*bad, 1e-2, 5e-4, 50_000, 250)
    with pytest.raises(ValueError, match="reduction"):
        paper_step("bn", "sgd", 1e-5, 1e-4, 10, 5, reduction="batch")
