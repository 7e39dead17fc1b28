"""A killed run never leaves a study that says "done" while something is missing: SIGKILL a forced rerun
during a report job (with a stray temporary of a killed writer) and during a training job, then rerun
plainly; audit a study with deleted artifacts. (`dvc repro` killed during training: tests/workflow/test_dvc.py.)"""

import re
import shutil
import subprocess
import time

import pytest
import yaml
from helpers import BIN, kill_when, run, snakemake

from bnconvex import io

pytestmark = pytest.mark.slow
REPORT_RULES = ["report_study", "report_fig4", "report_convex", "report_train_figure", "report_paper",
                "report_index"]


def written_since(work, pattern, t0):
    """True once a file matching ``pattern`` under ``work`` was written after ``t0``."""
    return lambda: any(f.stat().st_mtime > t0 for f in work.glob(pattern))


def expected_outputs(work, configfile="config/test.yaml"):
    """Every page, figure, provenance record and per-model output the config implies, from the config itself
    (not from the workflow's own target lists)."""
    cfg = yaml.safe_load((work / configfile).read_text())
    figures = cfg.get("train", {}).get("figures", {})
    pages = ["index", "paper", "study", "fig4", "convex", *figures]
    out = [f"results/report/{p}.{ext}" for p in pages for ext in ("html", "json")]
    out += [f"results/figures/{f}.{ext}" for f in ["spectrum", "fig4", "exact2d", *figures]
            for ext in ("png", "pdf", "json")]
    for fig, spec in figures.items():
        for panel in spec.get("panels", {"": spec}).values():  # a figure of one panel, or its panels
            out.append(f"results/train/{panel['dataset']}/figures/{fig}.csv")
            out += [f"results/train/{panel['dataset']}/{m}/{f}" for m in panel["models"]
                    for f in ("metrics.csv", "cosine.npz", "summary.json")]
    return out


def assert_complete(work):
    missing = [p for p in expected_outputs(work) if not (work / p).is_file()]
    assert not missing, f"missing after the rerun: {missing}"
    index = (work / "results/report/index.html").read_text()
    links = re.findall(r'href="([^"]+)"', index)
    assert len(links) >= 5
    broken = [link for link in links if not (work / "results/report" / link).is_file()]
    assert not broken, f"index.html links to missing pages: {broken}"
    strays = [str(p) for d in ("results", "data") for p in (work / d).rglob(".*.tmp*")]
    assert not strays, f"temporaries left among the outputs: {strays}"


def plain_rerun(work):
    """What README says to do after a kill: unlock, then the plain command."""
    snakemake("--unlock", "--configfile", "config/test.yaml", cwd=work)
    out = snakemake("--cores", "2", "--configfile", "config/test.yaml", cwd=work)
    return out.stdout + out.stderr


@pytest.fixture
def study_copy(study_run, tmp_path):
    work = tmp_path / "study"
    shutil.copytree(study_run, work, symlinks=True)
    return work


def test_killed_forced_report_rerun_is_rebuilt_by_a_plain_rerun(study_copy):
    work = study_copy
    t0 = time.time()
    kill_when([str(BIN / "snakemake"), "--cores", "2", "--configfile", "config/test.yaml", "--forcerun",
               *REPORT_RULES], work, written_since(work, "logs/report/*.log", t0))
    gone = [p for p in expected_outputs(work) if not (work / p).exists()]
    assert gone, "the kill left every output in place: the test did not exercise a loss"
    # and a temporary of a writer killed mid-write (the job's own may be gone with the rename): the next
    # start removes it
    dead = subprocess.Popen(["true"])
    dead.wait()
    stray = work / f"results/report/.paper.ipynb.{io._HOST}-{dead.pid}.abc123.tmp.ipynb"
    stray.write_bytes(b"")
    log = plain_rerun(work)
    assert "Nothing to be done" not in log
    assert not stray.exists() and f"removed a temporary left by a killed job: {stray.relative_to(work)}" in log
    assert_complete(work)
    assert "Nothing to be done" in snakemake("-n", "--configfile", "config/test.yaml", cwd=work).stdout


def test_killed_forced_training_rerun_is_rebuilt_by_a_plain_rerun(study_copy):
    work = study_copy
    t0 = time.time()
    kill_when([str(BIN / "snakemake"), "--cores", "2", "--configfile", "config/test.yaml", "-R", "train"],
              work, written_since(work, "logs/train/*/*.log", t0))
    log = plain_rerun(work)
    assert "rule train:" in log or "localrule train:" in log
    assert_complete(work)


def _audit(work, *args):
    return run([str(BIN / "bnconvex"), "audit", *args, "--configfile", "config/test.yaml", "--no-dvc"], cwd=work,
               check=False)


def test_audit_lists_what_the_config_implies_and_reports_deleted_artifacts_missing(study_copy):
    work = study_copy
    complete = _audit(work, "--all")
    assert complete.returncode == 0, complete.stdout
    assert "paper.html" in complete.stdout and "index.html" in complete.stdout
    (work / "results/report/convex.html").unlink()
    (work / "results/figures/fig1.png").unlink()
    (work / "results/figures/fig1.json").unlink()
    table = _audit(work, "--all")
    assert table.returncode == 1
    rows = {line.split()[0]: line.split()[1] for line in table.stdout.splitlines()[2:] if line.strip()
            and not line[0].isdigit()}
    assert rows["convex.html"] == "MISSING" and rows["fig1"] == "MISSING", rows
    assert rows["fig3"] == "yes" and rows["paper.html"] == "yes", rows
    assert "MISSING: fig1, convex.html" in table.stdout
    one = _audit(work, "fig1")
    assert one.returncode == 1 and "status: MISSING" in one.stdout
