"""The test DAG through a real SLURM (the loopback cluster of .ci/slurm-up.sh) with the CI profile.

Skipped when no SLURM controller answers, unless BNCONVEX_REQUIRE_SLURM=1 (set by .ci/run), which turns
a missing cluster into a failure.
"""

import json
import os
import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest
from helpers import copy_project, snakemake

pytestmark = pytest.mark.slow
# one job of each kind (each costs an sbatch round trip and a Snakemake start in the job): data, spectral, the
# closed form and Fig. 4 (the GPU job), one convex program, one report page, one trained model
SLURM_TARGETS = ["stage_data", "stage_spectral", "stage_closed_form", "results/convex/digits/thm2.2-certificate.json",
                 "results/report/study.html", "results/train/digits/sgd/metrics.csv"]
TIME_KEYS = {"time_s", "certificate_time_s", "relaxation_time_s", "wall_time_s", "mean_wall_time_s"}


def slurm_idle() -> bool:
    if not shutil.which("sinfo"):
        return False
    out = subprocess.run(["sinfo", "-h", "-o", "%t"], capture_output=True, text=True, timeout=20)
    return out.returncode == 0 and "idle" in out.stdout


def without_times(obj):
    if isinstance(obj, dict):
        return {k: without_times(v) for k, v in obj.items() if k not in TIME_KEYS}
    if isinstance(obj, list):
        return [without_times(v) for v in obj]
    return obj


@pytest.fixture(scope="module")
def slurm_run(tmp_path_factory):
    if not slurm_idle():
        if os.environ.get("BNCONVEX_REQUIRE_SLURM") == "1":
            pytest.fail("BNCONVEX_REQUIRE_SLURM=1 but no idle SLURM node answers sinfo")
        pytest.skip("no SLURM cluster (run .ci/slurm-up.sh)")
    work = copy_project(tmp_path_factory.mktemp("slurm"))  # profiles/ included
    proc = snakemake("--profile", "profiles/slurm-ci", "--configfile", "config/test.yaml", "--", *SLURM_TARGETS,
                     cwd=work)
    return work, proc.stdout + proc.stderr


def slurm_jobs(out):
    """{job id: `scontrol show job` text} for every job the run says it submitted."""
    ids = re.findall(r"submitted with SLURM jobid (\d+)", out)
    return {i: subprocess.run(["scontrol", "show", "job", i], capture_output=True, text=True).stdout for i in ids}


def test_jobs_went_through_sbatch(slurm_run):
    work, out = slurm_run
    jobs = slurm_jobs(out)
    assert len(jobs) >= 7
    rules = set()
    for job_id, info in jobs.items():
        assert "JobState=COMPLETED" in info, f"SLURM job {job_id}: {info}"
        assert f"WorkDir={work}" in info
        rules.add(re.search(r"Comment=rule_(\w+?)(_wildcards|\s)", info).group(1))
    assert {"prepare_data", "spectral", "closed_form", "fig4", "convex_thm22", "report_study", "train"} <= rules


def test_gpu_job_was_given_the_gres(slurm_run):
    work, out = slurm_run
    for info in slurm_jobs(out).values():
        gpu_job = "Comment=rule_fig4_" in info
        assert ("TresPerJob=gres:gpu:1" in info) == gpu_job, info
    log = (work / "logs/closed_form/digits-fig4.log").read_text()
    # SLURM sets CUDA_VISIBLE_DEVICES only for a job that was granted a GPU; there is no real GPU here
    assert "CUDA_VISIBLE_DEVICES=0" in log and "falling back to CPU" in log
    for cpu_log in ("logs/convex/digits-thm2.2.log",):
        assert "CUDA_VISIBLE_DEVICES" not in (work / cpu_log).read_text()


def test_outputs_equal_a_local_run(slurm_run, study_run):
    work, _ = slurm_run
    for rel in ("data/processed/digits.npz", "results/spectral/digits/svd.npz",
                "results/closed_form/digits/thm2.4-network.npz"):
        with np.load(work / rel) as a, np.load(study_run / rel) as b:
            for key in a.files:
                np.testing.assert_array_equal(a[key], b[key], err_msg=f"{rel}:{key}")
    for rel in ("data/processed/digits.json", "results/spectral/digits/summary.json",
                "results/closed_form/digits/thm2.4-certificate.json", "results/closed_form/digits/fig4/summary.json",
                "results/convex/digits/thm2.2-certificate.json"):
        a, b = json.loads((work / rel).read_text()), json.loads((study_run / rel).read_text())
        assert without_times(a) == without_times(b), rel
    a, b = (pd.read_csv(w / "results/train/digits/sgd/metrics.csv").drop(columns="time_s") for w in (work, study_run))
    pd.testing.assert_frame_equal(a, b)
    assert (work / "results/report/study.html").exists()
