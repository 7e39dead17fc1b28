"""Model specs of the training experiments, resolved from the config (no torch import: the workflow uses this
at parse time)."""

from __future__ import annotations

import re

ARCHS = ("bn", "nobn", "whitened", "convex", "cnn", "convex_cnn")
SWEEP_KEYS = {"bs": ("batch_size", int), "lr": ("lr", float), "k": ("k", int)}
_SWEEP = re.compile(r"^(?P<base>[a-z][a-z0-9_]*?)(?:-(?P<key>bs|lr|k)(?P<value>[0-9.e+-]+))?$")


def resolve_spec(model: str, defaults: dict, models: dict, dataset_overrides: dict | None = None) -> dict:
    """The spec of ``model``: ``defaults`` < ``dataset_overrides`` < ``models[base]`` < the sweep suffix.

    Model names are a base name from ``models`` with an optional sweep point ``-bs<int>``, ``-lr<float>`` or
    ``-k<int>`` (e.g. ``sgd-bs100``, ``convex_truncated-k200``), so every sweep point is its own job.
    """
    match = _SWEEP.match(model)
    if not match or match["base"] not in models:
        raise ValueError(f"unknown model {model!r}: expected one of {sorted(models)} with an optional "
                         f"sweep suffix -bs<int>, -lr<float> or -k<int>")
    spec = {**defaults, **(dataset_overrides or {}), **models[match["base"]]}
    if match["key"]:
        key, cast = SWEEP_KEYS[match["key"]]
        spec[key] = cast(match["value"])
        if key == "k":
            spec["truncate"] = True
    if spec["arch"] not in ARCHS:
        raise ValueError(f"model {model!r}: arch must be one of {ARCHS}, got {spec['arch']!r}")
    return spec
