"""Helpers for the thin scripts in ``workflow/scripts``: logging to the rule's ``log:`` file."""

from __future__ import annotations

import logging
import sys
from pathlib import Path


def setup_log(path) -> logging.Logger:
    """Send logging and uncaught exceptions of a Snakemake script to its ``log:`` file."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(
        filename=str(path),
        filemode="w",
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        force=True,
    )
    log = logging.getLogger("bnconvex")

    def hook(exc_type, exc, tb):
        log.error("job failed", exc_info=(exc_type, exc, tb))
        sys.__excepthook__(exc_type, exc, tb)

    sys.excepthook = hook
    return log


def choose_device(log: logging.Logger) -> str:
    """"cuda" when torch sees a GPU, else "cpu" with a log line saying so (and what SLURM granted)."""
    import os

    import torch

    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if torch.cuda.is_available():
        log.info("device: cuda (%s), CUDA_VISIBLE_DEVICES=%s", torch.cuda.get_device_name(0), visible)
        return "cuda"
    log.info("device: no usable GPU (CUDA_VISIBLE_DEVICES=%s); falling back to CPU", visible)
    return "cpu"


def canonical(obj):
    """``obj`` with every dict's keys sorted, recursively. Snakemake compares ``params:`` by their text, so
    sorting the config makes a reordered (or re-dumped) YAML file trigger no rerun."""
    if isinstance(obj, dict):
        return {k: canonical(obj[k]) for k in sorted(obj)}
    if isinstance(obj, list):
        return [canonical(v) for v in obj]
    return obj
