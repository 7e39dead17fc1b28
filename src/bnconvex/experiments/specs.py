"""Model specs of the training experiments, resolved from the config, and the paper's learning rates and β in
our parametrisation (no torch import: the workflow uses this at parse time).

**Precedence** (the one place it is defined: :func:`resolve_spec`). A model's spec on a data set is built from,
lowest first, each level overriding the ones before it:

1. ``train.defaults``;
2. ``train.datasets.<dataset>`` (settings of every model on that data set, e.g. its ``m1``, ``batch_size``);
3. ``train.models.<base>`` (what the model is: ``arch``, ``truncate``, ``optimizer``, ...);
4. ``train.datasets.<dataset>.models.<base>`` (that model on that data set: the paper's chosen learning rate
   of Fig. 3a is not Fig. 3b's, and Fig. 6 fixes one learning rate "for all architectures");
5. the sweep suffix of the model name (``-bs<int>``, ``-lr<float>``, ``-k<int>``; ``-k`` also sets
   ``truncate``);
6. the seed suffix ``-s<j>`` (j >= 1): the j-th extra seed of the model, ``seed`` + j (:func:`seed_jobs`).

**Seeds.** A figure with ``seeds: N`` (``train.figures.<fig>.seeds``, else ``train.seeds``, default 1) runs each
model N times, each its own job: ``<model>`` (seed j = 0, the model's ``seed``) and ``<model>-s<j>`` for
j = 1..N−1, whose spec ``seed`` is the model's + j. The seed draws every random choice of a training run: the
initial weights, the sampled patterns of the convex models and the mini-batch order (the data set's split and
subsample are the data's, ``data.<name>.seed``, and do not change with it).

There are no other figure-level settings: a model's job (``results/train/<dataset>/<model>/``) is shared by every
figure that lists it, so its spec depends on the data set and the model name only.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

ARCHS = ("bn", "nobn", "whitened", "convex", "convex_nobn", "cnn", "convex_cnn", "deep_cnn")
IMAGE_ARCHS = ("cnn", "convex_cnn", "deep_cnn")   # models of images: specs carry the data set's image_shape
SWEEP_KEYS = {"bs": ("batch_size", int), "lr": ("lr", float), "k": ("k", int)}
_SEED = re.compile(r"^(?P<name>.+?)-s(?P<j>[0-9]+)$")
_SWEEP = re.compile(r"^(?P<base>[a-z][a-z0-9_]*?)(?:-(?P<key>bs|lr|k)(?P<value>[0-9.e+-]+))?$")


def split_seed(model: str) -> tuple[str, int]:
    """``(model name without its seed suffix, seed index j)``: ``sgd-bs100-s2`` → ``("sgd-bs100", 2)``, ``sgd``
    → ``("sgd", 0)``. ``-s0`` is refused (``ValueError``): seed 0's job is the plain name."""
    match = _SEED.match(model)
    if not match:
        return model, 0
    j = int(match["j"])
    if j == 0:
        raise ValueError(f"model {model!r}: seed index 0 is the job {match['name']!r} (no -s0 suffix)")
    return match["name"], j


def seed_jobs(model: str, seeds: int) -> list[str]:
    """The job names of ``model`` run with ``seeds`` seeds: ``[model, model-s1, …, model-s<seeds−1>]``."""
    return [model] + [f"{model}-s{j}" for j in range(1, seeds)]


def parse_model_name(model: str, models: dict) -> tuple[str, str | None, int | float | None]:
    """``(base, spec key, value)`` of a model name such as ``sgd-bs100`` (key and value None without a sweep);
    a seed suffix (``sgd-bs100-s2``, :func:`split_seed`) is ignored.

    Raises ``ValueError`` for a base name not in ``models`` and for a sweep value that is not a number of the
    right kind: ``-bs`` and ``-k`` take an integer >= 1, ``-lr`` a finite float > 0.
    """
    match = _SWEEP.match(split_seed(model)[0])
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
    """The spec of ``model`` on a data set: ``defaults`` < ``dataset_overrides`` (``train.datasets.<dataset>``)
    < ``models[base]`` < ``dataset_overrides["models"][base]`` < the sweep suffix (the module docstring).

    Model names are a base name from ``models`` with an optional sweep point ``-bs<int>``, ``-lr<float>`` or
    ``-k<int>`` (e.g. ``sgd-bs100``, ``convex_truncated-k200``), so every sweep point is its own job. A sweep
    value must be a valid setting (``-bs0``, ``-lr-1e-3``, ``-lr1e`` are refused: see :func:`parse_model_name`).
    A seed suffix ``-s<j>`` adds j to the spec's ``seed`` (:func:`split_seed`).
    """
    base, key, value = parse_model_name(model, models)
    j = split_seed(model)[1]
    dataset = dict(dataset_overrides or {})
    per_model = dataset.pop("models", None) or {}
    spec = {**defaults, **dataset, **models[base], **per_model.get(base, {})}
    if key:
        spec[key] = value
        if key == "k":
            spec["truncate"] = True
    if j:
        spec["seed"] = spec.get("seed", 0) + j
    if spec["arch"] not in ARCHS:
        raise ValueError(f"model {model!r}: arch must be one of {ARCHS}, got {spec['arch']!r}")
    return spec


# ---- the paper's steps in our parametrisation (docs/study.md, "Learning rates: the paper's and ours") ----

PAPER_REDUCTIONS = ("mean", "sum")
BN_SCALED_ARCHS = ("bn", "whitened")   # the paper's torch.nn.BatchNorm1d lacks our BN's 1/√n
PLAIN_ARCHS = ("nobn", "convex", "convex_nobn")   # the same parameters in the paper's code and ours


@dataclass(frozen=True)
class PaperStep:
    """Our settings that take the paper's step (:func:`paper_step`).

    ``lr`` and ``beta`` go into the spec. ``missing_decay`` is the weight decay the paper also applies to the
    parameters our objective leaves unregularized (W1 of ``bn``, q of ``whitened``, b1 of ``nobn``; 0 for
    ``convex``), which our loop does not apply. ``scale`` maps the weights, ``θ_paper = scale · θ_ours``, and
    ``factor`` the batch objectives: ours = ``factor`` × the paper's, at mapped weights.
    """

    lr: float
    beta: float
    missing_decay: float
    scale: float
    factor: float


def paper_step(arch: str, optimizer: str, lr: float, beta: float, n: int, batch_size: int | None,
               reduction: str = "mean") -> PaperStep:
    """The learning rate and β of ours that take the step the paper takes at learning rate ``lr`` and
    regularization ``beta``, with ``n`` training samples and batches of ``batch_size`` (None: full batch).

    The paper's batch objective is (3) on the batch, ``½‖f − Y‖²_B + β R(θ)`` (R: ``½‖θ‖²`` over every
    parameter, weight decay "as outlined in (3)", App. A; ``Σ‖s‖`` plus App. A's penalty ``ρ Σ violations``
    for the convex program), divided by the batch size (``reduction="mean"``, the default: a mean over the
    batch, as the authors' code and PyTorch's reductions) or not (``"sum"``). Its BN network is
    ``torch.nn.Linear`` + ``BatchNorm1d`` + ReLU + ``Linear``; its whitened model is that network through
    Lemma 5.1; its no-BN and convex models have our parameters. Ours is
    ``½ (n/b) ‖f − Y‖²_B + β/2 ‖(γ, α, W2)‖²`` (9) with BN ``γ/√n, α/√n`` (2).

    With ``w`` = 1/b (mean) or 1 (sum), ``factor = n / (b·w)`` and ``scale`` = n^(−1/4) for ``bn`` and
    ``whitened`` (so that BatchNorm1d's outputs, √n times ours, meet ours), 1 for ``nobn`` and ``convex``:

    - ours at ``θ = θ_paper / scale`` equals ``factor`` × the paper's objective, when
      ``beta_ours = factor · w · β · scale²``, the parameters (9) leaves out (W1, q, b1) are decayed by as much
      (``missing_decay``; our loop does not) and ρ is the same in both;
    - SGD (any momentum): ``lr_ours = lr / (factor · scale²)``; Adam: ``lr_ours = lr / scale`` (exact up to
      Adam's ε, which our gradients, ``factor · scale`` times the paper's, make relatively smaller).

    For CIFAR-10's Fig. 3 (n = 50,000, b = 1000, mean): BN ``lr/√n``, ``β√n/b``; convex ``lr/n``, ``β n/b``.
    The CNN (Table 1, AdamW's decoupled decay) is not derived: ``ValueError``.
    """
    if reduction not in PAPER_REDUCTIONS:
        raise ValueError(f"reduction must be one of {PAPER_REDUCTIONS}, got {reduction!r}")
    if arch in BN_SCALED_ARCHS:
        scale = n ** -0.25
    elif arch in PLAIN_ARCHS:
        scale = 1.0
    else:
        raise ValueError(f"the paper's step is derived for {BN_SCALED_ARCHS + PLAIN_ARCHS}, not arch {arch!r}")
    b = batch_size or n
    w = 1.0 / b if reduction == "mean" else 1.0
    factor = n / (b * w)
    ours_beta = factor * w * beta * scale**2
    if optimizer == "sgd":
        ours_lr = lr / (factor * scale**2)
    elif optimizer == "adam":
        ours_lr = lr / scale
    else:
        raise ValueError(f"the paper's step is derived for optimizers sgd and adam, not {optimizer!r}")
    return PaperStep(lr=ours_lr, beta=ours_beta, missing_decay=0.0 if arch.startswith("convex") else ours_beta,
                     scale=scale, factor=factor)
