"""Helpers shared by the tests (importable as `helpers`: pyproject puts tests/ on sys.path)."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
BIN = Path(sys.executable).parent
# what a workflow run needs from the repository (data/ and results/ are made by the run)
PROJECT_FILES = ["Snakefile", "workflow", "config", "notebooks", "src", "profiles", "dvc.yaml", ".dvcignore",
                 "params.yaml"]


def one_hot_instance(rng, class_sizes, d):
    """X (n×d) Gaussian, Y one-hot with the given class sizes (so ‖y_j‖ = √n_j), rows shuffled."""
    labels = np.concatenate([np.full(s, j) for j, s in enumerate(class_sizes)])
    labels = rng.permutation(labels)
    X = rng.standard_normal((labels.size, d))
    return X, np.eye(len(class_sizes))[labels]


def chw_rows(imgs):
    """HWC uint8 images (N×32×32×3) as rows in the official CIFAR channel-first order."""
    return imgs.transpose(0, 3, 1, 2).reshape(len(imgs), -1)


def copy_project(dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_FILES:
        src = ROOT / name
        if src.is_dir():
            # symlinks kept: config/config.yaml links to params.yaml (the default config, DVC's params file)
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__"), symlinks=True)
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


def kill_when(cmd, cwd, killed, timeout=300.0):
    """Run ``cmd`` in its own process group and SIGKILL the whole group (jobs included) as soon as
    ``killed()`` is true; fail if the command ends first."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "DVC_NO_ANALYTICS": "1"}
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            if killed():
                os.killpg(proc.pid, signal.SIGKILL)
                break
            time.sleep(0.05)
    finally:
        if proc.poll() is None and time.monotonic() >= deadline:
            os.killpg(proc.pid, signal.SIGKILL)
        rc = proc.wait()
    assert rc == -signal.SIGKILL, f"{' '.join(cmd)} ended (rc {rc}) before the kill point"


def train_full_batch(model, X, Y, steps: int, lr: float, optimizer: str = "adam") -> list[float]:
    """Full-batch gradient descent ("gd") or Adam on ``model.objective`` by the one training loop
    (:func:`bnconvex.train.train`): the objective before every step and after the last (steps + 1 values)."""
    import torch

    from bnconvex.train import TrainData, TrainSettings, objective_row, train

    settings = TrainSettings(optimizer="sgd" if optimizer == "gd" else optimizer, lr=lr, momentum=0.0, epochs=steps)
    data = TrainData(torch.as_tensor(X), torch.as_tensor(Y))
    return train(model, data, settings, progress=False, evaluate=objective_row)["train_objective"].tolist()
