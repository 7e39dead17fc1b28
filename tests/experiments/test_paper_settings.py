"""config/paper.yaml holds every setting the paper states: a table of the paper's settings (section cited per
row), checked against the spec of every model of every figure, resolved as the workflow resolves it
(bnconvex.config.check_config, then bnconvex.experiments.specs.resolve_spec as workflow/rules/common.smk), with
the paper's learning rates and β mapped to ours by bnconvex.experiments.specs.paper_step."""

import pytest
import yaml
from helpers import ROOT

from bnconvex.config import check_config, data_shape, train_panels
from bnconvex.experiments.specs import paper_step, resolve_spec

PATH = ROOT / "config/paper.yaml"

# App. A: SGD with momentum 0.9; lr halved on a plateau only in Figs 1/2 (A.5) and Fig. 4 (A.6); no time
# budget unless stated. A row states what the paper states; unstated fields take these.
COMMON = {"optimizer": "sgd", "truncate": False, "k": None, "plateau": False, "time_budget_s": None}
FIG12 = dict(arch="bn", m1=1000, beta=1e-4, batch_size=1000, lr=1e-4, epochs=501, plateau=True)
FIG3A = dict(m1=4096, beta=1e-4, batch_size=1000)                     # Fig. 3a: (m1, β, bs), k = 215
SGD, SGD_T = dict(FIG3A, arch="bn", lr=1e-5, epochs=501), dict(FIG3A, arch="bn", truncate=True, k=215, lr=1e-5,
                                                               epochs=501)
CONVEX, CONVEX_T = (dict(FIG3A, arch="convex", lr=5e-5, epochs=51),
                    dict(FIG3A, arch="convex", truncate=True, k=215, lr=1e-4, epochs=201))
FIG6 = dict(m1=10000, beta=1e-2, batch_size=900, lr=1e-5, time_budget_s=15)   # "for all architectures"
# Fig. 5 (App. A.2): four-layer CNN, 1000 filters, (lr, β) = (1e-6, 1e-4), bs 1000 for 501 epochs, the other bs
# "such that the training time is roughly matched" (no seconds stated: the same epochs, the same flops)
FIG5 = dict(arch="deep_cnn", m1=1000, lr=1e-6, beta=1e-4, batch_size=1000, epochs=501)
TABLE1 = dict(optimizer="adamw", m1=1024, beta=5e-4, batch_size=250, lr=1e-2, epochs=50, kernel=3, stride=3,
              padding=2, pool=4)

# CIFAR-100 (App. A.7): (m1, β, bs) = (1024, 1e-4, 1000), k = 200; chosen lr 5e-5, 1e-4, 1e-4, 5e-4; epochs 621,
# 1001, 41, 251; ~800 s per model
FIG3B = dict(m1=1024, beta=1e-4, batch_size=1000)
SGD100, SGD_T100 = (dict(FIG3B, arch="bn", lr=5e-5, epochs=621),
                    dict(FIG3B, arch="bn", truncate=True, k=200, lr=1e-4, epochs=1001))
CONVEX100, CONVEX_T100 = (dict(FIG3B, arch="convex", lr=1e-4, epochs=41),
                          dict(FIG3B, arch="convex", truncate=True, k=200, lr=5e-4, epochs=251))
# App. A.7.4: Adam with the SGD runs' epochs; chosen lr CIFAR-10 1e-5 for all four, CIFAR-100 1e-5, 1e-4, 5e-5, 1e-5
ADAM = {"cifar10": [dict(m, optimizer="adam", lr=1e-5) for m in (SGD, SGD_T, CONVEX, CONVEX_T)],
        "cifar100": [dict(m, optimizer="adam", lr=lr) for m, lr in zip((SGD100, SGD_T100, CONVEX100, CONVEX_T100),
                                                                       (1e-5, 1e-4, 5e-5, 1e-5), strict=True)]}
FIG3_MODELS = ("sgd", "sgd_truncated", "convex", "convex_truncated")
ADAM_MODELS = ("adam", "adam_truncated", "convex_adam", "convex_adam_truncated")
# Figs 7 and 11: "a longer duration" with no epoch count: their time axes (~1400 s and ~2000 s for Fig. 7's
# CIFAR-10 and CIFAR-100, ~1600 s for Fig. 11) end each run
LONG_S = {"fig7": {"cifar10": 1400, "cifar100": 2000}, "fig11": {"cifar10": 1600, "cifar100": 1600}}


def _long(paper: dict, seconds: int) -> dict:
    return {**{k: v for k, v in paper.items() if k != "epochs"}, "time_budget_s": seconds}


def _mapped(name: str, lr: float, arch: str = "bn", optimizer: str = "sgd") -> str:
    """The sweep name of a paper's learning rate (n = 50,000, bs = 1000): ``sgd-lr4.4721e-08`` for 1e-5."""
    return f"{name}-lr{paper_step(arch, optimizer, lr, 1e-4, 50_000, 1000).lr:.4e}"


def _panels() -> list[tuple]:
    """The rows of the figures with a CIFAR-10 and a CIFAR-100 panel (App. A.7)."""
    rows = []
    base = {"cifar10": (SGD, SGD_T, CONVEX, CONVEX_T), "cifar100": (SGD100, SGD_T100, CONVEX100, CONVEX_T100)}
    bs_time = {"cifar10": 700, "cifar100": 800}
    for ds, (sgd, sgd_t, convex, convex_t) in base.items():
        for name, paper in zip(FIG3_MODELS, (sgd, sgd_t, convex, convex_t), strict=True):
            rows.append(("fig3", "Sec. 6, App. A.7", ds, name, paper))
            rows.append(("fig7", "App. A.7.1", ds, f"{name}_long", _long(paper, LONG_S["fig7"][ds])))
            rows.append(("fig13", "App. A.7.5", ds, name, paper))
        rows.append(("fig13", "App. A.7.5", ds, "sgd_nobn", dict(sgd, arch="nobn", lr={"cifar10": 5e-7,
                                                                                      "cifar100": 1e-5}[ds])))
        # the convex no-BN model: lr 5e-10 / 5e-9 (App. A.7.5); epochs not stated: the convex model's
        rows.append(("fig13", "App. A.7.5", ds, "convex_nobn", dict(convex, arch="convex_nobn",
                                                                    lr={"cifar10": 5e-10, "cifar100": 5e-9}[ds])))
        # Fig. 8: bs in {100, 500, 1000}, time roughly matched (App. A.7)
        for name, paper in (("sgd", sgd), ("sgd_truncated", sgd_t)):
            rows.append(("fig8", "App. A.7.2, Fig. 8", ds, name, paper))
            rows += [("fig8", "App. A.7.2, Fig. 8", ds, f"{name}_bs{bs}", dict(paper, batch_size=bs,
                                                                               time_budget_s=bs_time[ds]))
                     for bs in (500, 100)]
        rows.append(("fig8", "App. A.7.2, Fig. 8", ds, "convex_truncated", convex_t))
        # Fig. 9: lr in {1e-5, 5e-5, 1e-4}; the chosen one is the model itself
        for name, paper in (("sgd", sgd), ("sgd_truncated", sgd_t)):
            rows += [("fig9", "App. A.7.3, Fig. 9", ds, name if lr == paper["lr"] else _mapped(name, lr),
                      dict(paper, lr=lr)) for lr in (1e-5, 5e-5, 1e-4)]
        rows.append(("fig9", "App. A.7.3, Fig. 9", ds, "convex_truncated", convex_t))
        for name, paper in zip(ADAM_MODELS, ADAM[ds], strict=True):
            rows.append(("fig10", "App. A.7.4", ds, name, paper))
            rows.append(("fig11", "App. A.7.4, Fig. 11", ds, f"{name}_long", _long(paper, LONG_S["fig11"][ds])))
        # Fig. 12: the lrs of its legends
        adam, adam_t, _, convex_adam_t = ADAM[ds]
        sweeps = {"cifar10": ((1e-5, 5e-5, 1e-4), (1e-5, 5e-5, 1e-4), (1e-5, 1e-4)),
                  "cifar100": ((1e-5, 5e-5, 1e-4), (1e-4, 5e-4, 1e-3), (1e-5, 5e-5))}[ds]
        for (name, paper), lrs in zip((("adam", adam), ("adam_truncated", adam_t),
                                       ("convex_adam_truncated", convex_adam_t)), sweeps, strict=True):
            rows += [("fig12", "App. A.7.4, Fig. 12", ds, name if lr == paper["lr"] else
                      _mapped(name, lr, paper["arch"], "adam"), dict(paper, lr=lr)) for lr in lrs]
    return rows


# (figure, section, data set, model name in config/paper.yaml, the paper's setting of that model)
PAPER = [
    ("fig1", "Sec. 5.1, App. A.5", "cifar10", "bn_fig2", FIG12),
    ("fig1", "Sec. 5.1, App. A.5", "cifar10", "whitened", dict(FIG12, arch="whitened")),
    ("fig2", "Sec. 5.1, App. A.5", "cifar10", "bn_fig2", FIG12),
    ("fig2", "Sec. 5.1, App. A.5", "cifar10", "whitened", dict(FIG12, arch="whitened")),
    *_panels(),
    ("fig5", "App. A.2", "cifar100_2class", "cnn4", FIG5),
    *[("fig5", "App. A.2", "cifar100_2class", f"cnn4-bs{bs}", dict(FIG5, batch_size=bs)) for bs in (50, 100, 500)],
    # k = 856 (= d) is "the convex program without truncation": CNAE-9's training matrix has rank 583
    ("fig6", "App. A.3", "cnae9", "sgd", dict(FIG6, arch="bn")),
    *[("fig6", "App. A.3", "cnae9", f"convex_truncated-k{k}", dict(FIG6, arch="convex", truncate=True, k=k))
      for k in (10, 100, 200, 400, 583)],
    ("table1", "App. A.4", "cifar10", "cnn", dict(TABLE1, arch="cnn")),
    ("table1", "App. A.4", "cifar10", "cnn_truncated", dict(TABLE1, arch="cnn", truncate=True, k=22)),
    ("table1", "App. A.4", "cifar10", "convex_cnn", dict(TABLE1, arch="convex_cnn")),
    ("table1", "App. A.4", "cifar10", "convex_cnn_truncated", dict(TABLE1, arch="convex_cnn", truncate=True, k=22)),
]


@pytest.fixture(scope="module")
def config():
    config = yaml.safe_load(PATH.read_text())
    check_config(config, PATH)  # the schema's defaults filled in, as the workflow sees it
    return config


def test_every_figure_lists_the_models_of_the_table(config):
    """Nothing in config/paper.yaml goes unchecked, and no row of the table is missing from it."""
    figures: dict = {}
    for fig, panel in train_panels(config["train"]):
        figures.setdefault(fig, {})[panel.dataset] = sorted(panel.models)
    table: dict = {}
    for fig, _, ds, model, _ in PAPER:
        table.setdefault(fig, {}).setdefault(ds, []).append(model)
    assert figures == {fig: {ds: sorted(models) for ds, models in panels.items()} for fig, panels in table.items()}


def test_panels_are_the_papers_data_sets_and_letters(config):
    """(a) CIFAR-10 and (b) CIFAR-100 (Figs 3, 8-10, 12, 13); (a-b) and (c-d) where each data set has two plots
    (Figs 7, 11)."""
    panels = {fig: {p.label: p.dataset for p in ps} for fig, ps in
              _by_figure(train_panels(config["train"])).items() if ps[0].label}
    two = {"a": "cifar10", "b": "cifar100"}
    four = {"a": "cifar10", "c": "cifar100"}
    assert panels == {"fig3": two, "fig7": four, "fig8": two, "fig9": two, "fig10": two, "fig11": four,
                      "fig12": two, "fig13": two}
    assert data_shape(config, "cifar100") == (50_000, 3072) and config["data"]["cifar100"]["classes"] is None


def _by_figure(panels):
    out: dict = {}
    for fig, panel in panels:
        out.setdefault(fig, []).append(panel)
    return out


@pytest.mark.parametrize("fig, section, dataset, model, paper", PAPER,
                         ids=[f"{row[0]}-{row[3]} ({row[1]})" for row in PAPER])
def test_model_spec_is_the_papers_setting(config, fig, section, dataset, model, paper):
    train = config["train"]
    spec = resolve_spec(model, train["defaults"], train["models"], train["datasets"].get(dataset))
    paper = {**COMMON, **paper}
    n = data_shape(config, dataset)[0]
    if paper["arch"] in ("cnn", "convex_cnn", "deep_cnn"):  # not mapped (AdamW; Fig. 5's per-layer BN): as stated
        want_lr, want_beta = paper["lr"], paper["beta"]
    else:
        step = paper_step(paper["arch"], paper["optimizer"], paper["lr"], paper["beta"], n, paper["batch_size"])
        want_lr, want_beta = step.lr, step.beta
    assert spec["lr"] == pytest.approx(want_lr, rel=1e-4), f"{section}: lr {paper['lr']} of the paper"
    assert spec["beta"] == pytest.approx(want_beta, rel=1e-4), f"{section}: beta {paper['beta']} of the paper"
    for field in ("arch", "optimizer", "m1", "batch_size", "epochs", "time_budget_s", "kernel", "stride",
                  "padding", "pool"):
        if field in paper:
            assert spec[field] == paper[field], f"{section}: {field}"
    assert bool(spec.get("truncate")) == paper["truncate"], section
    if paper["truncate"]:
        assert spec["k"] == paper["k"], f"{section}: k"
    assert (spec["plateau_patience"] is not None) == paper["plateau"], f"{section}: lr halving on plateau"
    if spec["optimizer"] == "sgd":
        assert spec["momentum"] == 0.9, "App. A: SGD with momentum 0.9"
    if paper["time_budget_s"]:  # an equal-time comparison: no epoch count ends the run first
        assert spec["epochs"] >= 100_000 or "epochs" in paper, f"{section}: an epoch cap ends the timed run"


def test_data_and_closed_form_are_the_papers(config):
    """Sizes of the data sets (Sec. 6, App. A.3) and Fig. 4's setting (Sec. 6, App. A.6)."""
    assert data_shape(config, "cifar10") == (50_000, 3072)
    assert data_shape(config, "cnae9") == (900, 856)
    assert data_shape(config, "cifar100_3class") == (1500, 3072)
    assert data_shape(config, "cifar100_2class") == (1000, 3072)   # Fig. 5 (App. A.2)
    assert config["data"]["cifar100_3class"]["source"] == "cifar100"
    cf = config["closed_form"]
    assert (cf["dataset"], cf["n"], cf["beta"], len(cf["classes"])) == ("cifar100_3class", 1500, 1.0, 3)
    fig4 = cf["fig4"]
    assert (fig4["m1"], fig4["trials"], fig4["steps"], fig4["lr"], fig4["optimizer"]) == (1000, 5, 40001, 1e-5, "gd")
    assert fig4["patience"] is not None, "App. A.6: lr halved on plateau"
