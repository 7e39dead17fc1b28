"""Model specs of the training experiments, resolved from the config (no torch import: the workflow uses this
at parse time)."""

from __future__ import annotations

import math
import re

ARCHS = ("bn", "nobn", "whitened", "convex", "cnn", "convex_cnn")
SWEEP_KEYS = {"bs": ("batch_size", int), "lr": ("lr", float), "k": ("k", int)}
_SWEEP = re.compile(r"^(?P<base>[a-z][a-z0-9_]*?)(?:-(?P<key>bs|lr|k)(?P<value>[0-9.e+-]+))?$")


def parse_model_name(model: str, models: dict) -> tuple[str, str | None, int | float | None]:
    """``(base, spec key, value)`` of a model name such as ``sgd-bs100`` (key and value None without a sweep).

    Raises ``ValueError`` for a base name not in ``models`` and for a sweep value that is not a number of the
    right kind: ``-bs`` and ``-k`` take an integer >= 1, ``-lr`` a finite float > 0.
    """
    match = _SWEEP.match(model)
    if not match or match["base"] not in models:
        raise ValueError(f"unknown model {model!r}: expected one of {sorted(models)} with an optional "
                         f"sweep suffix -bs<int>, -lr<float> or -k<int>")
    if not match["key"]:
        return match["base"], None, None
    key, cast = SWEEP_KEYS[match["key"]]
    point = f"sweep point -{match['key']}{match['value']}"
    try:
        value = cast(match["value"])
    except ValueError:
        kind = "an integer" if cast is int else "a number"
        raise ValueError(f"model {model!r}: {point}: {match['value']!r} is not {kind}") from None
    if cast is int and value < 1:
        raise ValueError(f"model {model!r}: {point}: {key} must be >= 1")
    if cast is float and not (math.isfinite(value) and value > 0):
        raise ValueError(f"model {model!r}: {point}: {key} must be a finite number > 0")
    return match["base"], key, value


def resolve_spec(model: str, defaults: dict, models: dict, dataset_overrides: dict | None = None) -> dict:
    """The spec of ``model``: ``defaults`` < ``dataset_overrides`` < ``models[base]`` < the sweep suffix.

    Model names are a base name from ``models`` with an optional sweep point ``-bs<int>``, ``-lr<float>`` or
    ``-k<int>`` (e.g. ``sgd-bs100``, ``convex_truncated-k200``), so every sweep point is its own job. A sweep
    value must be a valid setting (``-bs0``, ``-lr-1e-3``, ``-lr1e`` are refused: see :func:`parse_model_name`).
    """
    base, key, value = parse_model_name(model, models)
    spec = {**defaults, **(dataset_overrides or {}), **models[base]}
    if key:
        spec[key] = value
        if key == "k":
            spec["truncate"] = True
    if spec["arch"] not in ARCHS:
        raise ValueError(f"model {model!r}: arch must be one of {ARCHS}, got {spec['arch']!r}")
    return spec
