"""bnconvex.config: every config problem that can be seen without data is refused, naming file and key."""

import copy

import numpy as np
import pytest
import yaml
from helpers import ROOT

from bnconvex.config import (
    SOURCE_FACTS,
    ConfigError,
    check_config,
    data_shape,
    format_key,
    load_yaml_strict,
    prepared_counts,
    split_counts,
)
from bnconvex.experiments.specs import resolve_spec

TEST_CONFIG = yaml.safe_load((ROOT / "config/test.yaml").read_text())
CNAE9 = {"source": "cnae9", "classes": None, "split": "official", "scaling": "none", "seed": 0}
CNAE9_HASH = {"known_hash": "sha256:" + "0" * 64}
PANELS = {"a": {"dataset": "digits", "models": ["sgd"]}}


def _fig_model(fig, i, model):
    def edit(c):
        models = c["train"]["figures"][fig]["models"]
        models[i:i + 1] = [model]
    return edit


def _with_cnae9(c, **extra):
    c["datasets"].append("cnae9")
    c["data"]["cnae9"] = dict(CNAE9, **extra)
    c["sources"]["cnae9"] = dict(CNAE9_HASH)


def _cnn_on_cnae9(c):
    _with_cnae9(c)
    c["train"]["figures"]["table1"]["dataset"] = "cnae9"


def _bad_data_name(c):
    c["data"]["Bad"] = c["data"]["digits"]


# (id, edit of config/test.yaml, the key path the message must name). Shared with
# tests/workflow/test_config_errors.py, which runs each one through `snakemake -n`.
BAD_CONFIGS = [
    ("unknown-key", lambda c: c["closed_form"].update(bogus=1), "closed_form.bogus"),
    ("unknown-top-key", lambda c: c.update(bogus=1), "bogus: unknown key"),
    ("missing-section", lambda c: c.pop("report"), "report: required key missing"),
    ("section-not-mapping", lambda c: c.update(report=[1, 2]), "report: [1, 2] is not of type"),
    ("negative-beta", lambda c: c["closed_form"].update(beta=-1.0), "closed_form.beta"),
    ("unknown-scaling", lambda c: c["data"]["digits"].update(scaling="zscore"), "data.digits.scaling"),
    ("bad-data-name", _bad_data_name, "data.Bad"),
    ("test-fraction-range", lambda c: c["data"]["digits"].update(test_fraction=1.5), "data.digits.test_fraction"),
    ("data-class-missing", lambda c: c["data"]["digits"].update(classes=[0, 12]), "data.digits.classes[1]"),
    ("data-class-twice", lambda c: c["data"]["digits"].update(classes=[0, 0]), "data.digits.classes"),
    ("cf-class-missing", lambda c: c["closed_form"].update(classes=[0, 5]), "closed_form.classes[1]"),
    ("cf-classes-null", lambda c: c["closed_form"].update(classes=None), "closed_form.classes"),
    ("convex-class-twice", lambda c: c["convex"].update(classes=[0, 0]), "convex.classes"),
    ("convex-class-missing", lambda c: c["convex"].update(classes=[0, 4]), "convex.classes[1]"),
    ("cf-n-not-multiple", lambda c: c["closed_form"].update(n=31), "closed_form.n: 31 is not a multiple"),
    ("cf-n-above-d", lambda c: c["closed_form"].update(n=66), "closed_form.n: 66 > d = 64"),
    ("cf-n-above-class-size",
     lambda c: (c["data"]["digits"].update(per_class_train=10), c["closed_form"].update(n=60)),
     "closed_form.n: 60 takes 20 samples"),
    ("per-class-train", lambda c: c["data"]["digits"].update(per_class_train=200), "data.digits.per_class_train"),
    ("official-split-digits", lambda c: c["data"]["digits"].update(split="official"), "data.digits.split"),
    ("stratified-no-fraction", lambda c: c["data"]["digits"].pop("test_fraction"), "data.digits.test_fraction"),
    ("short-sha256", lambda c: c["sources"].update(cifar10={"known_hash": "sha256:abcdef"}),
     "sources.cifar10.known_hash"),
    ("cnae9-no-hash", lambda c: (_with_cnae9(c), c["sources"].pop("cnae9")), "sources.cnae9.known_hash"),
    ("bnconvex-hinge", lambda c: c["convex"]["thm22"].update(loss="hinge"), "convex.thm22.loss"),
    ("tol-needs-bnconvex", lambda c: c["convex"]["thm22"].update(solver="clarabel", tol=1e-3), "convex.thm22.tol"),
    ("tol-above-one", lambda c: c["convex"]["thm22"].update(tol=2.0), "convex.thm22.tol"),
    ("convex-n-odd", lambda c: c["convex"]["g1"].update(n=13), "convex.g1.n: 13 is odd"),
    ("convex-n-above-class-size", lambda c: c["convex"]["thm22"].update(n=400), "convex.thm22.n: 400 takes 200"),
    ("convex-cnn-kernel", lambda c: c["convex"]["cnn"].update(kernel=13), "convex.cnn.kernel"),
    ("convex-dataset", lambda c: c["convex"].update(dataset="cifar10"), "convex.dataset"),
    ("datasets-undefined", lambda c: c["datasets"].append("cifar"), "datasets[2]"),
    ("train-datasets-undefined", lambda c: c["train"].update(datasets={"nope": {"m1": 4}}), "train.datasets.nope"),
    ("sweep-lr-not-a-number", _fig_model("fig6", 2, "convex_truncated-lr1e"),
     "train.figures.fig6.models[2]: model 'convex_truncated-lr1e'"),
    ("sweep-lr-negative", _fig_model("fig6", 2, "convex_truncated-lr-1e-3"), "train.figures.fig6.models[2]"),
    ("sweep-bs0", _fig_model("fig6", 2, "sgd-bs0"), "train.figures.fig6.models[2]: model 'sgd-bs0'"),
    ("sweep-k-above-rank", _fig_model("fig6", 2, "convex_truncated-k900"), "train.figures.fig6.models[2]: k=900"),
    ("sweep-k0", _fig_model("fig6", 1, "convex_truncated-k0"), "train.figures.fig6.models[1]"),
    ("model-name-pattern", _fig_model("fig6", 0, "sgd-lrx"), "train.figures.fig6.models[0]"),
    ("seed-suffix-in-figure", _fig_model("fig3", 0, "sgd-s1"), "train.figures.fig3.models[0]: 'sgd-s1'"),
    ("seeds-zero", lambda c: c["train"].update(seeds=0), "train.seeds: 0 is less than the minimum of 1"),
    ("figure-seeds-not-int", lambda c: c["train"]["figures"]["fig3"].update(seeds=2.5), "train.figures.fig3.seeds"),
    ("unknown-model", _fig_model("fig3", 0, "nosuch"), "train.figures.fig3.models[0]: unknown model 'nosuch'"),
    ("fig1-convex", _fig_model("fig1", 1, "convex"), "train.figures.fig1.models[1]: model 'convex' (arch convex)"),
    ("cnn-without-images", _cnn_on_cnae9, "train.models.cnn.arch"),
    ("cnn-k-above-rank", lambda c: c["train"]["models"]["cnn_truncated"].update(k=10), "train.models.cnn_truncated.k"),
    ("default-k-above-d", lambda c: c["train"]["defaults"].update(k=100), "train.defaults.k"),
    ("cnn-pool", lambda c: c["train"]["models"]["cnn"].update(pool=5), "train.models.cnn.pool"),
    ("model-setting-typo", lambda c: c["train"]["models"]["sgd"].update(lrr=1), "train.models.sgd.lrr"),
    ("unknown-figure", lambda c: c["train"]["figures"].update(fig14={"dataset": "digits", "models": ["sgd"]}),
     "train.figures.fig14"),
    ("figure-panels-and-dataset", lambda c: c["train"]["figures"]["fig3"].update(panels=PANELS),
     "train.figures.fig3.dataset: give either dataset and models (one panel) or panels"),
    ("figure-without-dataset", lambda c: c["train"]["figures"]["fig3"].pop("dataset"),
     "train.figures.fig3.dataset: required (or give panels"),
    ("panels-on-one-dataset", lambda c: c["train"]["figures"].update(fig9={"panels": {**PANELS, "b": PANELS["a"]}}),
     "train.figures.fig9.panels.b.dataset: 'digits' is also panel a's"),
    ("fig1-panels", lambda c: c["train"]["figures"].update(fig1={"panels": PANELS}), "train.figures.fig1.panels"),
    ("panel-letter", lambda c: c["train"]["figures"].update(fig9={"panels": {"z": PANELS["a"]}}),
     "train.figures.fig9.panels"),
    ("panel-unknown-model",
     lambda c: c["train"]["figures"].update(fig9={"panels": {"a": {"dataset": "digits", "models": ["nosuch"]}}}),
     "train.figures.fig9.panels.a.models[0]: unknown model 'nosuch'"),
    ("panel-dataset-unlisted",
     lambda c: c["train"]["figures"].update(fig9={"panels": {"a": {"dataset": "cifar10", "models": ["sgd"]}}}),
     "train.figures.fig9.panels.a.dataset: 'cifar10' is not listed"),
    ("figure-dataset", lambda c: c["train"]["figures"]["fig3"].update(dataset="cifar10"),
     "train.figures.fig3.dataset"),
    ("thm51-dataset", lambda c: c["train"]["thm51"].update(dataset="cifar10"), "train.thm51.dataset"),
    ("official-split-with-fraction", lambda c: _with_cnae9(c, test_fraction=0.2), "data.cnae9.test_fraction"),
]


def bad_config(edit) -> dict:
    config = copy.deepcopy(TEST_CONFIG)
    edit(config)
    return config


@pytest.mark.parametrize("edit, key", [case[1:] for case in BAD_CONFIGS], ids=[case[0] for case in BAD_CONFIGS])
def test_bad_config_is_refused_naming_file_and_key(tmp_path, edit, key):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad_config(edit)))
    with pytest.raises(ConfigError) as info:
        check_config(bad_config(edit), path)
    message = str(info.value)
    assert message.startswith(f"{path}: "), message
    assert key in message
    assert len(message.splitlines()) <= 4 and len(message) < 600, message


@pytest.mark.parametrize(("edit", "key"), [
    (lambda c: c["convex"]["thm23"].update(n=16), "convex.thm23.n: 16 is not a multiple of the 3 classes"),
    (lambda c: c["convex"]["thm23"].update(classes=[0, 9]), "convex.thm23.classes[1]: class 9 does not exist"),
    (lambda c: c["convex"]["thm23"].update(n=3000), "convex.thm23.n: 3000 takes 1000 samples of each class"),
    (lambda c: c["convex"]["losses"].update(n=13), "convex.losses.n: 13 is odd"),
    (lambda c: c["convex"]["losses"].update(losses=["squared"]), "convex.losses.losses[0]"),
    (lambda c: c["convex"]["thm23"].update(losses=["hinge"]), "convex.thm23.losses[0]"),
    (lambda c: c["closed_form"]["scalar"].update(n=31), "closed_form.scalar.n: 31 is odd"),
    (lambda c: c["closed_form"]["scalar"].update(n=100), "closed_form.scalar.n: 100 > d = 64"),
    (lambda c: c["closed_form"]["scalar"].update(classes=[0, 7]), "closed_form.scalar.classes[1]: class 7"),
    (lambda c: c["closed_form"]["scalar"].update(theorems=["2.4"]), "closed_form.scalar.theorems[0]"),
    (lambda c: c["closed_form"]["deep"].update(widths=[20, 16]), "closed_form.deep.widths: the features' width "
     "m_(L-2) = 20 < n = 30"),
    (lambda c: c["closed_form"]["deep"].update(widths=[64]), "closed_form.deep.widths"),
    (lambda c: c["closed_form"]["deep"].update(theorems=["2.1"]), "closed_form.deep.theorems[0]"),
    (lambda c: c["closed_form"].pop("scalar"), "closed_form.deep.theorems: Thm 4.1 runs on closed_form.scalar"),
], ids=["thm23-n-multiple", "thm23-class", "thm23-n-large", "losses-n-odd", "losses-squared", "thm23-hinge",
        "scalar-n-odd", "scalar-n-above-d", "scalar-class", "scalar-theorem", "deep-narrow", "deep-shallow",
        "deep-theorem", "deep-41-without-scalar"])
def test_bad_thm23_and_losses_settings_are_refused_naming_the_key(tmp_path, edit, key):
    """(Checked here only: the `snakemake -n` path of these refusals is the one BAD_CONFIGS already runs.)"""
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad_config(edit)))
    with pytest.raises(ConfigError) as info:
        check_config(bad_config(edit), path)
    assert key in str(info.value), str(info.value)


@pytest.mark.parametrize("name", ["config", "test", "cifar10", "cnae9", "paper", "full"])
def test_shipped_configs_pass(name):
    path = ROOT / f"config/{name}.yaml"
    check_config(yaml.safe_load(path.read_text()), path)


STUDY_CONFIGS = sorted({"cifar10", "cnae9", "paper", "full"} & {p.stem for p in (ROOT / "config").glob("*.yaml")})


@pytest.mark.parametrize("name", STUDY_CONFIGS)
def test_study_configs_run_every_model_with_at_least_3_seeds(name):
    """Issue 19: a verdict needs a spread, so the study configs run 3 seeds or more for every figure."""
    from bnconvex.config import train_panels

    train = yaml.safe_load((ROOT / f"config/{name}.yaml").read_text())["train"]
    for fig, panel in train_panels(train):
        assert panel.seeds >= 3, (name, fig, panel.label)


def test_full_config_runs_every_figure_of_the_paper_config_on_all_of_cifar():
    """Issue 16: config/full.yaml computes each figure and panel of config/paper.yaml on the same data sets, all
    50,000 training images of CIFAR-10 and CIFAR-100 (every class, no per-class subset), on the CPU."""
    from bnconvex.config import train_panels

    paper, full = (yaml.safe_load((ROOT / f"config/{name}.yaml").read_text()) for name in ("paper", "full"))
    where = lambda c: sorted((fig, p.label, p.dataset) for fig, p in train_panels(c["train"]))  # noqa: E731
    assert where(full) == where(paper)
    for name in ("cifar10", "cifar100"):
        block = full["data"][name]
        assert block["classes"] is None and block.get("per_class_train") is None and block["split"] == "official"
    assert full["closed_form"]["n"] == paper["closed_form"]["n"] and full["train"]["gpu"] == 0
    check_config(full, ROOT / "config/full.yaml")


def test_schema_defaults_are_filled():
    config = copy.deepcopy(TEST_CONFIG)
    del config["sources"], config["train"]["gpu"], config["data"]["digits"]["test_fraction"]
    config["data"]["digits"]["split"] = "stratified"
    config["data"]["digits"]["test_fraction"] = 0.3
    check_config(config)
    assert config["sources"] == {} and config["train"]["gpu"] == 0 and config["train"]["datasets"] == {}
    assert config["data"]["digits"]["per_class_train"] is None
    assert config["closed_form"]["fig4"]["dtype"] == "float32"


def test_many_problems_are_listed_in_a_few_lines():
    def edit(c):
        c["closed_form"].update(n=31)
        c["convex"]["g1"].update(n=13)
        c["convex"]["exact2d"].update(n=15)
        c["convex"]["thm22"].update(loss="hinge")
    with pytest.raises(ConfigError) as info:
        check_config(bad_config(edit), [])
    lines = str(info.value).splitlines()
    assert lines[0] == "config: closed_form.n: 31 is not a multiple of the 3 classes (n/C samples of each class)"
    assert lines[-1] == "(and 1 more problems)" and len(lines) == 4


def test_key_is_named_after_the_file_that_sets_it(tmp_path):
    (tmp_path / "a.yaml").write_text(yaml.safe_dump(TEST_CONFIG))
    (tmp_path / "b.yaml").write_text("closed_form: {n: 31}\n")
    config = bad_config(lambda c: c["closed_form"].update(n=31))
    with pytest.raises(ConfigError, match=r"b\.yaml: closed_form\.n: 31"):
        check_config(config, [tmp_path / "a.yaml", tmp_path / "b.yaml"])
    with pytest.raises(ConfigError, match=r"a\.yaml: convex\.g1\.n"):
        check_config(bad_config(lambda c: c["convex"]["g1"].update(n=13)), [tmp_path / "a.yaml", tmp_path / "b.yaml"])


def test_duplicate_yaml_key_names_file_line_and_key(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text("a: 1\nclosed_form:\n  n: 30\n  beta: 0.5\n  n: 33\n")
    with pytest.raises(ConfigError) as info:
        load_yaml_strict(path)
    assert str(info.value) == f"{path}:5: closed_form.n: duplicate key (first set at line 3)"
    path.write_text("items:\n  - {x: 1, y: 2, x: 3}\n")
    with pytest.raises(ConfigError, match=r"dup\.yaml:2: items\[0\]\.x: duplicate key"):
        load_yaml_strict(path)


def test_yaml_merge_keys_and_anchors_are_no_duplicates(tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text("base: &b {m1: 4, lr: 0.1}\nmodel:\n  <<: *b\n  lr: 0.2\nother: *b\n")
    assert load_yaml_strict(path) == {"base": {"m1": 4, "lr": 0.1}, "model": {"m1": 4, "lr": 0.2},
                                      "other": {"m1": 4, "lr": 0.1}}


def test_yaml_syntax_error_names_file_and_line(tmp_path):
    path = tmp_path / "syn.yaml"
    path.write_text("datasets: [digits\nspectral:\n  variance_fraction: 0.9\n")
    with pytest.raises(ConfigError) as info:
        load_yaml_strict(path)
    message = str(info.value)
    assert message.startswith(f"{path}:2: YAML syntax error: expected ',' or ']'"), message
    assert "from line 1" in message and len(message.splitlines()) == 1


def test_non_mapping_and_json_files(tmp_path):
    (tmp_path / "list.yaml").write_text("- 1\n- 2\n")
    with pytest.raises(ConfigError, match="mapping of keys at the top level"):
        load_yaml_strict(tmp_path / "list.yaml")
    (tmp_path / "c.json").write_text('{"a": {"b": 1}}')
    assert load_yaml_strict(tmp_path / "c.json") == {"a": {"b": 1}}
    (tmp_path / "d.json").write_text('{"a": 1, "a": 2}')
    with pytest.raises(ConfigError, match=r"d\.json: duplicate key 'a'"):
        load_yaml_strict(tmp_path / "d.json")


def test_format_key():
    assert format_key(("train", "figures", "fig6", "models", 2)) == "train.figures.fig6.models[2]"
    assert format_key(()) == "(top level)"


def test_split_counts_match_the_prepared_digits():
    """The per-class facts give exactly the counts prepare() makes (digits: the embedded data)."""
    from bnconvex.data import load_raw, prepare

    spec = {"source": "digits", "classes": [0, 3, 8], "split": "stratified", "test_fraction": 0.3,
            "scaling": "max", "seed": 1}
    data = prepare("digits", load_raw("digits"), **{k: v for k, v in spec.items() if k != "source"})
    train, test = prepared_counts(spec)
    assert data.meta["train_counts"] == train and data.meta["test_counts"] == test
    assert data_shape({"data": {"digits": spec}}, "digits") == (sum(train), 64)
    assert sum(sum(counts) for counts in split_counts(spec)) == 1797


def test_source_facts_agree_with_the_sources():
    from bnconvex.data.sources import get_source

    for name, facts in SOURCE_FACTS.items():
        source = get_source(name)
        if source.class_names:
            assert len(source.class_names) == facts.classes, name
        if source.image_shape:
            assert int(np.prod(source.image_shape)) == facts.d, name


def test_too_few_samples_in_the_data_fail_the_job_naming_the_key():
    from bnconvex.data import prepare
    from bnconvex.data.sources import RawData

    y = np.repeat([0, 1, 2], [8, 3, 8])
    raw = RawData(np.ones((19, 2)), y, np.ones((6, 2)), np.repeat([0, 1, 2], 2), ["a", "b", "c"],
                  {"source": "mine"})
    with pytest.raises(ConfigError) as info:
        prepare("mine", raw, classes=[0, 1], per_class_train=5)
    assert str(info.value) == "data.mine.per_class_train: 5 requested but class 1 has 3 training samples"
    with pytest.raises(ConfigError, match=r"^data\.mine\.per_class_test: 4 requested but class 2 has 2 test"):
        prepare("mine", raw, classes=[2], per_class_test=4)


@pytest.mark.parametrize("model, problem", [
    ("sgd-bs0", "batch_size must be >= 1"),
    ("sgd-k0", "k must be >= 1"),
    ("sgd-k1.5", "'1.5' is not an integer"),
    ("sgd-lr1e", "'1e' is not a number"),
    ("sgd-lr-1e-3", "lr must be a finite number > 0"),
    ("sgd-lr0", "lr must be a finite number > 0"),
    ("sgd-lr1e999", "lr must be a finite number > 0"),
])
def test_resolve_spec_refuses_bad_sweep_points(model, problem):
    with pytest.raises(ValueError, match=f"model '{model}': sweep point") as info:
        resolve_spec(model, {"lr": 0.1}, {"sgd": {"arch": "bn"}})
    assert problem in str(info.value)
    assert resolve_spec("sgd-lr1e-3", {"lr": 0.1}, {"sgd": {"arch": "bn"}})["lr"] == 1e-3


def test_figure_panels_and_their_seeds():
    from bnconvex.config import Panel, figure_panels, train_panels

    assert figure_panels({"dataset": "d", "models": ["sgd"]}, 3) == [Panel("", "d", ("sgd",), 3)]
    entry = {"seeds": 2, "panels": {"a": {"dataset": "d", "models": ["sgd"]},
                                    "b": {"dataset": "e", "models": ["sgd", "convex"], "seeds": 5}}}
    assert figure_panels(entry, 1) == [Panel("a", "d", ("sgd",), 2), Panel("b", "e", ("sgd", "convex"), 5)]
    train = {"seeds": 4, "figures": {"fig3": {"dataset": "d", "models": ["sgd"]}, "fig9": entry}}
    assert [(fig, p.label, p.seeds) for fig, p in train_panels(train)] == [("fig3", "", 4), ("fig9", "a", 2),
                                                                           ("fig9", "b", 5)]
    assert train_panels(None) == []
