import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# what a workflow run needs from the repository (data/ and results/ are made by the run)
PROJECT_FILES = ["Snakefile", "workflow", "config", "notebooks", "src", "dvc.yaml", ".dvcignore"]


def copy_project(dest: Path) -> Path:
    for name in PROJECT_FILES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, dest / name)
    return dest


def run(cmd, cwd, check=True, **kw):
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "DVC_NO_ANALYTICS": "1"}
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, **kw)
    if check and proc.returncode != 0:
        command = " ".join(map(str, cmd))
        raise AssertionError(f"{command} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def snakemake(*args, cwd, check=True):
    return run([str(BIN / "snakemake"), *args], cwd=cwd, check=check)


@pytest.fixture(scope="session")
def study_run(tmp_path_factory):
    """The whole DAG on config/test.yaml, once per test session, in a temporary copy."""
    work = copy_project(tmp_path_factory.mktemp("study"))
    snakemake("--cores", "2", "--configfile", "config/test.yaml", cwd=work)
    return work
