"""DVC drives the Snakemake stages: nothing reruns when nothing changed; a config change reruns only
the stages that depend on it."""

import shutil

import pytest
from helpers import copy_project, run

pytestmark = pytest.mark.slow


def test_dvc_repro_reruns_only_what_changed(tmp_path):
    work = copy_project(tmp_path)
    (work / "config/config.yaml").write_text((work / "config/test.yaml").read_text())
    run(["git", "init", "-q"], cwd=work)
    run(["dvc", "init", "-q"], cwd=work)
    first = run(["dvc", "repro"], cwd=work)
    assert "Running stage 'report'" in first.stdout
    assert (work / "dvc.lock").exists()
    second = run(["dvc", "repro"], cwd=work)
    assert "Running stage" not in second.stdout
    assert "up to date" in second.stdout
    # change a closed-form value: only closed_form and report are stale
    cfg = (work / "config/config.yaml").read_text().replace("beta: 0.5", "beta: 0.75")
    (work / "config/config.yaml").write_text(cfg)
    status = run(["dvc", "status"], cwd=work).stdout
    assert "closed_form:" in status
    assert "data:" not in status and "spectral:" not in status and "convex:" not in status
    assert "train:" not in status
    # change a training value: the train stage is stale too, the others stay as they were
    (work / "config/config.yaml").write_text(cfg.replace("epochs: 3,", "epochs: 2,"))
    status = run(["dvc", "status"], cwd=work).stdout
    assert "train:" in status and "convex:" not in status and "spectral:" not in status


def test_dvc_remote_round_trip_restores_the_report_inputs(tmp_path):
    import hashlib

    work = copy_project(tmp_path / "p")
    (work / "config/config.yaml").write_text((work / "config/test.yaml").read_text())
    run(["git", "init", "-q"], cwd=work)
    run(["dvc", "init", "-q"], cwd=work)
    run(["dvc", "remote", "add", "-d", "store", str(tmp_path / "store")], cwd=work)
    run(["dvc", "repro"], cwd=work)
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
