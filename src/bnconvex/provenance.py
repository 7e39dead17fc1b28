"""Provenance of a figure (``results/figures/<fig>.json``): the config subset, content hashes of every input
artifact, git commit and dirtiness, package versions, device and wall time. Read by ``bnconvex audit``."""

from __future__ import annotations

import hashlib
import platform
import subprocess
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

PACKAGES = ("bnconvex", "numpy", "scipy", "pandas", "torch", "cvxpy", "clarabel", "matplotlib", "papermill",
            "snakemake", "dvc")


def md5(path: str | Path) -> str:
    """MD5 of the file's bytes: the content hash DVC 3 records for a file in dvc.lock."""
    h = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def input_hashes(paths) -> dict[str, dict]:
    """{path: {"md5", "bytes"}} for every input file (paths as given, relative to the working directory)."""
    return {str(p): {"md5": md5(p), "bytes": Path(p).stat().st_size} for p in sorted(set(map(str, paths)))}


def git_state(cwd: str | Path = ".") -> dict:
    """{"commit", "dirty"} of the repository at cwd; nulls outside a git checkout."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True,
                                check=True).stdout.strip()
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=cwd,
                                capture_output=True, text=True, check=True).stdout
        return {"commit": commit, "dirty": bool(status.strip())}
    except (OSError, subprocess.CalledProcessError):
        return {"commit": None, "dirty": None}


def package_versions() -> dict[str, str | None]:
    out = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def device_name() -> str:
    """The GPU model when torch sees one, else the CPU model."""
    try:
        import torch

        if torch.cuda.is_available():
            return f"GPU: {torch.cuda.get_device_name(0)}"
    except ImportError:
        pass
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"CPU: {cpu}"


def provenance(figure: str, config: dict, inputs, wall_time_s: float, rule: str, outputs=()) -> dict:
    """The provenance record of one figure (see module docstring)."""
    return {
        "figure": figure,
        "rule": rule,
        "outputs": [str(p) for p in outputs],
        "config": config,
        "inputs": input_hashes(inputs),
        "git": git_state(),
        "packages": package_versions(),
        "python": platform.python_version(),
        "device": device_name(),
        "wall_time_s": wall_time_s,
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
    }
