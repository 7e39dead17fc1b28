"""End-to-end runs of the Snakemake DAG on config/test.yaml, asserting on the outputs."""

import json
import re
import resource

import numpy as np
import pytest
import torch
import yaml
from helpers import ROOT, copy_project, snakemake

from bnconvex.closed_form import subset_task
from bnconvex.data import load_prepared, select_classes
from bnconvex.experiments.convex_jobs import binary_task
from bnconvex.models.deep import DeepBNNet
from bnconvex.network import BNNetwork, ReLUNetwork

pytestmark = pytest.mark.slow
GPU_RULES = {"fig4", "train"}  # jobs that train with torch (paper config); CVXPY and numpy jobs stay on the CPU


def test_certificate_is_tight_and_recomputes_from_the_artifacts(study_run):
    cert = json.loads((study_run / "results/closed_form/digits/thm2.4-certificate.json").read_text())
    cfg = yaml.safe_load((ROOT / "config/test.yaml").read_text())["closed_form"]
    for key in ("theorem", "n", "d", "C", "beta", "primal", "dual", "gap", "time_s"):
        assert key in cert
    assert cert["n"] == cfg["n"] and cert["beta"] == cfg["beta"] and cert["C"] == len(cfg["classes"])
    assert cert["rel_gap"] <= 1e-8 and cert["dual_feasible"]
    # primal recomputed independently: objective (9) of the saved weights on the same subset
    data = load_prepared(study_run / "data/processed/digits.npz")
    X, y = select_classes(data.X_train, data.y_train, cfg["classes"],
                          per_class=cfg["n"] // len(cfg["classes"]), seed=cfg["subset_seed"])
    net = BNNetwork.from_npz(study_run / "results/closed_form/digits/thm2.4-network.npz")
    Y = np.eye(len(cfg["classes"]))[y]
    assert net.objective(X, Y, cfg["beta"]) == pytest.approx(cert["primal"], rel=1e-12)
    assert cert["test_acc"] > 1 / len(cfg["classes"])  # better than chance on held-out digits


def test_spectral_stage_outputs(study_run):
    summary = json.loads((study_run / "results/spectral/digits/summary.json").read_text())
    assert summary["orthonormality_error"] < 1e-10
    assert summary["variance_fraction_kept"] >= 0.9
    with np.load(study_run / "results/spectral/digits/svd.npz") as z:
        Up = z["U_prime"]
        assert z["Sigma"].size == summary["rank"]
    np.testing.assert_allclose(Up.T @ Up, np.eye(Up.shape[1]), atol=1e-10)


def test_report_exists_and_links_the_study_page(study_run):
    index = (study_run / "results/report/index.html").read_text()
    assert 'href="study.html"' in index
    page = (study_run / "results/report/study.html").read_text()
    assert "→ <strong>certified optimal</strong>" in page  # the rendered verdict, not the source
    for ext in ("png", "pdf"):
        assert (study_run / f"results/figures/spectrum.{ext}").stat().st_size > 1000


def test_every_rule_wrote_its_log_and_rerun_does_nothing(study_run):
    for log in ("data/prepare_digits.log", "spectral/digits.log", "closed_form/digits-thm2.4.log",
                "closed_form/digits-fig4.log", "convex/digits-thm2.2.log", "convex/digits-exact2d.log",
                "convex/digits-g1.log", "convex/digits-cnn.log", "report/study.log", "report/fig4.log",
                "report/convex.log",
                "report/index.log"):
        assert (study_run / "logs" / log).exists(), log
    out = snakemake("-n", "--configfile", "config/test.yaml", cwd=study_run)
    assert "Nothing to be done" in out.stdout + out.stderr


@pytest.mark.parametrize(
    "edit, needle",
    [
        (lambda c: c["closed_form"].update(bogus=1), "bogus"),
        (lambda c: c["closed_form"].update(beta=-1.0), "beta"),
        (lambda c: c["data"]["digits"].update(scaling="zscore"), "zscore"),
    ],
)
def test_schema_rejects_bad_config_at_parse_time(tmp_path, edit, needle):
    work = copy_project(tmp_path)
    cfg = yaml.safe_load((work / "config/test.yaml").read_text())
    edit(cfg)
    (work / "config/bad.yaml").write_text(yaml.safe_dump(cfg))
    proc = snakemake("-n", "--configfile", "config/bad.yaml", cwd=work, check=False)
    assert proc.returncode != 0
    assert needle in proc.stdout + proc.stderr
    assert not (work / "results").exists()


def cpu_s(*args, cwd):
    """(CPU seconds, user + system, of ``snakemake *args`` and its children, best of 2; its stdout).

    CPU rather than wall time: a dry run also waits (the SLURM executor plugin probes ``squeue`` at import,
    seconds on some machines, none on others), and waiting is not parse cost."""
    best, out = float("inf"), ""
    for _ in range(2):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        out = snakemake(*args, cwd=cwd).stdout
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        best = min(best, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return best, out


def assert_plans_quickly(work, tmp_path, *args):
    """The dry run's CPU time above that of an empty workflow's dry run (Snakemake's own start-up, measured in
    the same run, since these machines differ in speed by more than our parse time) stays within 1 s plus
    10 ms per planned job: the config checks, pages and input functions cost a fixed part and a linear one
    (measured here: 1.8 s for the paper config's 135 jobs, most of it Snakemake's DAG building)."""
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "Snakefile").write_text("rule all:\n    input: []\n")
    reference, _ = cpu_s("-n", cwd=empty)
    took, out = cpu_s("-n", *args, cwd=work)
    jobs = int(re.search(r"^total\s+(\d+)", out, re.M).group(1))
    allowance = 1.0 + 0.010 * jobs
    assert took - reference < allowance, (
        f"snakemake -n {' '.join(args)} took {took:.2f} CPU s, an empty workflow's {reference:.2f} s: "
        f"more than {allowance:.2f} s for {jobs} jobs")
    return out


def test_dry_run_plans_the_default_dag_quickly(tmp_path):
    work = copy_project(tmp_path)
    out = assert_plans_quickly(work, tmp_path, "--cores", "2")
    assert "report_index" in out


def test_fig4_job_compares_gd_with_the_certified_optimum(study_run):
    summary = json.loads((study_run / "results/closed_form/digits/fig4/summary.json").read_text())
    cert = json.loads((study_run / "results/closed_form/digits/thm2.4-certificate.json").read_text())
    cfg = yaml.safe_load((ROOT / "config/test.yaml").read_text())["closed_form"]["fig4"]
    assert summary["closed_form"]["objective"] == pytest.approx(cert["primal"], rel=1e-12)
    assert len(summary["gd"]["trials"]) == cfg["trials"]
    assert all(t["final_objective"] >= cert["primal"] for t in summary["gd"]["trials"])
    curves = (study_run / "results/closed_form/digits/fig4/curves.csv").read_text().splitlines()
    assert curves[0] == "step,time_s,objective,trial"
    assert len(curves) == 1 + cfg["trials"] * (cfg["steps"] + 1)
    assert 'href="fig4.html"' in (study_run / "results/report/index.html").read_text()
    assert (study_run / "results/figures/fig4.png").stat().st_size > 1000


def test_scalar_closed_forms_thm21_and_g2_are_certified_on_the_pm1_task(study_run):
    cfg = yaml.safe_load((ROOT / "config/test.yaml").read_text())["closed_form"]
    index = (study_run / "results/report/index.html").read_text()
    for theorem in cfg["scalar"]["theorems"]:
        cert = json.loads((study_run / f"results/closed_form/digits/thm{theorem}-certificate.json").read_text())
        assert cert["theorem"] == theorem and cert["rel_gap"] <= 1e-8 and cert["dual_feasible"]
        assert cert["n"] == cfg["scalar"]["n"] and cert["classes"] == cfg["scalar"]["classes"]
        net = BNNetwork.from_npz(study_run / f"results/closed_form/digits/thm{theorem}-network.npz")
        assert net.bn_after_relu == (theorem == "G.2")
        assert f"<td>thm{theorem}</td>" in index
    claims = {c["figure"]: c for c in json.loads((study_run / "results/report/claims.json").read_text())}
    for row in ("Thm 2.1 certificate", "Thm G.2 certificate", "Thm 2.3 sandwich", "App. B.1 hinge loss",
                "App. B.1 logistic loss", "App. B.1 cross-entropy (Thm 2.3)"):  # a paper-page row per certificate
        assert claims[row]["verdict"] == "agrees" and claims[row]["page"] == "paper", row


def test_deep_closed_forms_thm41_and_42_certify_a_trained_deep_network(study_run):
    """The saved deep network (closed-form head on the trained features) reaches the certified primal on the
    job's subset, and the trained network's own objective was not below it."""
    cfg = yaml.safe_load((ROOT / "config/test.yaml").read_text())["closed_form"]
    data = load_prepared(study_run / "data/processed/digits.npz")
    claims = {c["figure"]: c for c in json.loads((study_run / "results/report/claims.json").read_text())}
    for theorem in cfg["deep"]["theorems"]:
        cert = json.loads((study_run / f"results/closed_form/digits/thm{theorem}-certificate.json").read_text())
        task = cfg["scalar"] if theorem == "4.1" else cfg
        assert cert["theorem"] == theorem and cert["rel_gap"] <= 1e-8 and cert["n"] == task["n"]
        assert cert["depth"] == len(cfg["deep"]["widths"]) + 1 and cert["trained"]["steps"] == cfg["deep"]["steps"]
        assert cert["trained"]["objective"] >= cert["primal"] * (1 - 1e-9)
        with np.load(study_run / f"results/closed_form/digits/thm{theorem}-network.npz") as z:
            net = DeepBNNet.from_dict(z)
        X, Y, *_ = subset_task(data, task["classes"], task["n"], cfg["subset_seed"], scalar=theorem == "4.1")
        assert net.objective(torch.as_tensor(X), torch.as_tensor(Y)).item() == pytest.approx(cert["primal"], rel=1e-9)
        assert claims[f"Thm {theorem} certificate"]["verdict"] == "agrees"


def test_convex_jobs_are_certified_and_reconstructed(study_run):
    cfg = yaml.safe_load((ROOT / "config/test.yaml").read_text())["convex"]
    extra = [f"thm2.2-{loss}" for loss in cfg["losses"]["losses"]]  # App. B.1
    extra += [f"thm2.3-{loss}" for loss in cfg["thm23"]["losses"]] + ["nobn"]  # Thm 2.3; Fig. 13's no-BN program
    for name in ("thm2.2", "exact2d", "g1", "cnn", *extra):
        cert = json.loads((study_run / f"results/convex/digits/{name}-certificate.json").read_text())
        assert cert["status"] == "optimal" and cert["valid"]
        assert cert["rel_gap"] <= 1e-6, name
        assert cert["network_rel_diff"] <= 1e-6, name
        assert cert["lower_bound"] <= cert["primal_convex"] + 1e-9
        solver = cfg["thm22"].get("solver", cfg["solver"]) if name == "thm2.2" else cfg["solver"]
        assert cert["solver"] == solver, name
        if name.startswith("thm2.3"):  # the sandwich: relaxation ≤ restriction, over the same patterns
            assert cert["relaxation_lower_bound"] <= cert["upper_bound"] + 1e-6 * abs(cert["upper_bound"]), name
            assert cert["sandwich_gap"] == pytest.approx(cert["upper_bound"] - cert["relaxation_lower_bound"])
            assert cert["C"] == len(cfg["thm23"]["classes"]) and cert["program"] == "2.3-restriction"
        if "-" in name:  # App. B.1's losses, one job each
            assert cert["loss"] == name.split("-", 1)[1], name
        if name == "nobn":  # the ReLU network without BN reaches the program's value on the job's task
            assert cert["program"] == "no-bn" and cert["n"] == cfg["nobn"]["n"] and cert["d"] == 64
            data = load_prepared(study_run / "data/processed/digits.npz")
            X, y = binary_task(data.X_train, data.y_train, cfg["classes"], cfg["nobn"]["n"], seed=cfg["nobn"]["seed"])
            net = ReLUNetwork.from_npz(study_run / "results/convex/digits/nobn-network.npz")
            assert net.objective(X, y, cert["beta"]) == pytest.approx(cert["primal_network"], rel=1e-10)
    exact = json.loads((study_run / "results/convex/digits/exact2d-certificate.json").read_text())
    n = cfg["exact2d"]["n"]
    assert exact["patterns_complete"] and exact["P"] == 2 * (1 + (n - 1) + (n - 1) * (n - 2) // 2)
    # the saved network reproduces the certified objective on the saved 2-D data
    with np.load(study_run / "results/convex/digits/exact2d-grid.npz") as z:
        X2, y = z["X2"], z["y"]
    net = BNNetwork.from_npz(study_run / "results/convex/digits/exact2d-network.npz")
    assert net.objective(X2, y, exact["beta"]) == pytest.approx(exact["primal_network"], rel=1e-10)
    index = (study_run / "results/report/index.html").read_text()
    assert 'href="convex.html"' in index
    assert "<th>sandwich gap</th>" in index and all(f"<td>{name}</td>" in index for name in extra)


def test_paper_config_plans_the_full_dag_quickly_and_gpu_jobs_ask_for_a_gpu(tmp_path):
    work = copy_project(tmp_path)
    out = assert_plans_quickly(work, tmp_path, "--configfile", "config/paper.yaml")
    jobs = re.findall(r"^rule (\w+):\n(.*?)(?=^\S|\Z)", out, flags=re.S | re.M)
    planned = {r for r, _ in jobs}
    assert {"fetch", "prepare_data", "spectral", "closed_form", "fig4", "convex_thm22", "convex_cnn"} <= planned
    for rule, body in jobs:
        resources = re.search(r"resources: (.*)", body).group(1)
        assert ("gpu=1" in resources) == (rule in GPU_RULES), f"{rule}: {resources}"
        if rule != "all" and not rule.startswith("stage_"):
            assert "mem_mb=" in resources and "runtime=" in resources, f"{rule}: {resources}"
    # resources follow the config: the paper-scale fig4 job asks for more time than the test one (10 min floor)
    runtime = lambda text: int(re.search(r"rule fig4:.*?runtime=(\d+)", text, re.S).group(1))
    small = snakemake("-n", "--configfile", "config/test.yaml", cwd=work).stdout
    assert runtime(out) > 3 * runtime(small)
