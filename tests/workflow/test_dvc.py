"""DVC drives the Snakemake stages: a `dvc repro` killed during training resumes; a remote round trip
restores every artifact; nothing reruns when nothing changed; a config change reruns only the stages that
depend on it. One DVC study for all of it: each full `dvc repro` costs minutes."""

import hashlib
import json
import re
import shutil

import pandas as pd
import pytest
import yaml
from helpers import ROOT, copy_project, kill_when, run

pytestmark = pytest.mark.slow


def small_study(work):
    """config/config.yaml := the test config with Figs. 1 and 2 (each DVC run runs every stage): the same two
    models, Fig. 2 for their accuracies (Fig. 1 plots cosines)."""
    cfg = yaml.safe_load((work / "config/test.yaml").read_text())
    fig1 = {k: v for k, v in cfg["train"]["figures"]["fig1"].items() if k != "seeds"}  # one seed: two jobs
    cfg["train"]["figures"] = {"fig1": fig1, "fig2": dict(fig1)}
    (work / "config/config.yaml").write_text(yaml.safe_dump(cfg))
    return cfg


def write(work, cfg):
    (work / "config/config.yaml").write_text(yaml.safe_dump(cfg))


def test_dvc_study_killed_in_training_resumes_round_trips_and_reruns_only_what_changed(tmp_path):
    import torch

    work = copy_project(tmp_path)
    cfg = small_study(work)  # Fig. 1: sgd and whitened, trained one after the other (2 threads each)
    epochs = 150
    for model in ("sgd", "whitened"):
        cfg["train"]["models"][model]["epochs"] = epochs
    write(work, cfg)
    run(["git", "init", "-q"], cwd=work)
    run(["dvc", "init", "-q"], cwd=work)
    train = work / "results/train/digits"

    def one_finished_the_other_midway():
        done = [m for m in ("sgd", "whitened") if (train / m / "summary.json").exists()]
        if len(done) != 1:
            return False
        other = ({"sgd", "whitened"} - set(done)).pop()
        try:
            ckpt = torch.load(train / other / "checkpoint.pt", map_location="cpu", weights_only=False)
        except (FileNotFoundError, RuntimeError, EOFError):
            return False
        return not ckpt["complete"] and ckpt["epoch"] >= 5

    kill_when(["dvc", "repro"], work, one_finished_the_other_midway, timeout=900)
    [finished] = [m for m in ("sgd", "whitened") if (train / m / "summary.json").exists()]
    killed = "whitened" if finished == "sgd" else "sgd"
    epoch_at_kill = torch.load(train / killed / "checkpoint.pt", weights_only=False)["epoch"]
    finished_bytes = (train / finished / "metrics.csv").read_bytes()
    finished_log = (work / f"logs/train/digits/{finished}.log").read_text()

    run(["snakemake", "--unlock"], cwd=work)  # README: after a kill, unlock, then the same command
    first = run(["dvc", "repro"], cwd=work)
    assert "Running stage 'report'" in first.stdout
    assert (work / "dvc.lock").exists()
    log = (work / f"logs/train/digits/{killed}.log").read_text()
    resumed = re.search(r"resuming from the checkpoint at epoch (\d+)", log)
    assert resumed and int(resumed[1]) >= epoch_at_kill, log
    metrics = (train / killed / "metrics.csv").read_text().splitlines()
    assert [int(float(row.split(",")[0])) for row in metrics[1:]] == list(range(epochs + 1))
    # the model that had finished before the kill was not trained again
    assert (work / f"logs/train/digits/{finished}.log").read_text() == finished_log
    assert (train / finished / "metrics.csv").read_bytes() == finished_bytes

    # remote round trip: push, lose every artifact and the cache, pull
    run(["dvc", "remote", "add", "-d", "store", str(tmp_path / "store")], cwd=work)
    tracked = ("data", "results/spectral", "results/closed_form", "results/convex", "results/train")
    digest = lambda: {str(f.relative_to(work)): hashlib.sha256(f.read_bytes()).hexdigest()
                      for d in tracked for f in sorted((work / d).rglob("*")) if f.is_file() and f.name != ".gitignore"}
    before = digest()
    assert len(before) >= 10
    run(["dvc", "push"], cwd=work)
    for d in ("results", "data", ".dvc/cache"):
        shutil.rmtree(work / d)
    run(["dvc", "pull"], cwd=work)
    assert digest() == before
    assert (work / "results/report/index.html").exists()
    assert "up to date" in run(["dvc", "status"], cwd=work).stdout

    second = run(["dvc", "repro"], cwd=work)
    assert "Running stage" not in second.stdout
    assert "up to date" in second.stdout

    # metrics and plots (dvc.yaml's top-level metrics: and plots:, written by the report's index)
    header, values = run(["dvc", "metrics", "show"], cwd=work).stdout.splitlines()[:2]
    shown = dict(zip(header.split(), values.split(), strict=True))
    written = json.loads((work / "results/report/metrics.json").read_text())
    for keys in (("certificates", "thm2.4", "rel_gap"), ("certificates", "thm2.2", "rel_gap"),
                 ("accuracy", "fig2", "sgd", "test_acc"), ("accuracy", "fig2", "whitened", "train_acc")):
        node = written
        for key in keys:
            node = node[key]
        assert float(shown[".".join(keys)]) == pytest.approx(node, abs=1e-5), keys  # shown to 5 decimals
    assert shown["Path"] == "results/report/metrics.json"
    run(["dvc", "plots", "show", "-o", str(tmp_path / "plots")], cwd=work)
    html = (tmp_path / "plots/index.html").read_text()
    specs = {div: json.loads(spec) for div, spec in re.findall(
        r'<div id = "([^"]+)">\s*<script type = "text/javascript">\s*var spec = (.*?);\n\s*vegaEmbed', html, re.S)}
    trials = sorted(int(t) for t in pd.read_csv(work / "results/closed_form/digits/fig4/curves.csv")["trial"].unique())
    assert set(specs) == {"results_report_plots_train_digits-sgd_csv", "results_report_plots_train_digits-whitened_csv",
                          *(f"results_report_plots_fig4_trial{t + 1}_csv" for t in trials)}
    sgd = specs["results_report_plots_train_digits-sgd_csv"]
    assert [float(r["test_acc"]) for r in sgd["data"]["values"]] == pytest.approx(
        pd.read_csv(train / "sgd/metrics.csv")["test_acc"].tolist(), rel=1e-8)
    assert len(specs[f"results_report_plots_fig4_trial{trials[0] + 1}_csv"]["data"]["values"]) > 1

    # stage deps generated from the imports: a change to a module reaches exactly the stages that import it
    # (a parse-time module every stage; stages' own dependencies are compared, downstream ones are not stale yet)
    everywhere = {"data", "spectral", "closed_form", "convex", "train", "report"}
    for module, stale in (("closed_form.py", {"closed_form"}), ("experiments/convex_jobs.py", {"convex"}),
                          ("paper.py", {"report"}), ("experiments/training.py", {"train"}),
                          ("linalg.py", {"spectral", "closed_form", "convex", "train"}),
                          ("data/prepare.py", everywhere)):
        path = work / "src/bnconvex" / module
        original = path.read_bytes()
        path.write_bytes(original + b"\n# changed\n")
        status = run(["dvc", "status", "--json"], cwd=work).stdout
        path.write_bytes(original)
        assert set(json.loads(status)) == stale, (module, status)

    # an experiment from the config file: -S edits params.yaml, which config/config.yaml links to
    shutil.copy(ROOT / ".gitignore", work / ".gitignore")  # the project's: artifacts are DVC's, never git's
    run(["git", "add", "-A"], cwd=work)
    run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "baseline"], cwd=work)
    head = run(["git", "rev-parse", "HEAD"], cwd=work).stdout
    exp = run(["dvc", "exp", "run", "-S", "closed_form.beta=2"], cwd=work)
    assert "Running stage 'closed_form'" in exp.stdout and "Running stage 'train'" not in exp.stdout
    assert yaml.safe_load((work / "config/config.yaml").read_text())["closed_form"]["beta"] == 2
    # as DVC documents for a workspace run: the experiment's results stay in the workspace, HEAD as it was
    # (the experiment is a ref of its own), and the config is still one file under two names
    assert run(["git", "rev-parse", "HEAD"], cwd=work).stdout == head
    changed = {line[3:] for line in run(["git", "status", "--porcelain"], cwd=work).stdout.splitlines()}
    assert changed == {"params.yaml", "dvc.lock"}, changed
    assert (work / "config/config.yaml").is_symlink()
    [baseline] = [r for r in json.loads(run(["dvc", "exp", "show", "--json"], cwd=work).stdout) if r["name"]]
    [experiment] = [e["revs"][0] for e in baseline["experiments"]]
    primal = lambda r: r["data"]["metrics"]["results/report/metrics.json"]["data"]["certificates"]["thm2.4"]["primal"]  # noqa: E731
    assert experiment["data"]["params"]["params.yaml"]["data"]["closed_form"]["beta"] == 2
    assert baseline["data"]["params"]["params.yaml"]["data"]["closed_form"]["beta"] == cfg["closed_form"]["beta"]
    assert primal(experiment) != primal(baseline)
    # change a closed-form value: only closed_form and report are stale
    cfg["closed_form"]["beta"] = 0.75
    write(work, cfg)
    status = run(["dvc", "status"], cwd=work).stdout
    assert "closed_form:" in status
    assert "data:" not in status and "spectral:" not in status and "convex:" not in status
    assert "train:" not in status
    # change a training value: the train stage is stale too, the others stay as they were
    cfg["train"]["defaults"]["epochs"] = 2
    write(work, cfg)
    status = run(["dvc", "status"], cwd=work).stdout
    assert "train:" in status and "convex:" not in status and "spectral:" not in status
