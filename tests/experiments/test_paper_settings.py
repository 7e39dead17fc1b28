"""config/paper.yaml holds every setting the paper states: a table of the paper's settings (section cited per
row), checked against the spec of every model of every figure, resolved as the workflow resolves it
(bnconvex.config.check_config, then bnconvex.experiments.specs.resolve_spec as workflow/rules/common.smk), with
the paper's learning rates and β mapped to ours by bnconvex.experiments.specs.paper_step."""

import pytest
import yaml
from helpers import ROOT

from bnconvex.config import check_config, data_shape
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
TABLE1 = dict(optimizer="adamw", m1=1024, beta=5e-4, batch_size=250, lr=1e-2, epochs=50, kernel=3, stride=3,
              padding=2, pool=4)

# (figure, section, data set, model name in config/paper.yaml, the paper's setting of that model)
PAPER = [
    ("fig1", "Sec. 5.1, App. A.5", "cifar10", "bn_fig2", FIG12),
    ("fig1", "Sec. 5.1, App. A.5", "cifar10", "whitened", dict(FIG12, arch="whitened")),
    ("fig2", "Sec. 5.1, App. A.5", "cifar10", "bn_fig2", FIG12),
    ("fig2", "Sec. 5.1, App. A.5", "cifar10", "whitened", dict(FIG12, arch="whitened")),
    ("fig3", "Sec. 6, App. A.7", "cifar10", "sgd", SGD),
    ("fig3", "Sec. 6, App. A.7", "cifar10", "sgd_truncated", SGD_T),
    ("fig3", "Sec. 6, App. A.7", "cifar10", "convex", CONVEX),
    ("fig3", "Sec. 6, App. A.7", "cifar10", "convex_truncated", CONVEX_T),
    # Fig. 8a on the page of Fig. 5/8: bs in {100, 500, 1000}, ~700 s per model (App. A.7)
    ("fig5", "App. A.7.2, Fig. 8", "cifar10", "sgd", SGD),
    ("fig5", "App. A.7.2, Fig. 8", "cifar10", "sgd_bs500", dict(SGD, batch_size=500, time_budget_s=700)),
    ("fig5", "App. A.7.2, Fig. 8", "cifar10", "sgd_bs100", dict(SGD, batch_size=100, time_budget_s=700)),
    ("fig5", "App. A.7.2, Fig. 8", "cifar10", "sgd_truncated", SGD_T),
    ("fig5", "App. A.7.2, Fig. 8", "cifar10", "sgd_truncated_bs500", dict(SGD_T, batch_size=500, time_budget_s=700)),
    ("fig5", "App. A.7.2, Fig. 8", "cifar10", "sgd_truncated_bs100", dict(SGD_T, batch_size=100, time_budget_s=700)),
    ("fig5", "App. A.7.2, Fig. 8", "cifar10", "convex_truncated", CONVEX_T),
    ("fig9", "App. A.7.3, Fig. 9", "cifar10", "sgd-lr4.4721e-08", dict(SGD, lr=1e-5)),
    ("fig9", "App. A.7.3, Fig. 9", "cifar10", "sgd-lr2.2361e-07", dict(SGD, lr=5e-5)),
    ("fig9", "App. A.7.3, Fig. 9", "cifar10", "sgd-lr4.4721e-07", dict(SGD, lr=1e-4)),
    ("fig9", "App. A.7.3, Fig. 9", "cifar10", "sgd_truncated-lr4.4721e-08", dict(SGD_T, lr=1e-5)),
    ("fig9", "App. A.7.3, Fig. 9", "cifar10", "sgd_truncated-lr2.2361e-07", dict(SGD_T, lr=5e-5)),
    ("fig9", "App. A.7.3, Fig. 9", "cifar10", "sgd_truncated-lr4.4721e-07", dict(SGD_T, lr=1e-4)),
    ("fig9", "App. A.7.3, Fig. 9", "cifar10", "convex_truncated", CONVEX_T),
    # Adam: lr 1e-5 for all four on CIFAR-10, the SGD runs' epochs
    ("fig10", "App. A.7.4", "cifar10", "adam", dict(SGD, optimizer="adam")),
    ("fig10", "App. A.7.4", "cifar10", "adam_truncated", dict(SGD_T, optimizer="adam")),
    ("fig10", "App. A.7.4", "cifar10", "convex_adam", dict(CONVEX, optimizer="adam", lr=1e-5)),
    ("fig10", "App. A.7.4", "cifar10", "convex_adam_truncated", dict(CONVEX_T, optimizer="adam", lr=1e-5)),
    ("fig13", "App. A.7.5", "cifar10", "sgd", SGD),
    ("fig13", "App. A.7.5", "cifar10", "convex", CONVEX),
    ("fig13", "App. A.7.5", "cifar10", "sgd_truncated", SGD_T),
    ("fig13", "App. A.7.5", "cifar10", "convex_truncated", CONVEX_T),
    ("fig13", "App. A.7.5", "cifar10", "sgd_nobn", dict(FIG3A, arch="nobn", lr=5e-7, epochs=501)),
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
    figures = {fig: (entry["dataset"], entry["models"]) for fig, entry in config["train"]["figures"].items()}
    table: dict = {}
    for fig, _, ds, model, _ in PAPER:
        table.setdefault(fig, (ds, []))[1].append(model)
    assert figures == table


@pytest.mark.parametrize("fig, section, dataset, model, paper", PAPER,
                         ids=[f"{row[0]}-{row[3]} ({row[1]})" for row in PAPER])
def test_model_spec_is_the_papers_setting(config, fig, section, dataset, model, paper):
    train = config["train"]
    spec = resolve_spec(model, train["defaults"], train["models"], train["datasets"].get(dataset))
    paper = {**COMMON, **paper}
    n = data_shape(config, dataset)[0]
    if paper["arch"] in ("cnn", "convex_cnn"):  # not mapped (AdamW): the paper's values as stated
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
