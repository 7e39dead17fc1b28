"""The study config, checked when the workflow is parsed: every problem that can be seen without data.

:func:`check_config` reads the config files again with a strict YAML loader (syntax errors and duplicate
keys name file and line), validates the config against ``workflow/schemas/config.schema.yaml`` (filling the
schema's defaults, as Snakemake's ``validate`` does) and then runs the cross-field checks a schema cannot
express: data sets named but not defined, class indices that do not exist, per-class counts above what the
source has, ``closed_form.n`` against the classes and d, solver and loss, model names and sweep points,
truncation k against min(n − 1, d), CNN geometry, the models of Fig. 1. Every problem is reported as one
short line, ``<config file>: <key.path[i]>: <problem>``, by :class:`ConfigError`.

The facts used (classes, samples per class, features, image shapes) are the sources' published ones
(:data:`SOURCE_FACTS`, :mod:`bnconvex.data.sources`); problems that need the data themselves fail the job,
in the same style (:mod:`bnconvex.data.prepare`). No torch import: this runs at parse time.

``python -m bnconvex.config FILE...`` checks config files on their own. It names file and line of a YAML
syntax error even for a ``--configfile``, which Snakemake 9 loads (and fails on, without either) before the
Snakefile runs.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from bnconvex.experiments.specs import IMAGE_ARCHS, parse_model_name, resolve_spec

SCHEMA = Path(__file__).resolve().parents[2] / "workflow" / "schemas" / "config.schema.yaml"
MAX_SHOWN = 3  # problems listed in one error; the rest are counted
COSINE_ARCHS = ("bn", "nobn", "whitened")  # archs whose training records the cosine similarity (18)
CNN_ARCHS = ("cnn", "convex_cnn")
ONE_PANEL_FIGURES = ("fig1", "table1")  # figures of the paper with one panel (their notebooks show one)
CONVEX_PROGRAMS = ("thm22", "exact2d", "g1", "cnn")  # each takes n/2 samples of each of convex.classes
HASH_HEX_DIGITS = {"md5": 32, "sha1": 40, "sha256": 64}

Key = tuple[str | int, ...]  # a key path into the config: ("train", "figures", "fig6", "models", 2)
Problem = tuple[Key, str]


# ---- errors ----

def format_key(key: Key) -> str:
    """``("train", "figures", "fig6", "models", 2)`` → ``train.figures.fig6.models[2]``."""
    out = ""
    for part in key:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


class ConfigError(ValueError):
    """A config problem: ``<config file>: <key.path[i]>: <problem>``, one line per problem (a few at most).

    ``problems`` holds ``(config file, key path, problem)``; the file is "" where none is known (a job
    reports the key alone) and may carry a line number (``config/x.yaml:12``).
    """

    def __init__(self, problem: str, key: str = "", configfile: str = "", more: Sequence[tuple] = ()):
        self.problems = [(str(configfile), key, problem), *more]
        super().__init__(self._message())

    def _message(self) -> str:
        lines = [": ".join(part for part in line if part) for line in self.problems[:MAX_SHOWN]]
        if len(self.problems) > MAX_SHOWN:
            lines.append(f"(and {len(self.problems) - MAX_SHOWN} more problems)")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self._message()

    @property
    def key(self) -> str:
        return self.problems[0][1]


# ---- strict YAML ----

def _display(path) -> str:
    """A path as given, relative to the working directory where it lies below it; links are not followed, so
    config/config.yaml (a link to params.yaml) keeps its name."""
    path = Path(path)
    try:
        return str(Path(os.path.abspath(path)).relative_to(Path(os.path.abspath(os.getcwd()))))
    except ValueError:
        return str(path)


def _duplicate_key(root) -> tuple[Key, int, int] | None:
    """(key path, line, first line) of the first key that a mapping under ``root`` repeats, or None."""
    stack, seen = [(root, ())], set()
    while stack:
        node, path = stack.pop()
        if id(node) in seen:  # an alias: already walked
            continue
        seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            stack += [(item, (*path, i)) for i, item in reversed(list(enumerate(node.value)))]
        if not isinstance(node, yaml.MappingNode):
            continue
        first: dict = {}
        children = []
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge" or not isinstance(key_node, yaml.ScalarNode):
                children.append((value_node, path))
                continue
            key, line = key_node.value, key_node.start_mark.line + 1
            if (key_node.tag, key) in first:  # 1 and "1" are different keys
                return (*path, key), line, first[key_node.tag, key]
            first[key_node.tag, key] = line
            children.append((value_node, (*path, key)))
        stack += reversed(children)
    return None


def _load_json_strict(text: str, name: str) -> dict:
    def pairs(items):
        keys = [key for key, _ in items]
        repeated = next((key for i, key in enumerate(keys) if key in keys[:i]), None)
        if repeated is not None:
            raise ConfigError(f"duplicate key {repeated!r} in a JSON object", configfile=name)
        return dict(items)

    data = json.loads(text, object_pairs_hook=pairs)
    if not isinstance(data, dict):
        raise ConfigError("a config file must be a mapping of keys at the top level", configfile=name)
    return data


_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml where built: same nodes and marks, ~10x faster


def _compose(text: str, loader_class):
    """(node, first duplicate key or None, data) of a YAML document; ``data`` is None where a key repeats."""
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        duplicate = _duplicate_key(node) if node is not None else None
        data = loader.construct_document(node) if node is not None and not duplicate else None
        return node, duplicate, data
    finally:
        loader.dispose()


def _yaml_or_config_error(text: str, name: str):
    """:func:`_compose` with PyYAML's pure-Python loader, its errors as a :class:`ConfigError` naming the line."""
    try:
        return _compose(text, yaml.SafeLoader)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f"{name}:{mark.line + 1}" if mark else name
        detail = [f"column {mark.column + 1}"] if mark else []
        if err.context and err.context_mark:
            detail.append(f"{err.context} from line {err.context_mark.line + 1}")
        problem = err.problem or err.context or "invalid YAML"
        raise ConfigError(f"YAML syntax error: {problem} ({'; '.join(detail)})", configfile=where) from None
    except yaml.YAMLError as err:
        raise ConfigError(f"YAML error: {err}", configfile=name) from None


def load_yaml_strict(path) -> dict:
    """The mapping of a YAML (or JSON) config file; :class:`ConfigError` naming file and line on a syntax
    error, a duplicate key (YAML would keep the last value) or a document that is not a mapping."""
    name = _display(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(f"cannot read the config file: {err.strerror}", configfile=name) from None
    try:  # JSON first, as Snakemake reads config files
        return _load_json_strict(text, name)
    except json.JSONDecodeError:
        pass
    try:
        node, duplicate, data = _compose(text, _SAFE_LOADER)
    except yaml.YAMLError:  # parsed again by PyYAML's own parser, whose messages and marks the errors quote
        node, duplicate, data = _yaml_or_config_error(text, name)
    if duplicate:
        key, line, first = duplicate
        raise ConfigError(f"duplicate key (first set at line {first})", format_key(key), f"{name}:{line}")
    if not isinstance(data, dict):
        raise ConfigError("a config file must be a mapping of keys at the top level", configfile=name)
    return data


# ---- the schema ----

def _short(value, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _allowed_keys(schema: dict, root: dict) -> list[str]:
    """The property names a subschema (and the ``$defs`` it takes through ``allOf``) defines."""
    keys = list(schema.get("properties", {}))
    for part in schema.get("allOf", []):
        ref = part.get("$ref", "")
        if ref.startswith("#/$defs/"):
            keys += _allowed_keys(root["$defs"][ref.rsplit("/", 1)[1]], root)
    return keys


def _schema_problem(error, root: dict) -> Problem:
    """One jsonschema error as (key path, short problem)."""
    key, kind, schema = tuple(error.absolute_path), error.validator, error.schema
    if "propertyNames" in error.absolute_schema_path:
        return (*key, error.instance), f"not an allowed name: {error.message}"
    if kind == "required":
        missing = [name for name in error.validator_value if name not in error.instance]
        return (*key, missing[0]), "required key missing"
    if kind in ("additionalProperties", "unevaluatedProperties"):
        allowed = _allowed_keys(schema, root)
        extra = [name for name in error.instance if name not in allowed]
        if kind == "additionalProperties" and schema.get("patternProperties"):
            patterns = list(schema["patternProperties"])
            extra = [name for name in extra if not any(re.search(p, str(name)) for p in patterns)]
            return (*key, extra[0] if extra else "?"), f"not a valid name (names match {', '.join(patterns)})"
        return (*key, extra[0] if extra else "?"), f"unknown key; allowed: {', '.join(sorted(allowed))}"
    if kind == "pattern" and "errorMessage" in schema:
        return key, f"{_short(error.instance)}: {schema['errorMessage']}"
    if kind in ("type", "enum", "pattern"):
        expected = {"type": "of type", "enum": "one of", "pattern": "matching"}[kind]
        return key, f"{_short(error.instance)} is not {expected} {error.validator_value}"
    message = error.message.replace("\n", " ")
    return key, message if len(message) <= 200 else message[:197] + "..."


def _load_schema(path) -> dict:
    with open(path, encoding="utf-8") as f:
        return yaml.load(f, Loader=_SAFE_LOADER)


def validate_schema(config: dict, schema=SCHEMA) -> list[Problem]:
    """Problems of ``config`` against the JSON schema, in the schema's order; fills the schema's defaults
    into ``config`` (as ``snakemake.utils.validate`` does), so the workflow can rely on them."""
    from jsonschema import Draft202012Validator, validators

    root = schema if isinstance(schema, dict) else _load_schema(schema)
    properties = Draft202012Validator.VALIDATORS["properties"]

    def set_defaults(validator, props, instance, subschema):
        if isinstance(instance, dict):
            for name, prop in props.items():
                if "default" in prop:
                    instance.setdefault(name, prop["default"])
        yield from properties(validator, props, instance, subschema)

    Validator = validators.extend(Draft202012Validator, {"properties": set_defaults})
    return [_schema_problem(error, root) for error in Validator(root).iter_errors(config)]


# ---- facts about the sources that need no data ----

@dataclass(frozen=True)
class SourceFacts:
    """Features and samples per class of a source: ``train`` the official training set (every sample where
    there is no official split), ``test`` the official test set (None: no official split)."""

    d: int
    train: tuple[int, ...]
    test: tuple[int, ...] | None

    @property
    def classes(self) -> int:
        return len(self.train)


def _source_facts() -> dict[str, SourceFacts]:
    from bnconvex.data.sources import SOURCES  # the published facts live with the sources

    return {name: SourceFacts(s.d, s.train_counts, s.test_counts) for name, s in SOURCES.items()}


SOURCE_FACTS = _source_facts()
# (samples, features, classes) of each source's full training set (every sample for digits)
SOURCE_SHAPES = {name: (sum(f.train), f.d, f.classes) for name, f in SOURCE_FACTS.items()}


def _image_shape(source: str):
    from bnconvex.data.sources import get_source

    return get_source(source).image_shape


def split_counts(spec: dict) -> tuple[list[int], list[int]]:
    """Training and test samples of each *source* class after a data set's split, before subsampling
    (``bnconvex.data.prepare.stratified_split`` rounds ``test_fraction · class size`` per class)."""
    facts = SOURCE_FACTS[spec["source"]]
    if spec["split"] == "official":
        return list(facts.train), list(facts.test)
    total = [a + b for a, b in zip(facts.train, facts.test or [0] * facts.classes, strict=True)]
    test = [int(round(spec["test_fraction"] * size)) for size in total]
    return [a - b for a, b in zip(total, test, strict=True)], test


def prepared_counts(spec: dict) -> tuple[list[int], list[int]]:
    """Training and test samples of each class of the prepared data set, in its (relabelled) order."""
    train, test = split_counts(spec)
    classes = spec.get("classes") or range(SOURCE_FACTS[spec["source"]].classes)
    pick = lambda counts, per_class: [counts[c] if per_class is None else per_class for c in classes]
    return pick(train, spec.get("per_class_train")), pick(test, spec.get("per_class_test"))


def data_shape(config: dict, dataset: str) -> tuple[int, int]:
    """(n_train, d) of a prepared data set, from the config and the source's facts, before it exists."""
    spec = config["data"][dataset]
    return sum(prepared_counts(spec)[0]), SOURCE_FACTS[spec["source"]].d


# ---- figures and their panels ----

@dataclass(frozen=True)
class Panel:
    """One panel of a training figure: the models it compares on one data set, each run with ``seeds`` seeds.

    ``label`` is the paper's panel letter ("a", "b", …; "" for a figure of one panel given without ``panels``).
    Its table is ``results/train/<dataset>/figures/<fig>.csv``, so the panels of a figure have distinct data sets.
    """

    label: str
    dataset: str
    models: tuple[str, ...]
    seeds: int


def figure_panels(entry: dict, default_seeds: int = 1) -> list[Panel]:
    """The panels of a ``train.figures.<fig>`` entry, in the config's order: ``{dataset, models[, seeds]}`` is
    one panel (label ""); ``{panels: {a: {dataset, models[, seeds]}, b: …}[, seeds]}`` one per letter. A panel's
    ``seeds`` overrides its figure's, which overrides ``default_seeds`` (``train.seeds``)."""
    seeds = entry.get("seeds", default_seeds)
    if "panels" not in entry:
        return [Panel("", entry["dataset"], tuple(entry["models"]), seeds)]
    return [Panel(label, p["dataset"], tuple(p["models"]), p.get("seeds", seeds))
            for label, p in entry["panels"].items()]


def train_panels(train: dict | None) -> list[tuple[str, Panel]]:
    """``(figure, panel)`` of every panel of every training figure of ``train`` (the config's train section)."""
    train = train or {}
    return [(fig, panel) for fig, entry in train.get("figures", {}).items()
            for panel in figure_panels(entry, train.get("seeds", 1))]


def panel_key(fig: str, label: str) -> tuple[str, ...]:
    """The config key of a panel: ``("train", "figures", fig)`` or ``(…, "panels", label)``."""
    return ("train", "figures", fig, "panels", label) if label else ("train", "figures", fig)


# ---- cross-field checks ----

def _figure_shapes(train: dict) -> list[Problem]:
    """A figure is one panel (dataset and models) or panels (on distinct data sets), not both, not neither."""
    out = []
    for fig, entry in train.get("figures", {}).items():
        key, one = ("train", "figures", fig), [f for f in ("dataset", "models") if f in entry]
        if "panels" in entry and one:
            out.append(((*key, one[0]), "give either dataset and models (one panel) or panels, not both"))
        elif "panels" not in entry and len(one) < 2:
            missing = next(f for f in ("dataset", "models") if f not in one)
            out.append(((*key, missing), "required (or give panels: {a: {dataset, models}, ...})"))
        elif "panels" in entry and fig in ONE_PANEL_FIGURES:
            out.append(((*key, "panels"), f"{fig} has one panel in the paper (and its page shows one): give "
                        "dataset and models"))
        elif "panels" in entry:
            seen: dict[str, str] = {}
            for label, panel in entry["panels"].items():
                if panel["dataset"] in seen:
                    out.append(((*key, "panels", label, "dataset"), f"{panel['dataset']!r} is also panel "
                                f"{seen[panel['dataset']]}'s: each panel of a figure has its own data set (its "
                                f"table is results/train/<dataset>/figures/{fig}.csv)"))
                seen.setdefault(panel["dataset"], label)
    return out


def _check_names(config: dict) -> list[Problem]:
    """Every data set named (datasets, closed_form, convex, train) is defined and listed."""
    data, datasets = config["data"], config["datasets"]
    out = [(("datasets", i), f"{name!r} is not defined under data (defined: {sorted(data)})")
           for i, name in enumerate(datasets) if name not in data]
    named = [(("closed_form", "dataset"), config["closed_form"]["dataset"]),
             (("convex", "dataset"), config["convex"]["dataset"])]
    train = config.get("train") or {}
    shape = _figure_shapes(train)
    if shape:
        return shape
    named += [((*panel_key(fig, p.label), "dataset"), p.dataset) for fig, p in train_panels(train)]
    if "thm51" in train:
        named.append((("train", "thm51", "dataset"), train["thm51"]["dataset"]))
    out += [(key, f"{name!r} is not listed in datasets {datasets}") for key, name in named if name not in datasets]
    out += [(("train", "datasets", name), f"{name!r} is not a data set: data defines {sorted(data)}")
            for name in train.get("datasets", {}) if name not in data]
    models = train.get("models", {})
    out += [(("train", "datasets", name, "models", model), f"{model!r} is not a model of train.models "
             f"({sorted(models)})")
            for name, settings in train.get("datasets", {}).items()
            for model in (settings.get("models") or {}) if model not in models]
    return out


def _check_data(name: str, spec: dict) -> list[Problem]:
    """One prepared data set: classes of its source, its split, and its per-class subsamples."""
    source, facts, key = spec["source"], SOURCE_FACTS[spec["source"]], ("data", name)
    out = [((*key, "classes", i), f"class {c} does not exist: source {source} has {facts.classes} classes "
            f"(0..{facts.classes - 1})") for i, c in enumerate(spec.get("classes") or []) if c >= facts.classes]
    if spec["split"] == "official" and facts.test is None:
        out.append(((*key, "split"), f"source {source!r} has no official test split; use split: stratified "
                    "with a test_fraction"))
    if spec["split"] == "stratified" and spec.get("test_fraction") is None:
        out.append(((*key, "test_fraction"), "required with split: stratified"))
    if spec["split"] == "official" and spec.get("test_fraction") is not None:
        out.append(((*key, "test_fraction"), "only used with split: stratified (this split is official)"))
    if out:
        return out
    for counts, field, which in zip(split_counts(spec), ("per_class_train", "per_class_test"), ("training", "test"),
                                    strict=True):
        wanted = spec.get(field)
        short = [c for c in spec.get("classes") or range(facts.classes) if wanted is not None and wanted > counts[c]]
        if short:
            out.append(((*key, field), f"{wanted} requested but class {short[0]} has {counts[short[0]]} {which} "
                        "samples"))
    return out


def _class_problems(section, classes: list[int], dataset: str, counts: list[int]) -> list[Problem]:
    """Classes that data.<dataset> lacks; ``section``: the key (a name or a tuple of names) above ``classes``."""
    C = len(counts)
    section = section if isinstance(section, tuple) else (section,)
    return [((*section, "classes", i), f"class {c} does not exist: data.{dataset} has {C} classes (0..{C - 1}, "
             f"in the order of data.{dataset}.classes)") for i, c in enumerate(classes) if c >= C]


def _check_closed_form(config: dict, prepared: dict) -> list[Problem]:
    """Thm 2.4's one-hot subset: n/C samples of each class, n <= d."""
    cf = config["closed_form"]
    ds, classes, n = cf["dataset"], cf["classes"], cf["n"]
    counts = prepared[ds][0]
    out = _class_problems("closed_form", classes, ds, counts)
    if out:
        return out
    if n % len(classes):
        out.append((("closed_form", "n"), f"{n} is not a multiple of the {len(classes)} classes (n/C samples "
                    "of each class)"))
    elif any(n // len(classes) > counts[c] for c in classes):
        c = next(c for c in classes if n // len(classes) > counts[c])
        out.append((("closed_form", "n"), f"{n} takes {n // len(classes)} samples of each class but class {c} "
                    f"of data.{ds} has {counts[c]} training samples"))
    d = SOURCE_FACTS[config["data"][ds]["source"]].d
    if n > d:
        out.append((("closed_form", "n"), f"{n} > d = {d}: Thm 2.4 needs n <= rank(X) <= d"))
    if "scalar" in cf:
        out += _scalar_closed_form_problems(cf["scalar"], ds, counts, d)
    if "deep" in cf:
        out += _deep_closed_form_problems(cf)
    return out


def _deep_closed_form_problems(cf: dict) -> list[Problem]:
    """Thm 4.1 / 4.2: the features' width m_{L−2} is at least the subset's n (range R^n); 4.1 needs the ±1 task."""
    deep, out = cf["deep"], []
    for theorem in deep["theorems"]:
        if theorem == "4.1" and "scalar" not in cf:
            out.append((("closed_form", "deep", "theorems"), "Thm 4.1 runs on closed_form.scalar's ±1 task, "
                        "which is not configured"))
            continue
        n = cf["n"] if theorem == "4.2" else cf["scalar"]["n"]
        m = deep["widths"][-2]
        if m < n:
            out.append((("closed_form", "deep", "widths"), f"the features' width m_(L-2) = {m} < n = {n} of Thm "
                        f"{theorem}'s subset: the features cannot have range R^n"))
    return out


def _scalar_closed_form_problems(scalar: dict, ds: str, counts: list[int], d: int) -> list[Problem]:
    """Thm 2.1 / G.2's ±1 task: both classes exist, n/2 samples of each, n <= d."""
    classes, n = scalar["classes"], scalar["n"]
    out = _class_problems(("closed_form", "scalar"), classes, ds, counts)
    if out:
        return out
    key = ("closed_form", "scalar", "n")
    if n % 2:
        return [(key, f"{n} is odd: the ±1 task takes n/2 samples of each class")]
    short = [c for c in classes if n // 2 > counts[c]]
    if short:
        out.append((key, f"{n} takes {n // 2} samples of each class but class {short[0]} of data.{ds} has "
                    f"{counts[short[0]]} training samples"))
    if n > d:
        out.append((key, f"{n} > d = {d}: the closed forms need n <= rank(X) <= d"))
    return out


def _thm23_problems(thm23: dict, ds: str, counts: dict) -> list[Problem]:
    """Thm 2.3's classes exist and have n / C training samples each."""
    classes, n = thm23["classes"], thm23["n"]
    out = _class_problems(("convex", "thm23"), classes, ds, counts)
    if out:
        return out
    if n % len(classes):
        return [(("convex", "thm23", "n"), f"{n} is not a multiple of the {len(classes)} classes: the task takes "
                 f"n / C samples of each")]
    short = [c for c in classes if n // len(classes) > counts[c]]
    return [(("convex", "thm23", "n"), f"{n} takes {n // len(classes)} samples of each class but class "
             f"{short[0]} of data.{ds} has {counts[short[0]]} training samples")] if short else []


def _check_convex(config: dict, prepared: dict) -> list[Problem]:
    """The ±1 task of every convex program, the solver's loss, and the CNN program's patches."""
    cx = config["convex"]
    ds, classes = cx["dataset"], cx["classes"]
    counts = prepared[ds][0]
    out = _class_problems("convex", classes, ds, counts)
    classes_exist = not out
    image = _image_shape(config["data"][ds]["source"])
    programs = [*(CONVEX_PROGRAMS if image else CONVEX_PROGRAMS[:-1]),
                *(name for name in ("losses", "nobn") if name in cx)]
    for program in programs:  # cnn runs on image data only
        n = cx[program]["n"]
        if n % 2:
            out.append((("convex", program, "n"), f"{n} is odd: the ±1 task takes n/2 samples of each class"))
        elif classes_exist and any(n // 2 > counts[c] for c in classes):
            c = next(c for c in classes if n // 2 > counts[c])
            out.append((("convex", program, "n"), f"{n} takes {n // 2} samples of each class but class {c} of "
                        f"data.{ds} has {counts[c]} training samples"))
    if "thm23" in cx:
        out += _thm23_problems(cx["thm23"], ds, counts)
    thm22 = cx["thm22"]
    if thm22.get("solver", cx["solver"]) == "bnconvex" and thm22["loss"] != "squared":
        out.append((("convex", "thm22", "loss"), f"{thm22['loss']!r} needs solver clarabel or scs: "
                    "convex.thm22.solver bnconvex handles the squared loss only"))
    if thm22.get("solver", cx["solver"]) != "bnconvex":
        out += [(("convex", "thm22", key), "applies to solver bnconvex only (convex.thm22.solver)")
                for key in ("tol", "time_limit_s") if key in thm22]
    if image:
        c, H, W = image
        geometry = cx["cnn"]
        if geometry["kernel"] > min(H, W) + 2 * geometry["padding"]:
            out.append((("convex", "cnn", "kernel"), f"{geometry['kernel']} does not fit the {H}×{W} images of "
                        f"data.{ds} with padding {geometry['padding']}"))
    return out


def _check_sources(config: dict) -> list[Problem]:
    """A source without a published checksum (CNAE-9) needs one pinned in the config."""
    from bnconvex.data.sources import get_source

    out = []
    for source in dict.fromkeys(config["data"][ds]["source"] for ds in config["datasets"]):
        official = get_source(source)
        override = config.get("sources", {}).get(source, {})
        if official.url is not None and not official.known_hash and not override.get("known_hash"):
            out.append((("sources", source, "known_hash"), f"required: no official checksum is published for "
                        f"{source!r}; pin the sha256 of your copy (\"sha256:<64 hex digits>\")"))
    return out


def _origin(field: str, model: str, dataset: str, train: dict, where: Key, sweep_key: str | None) -> Key:
    """Where a model's setting comes from, highest level first (the precedence of
    :func:`bnconvex.experiments.specs.resolve_spec`): its sweep point, train.datasets.<dataset>.models.<model>,
    train.models, train.datasets.<dataset> or train.defaults."""
    base = parse_model_name(model, train["models"])[0]
    on_dataset = train.get("datasets", {}).get(dataset, {})
    if sweep_key == field:
        return where
    if field in (on_dataset.get("models") or {}).get(base, {}):
        return ("train", "datasets", dataset, "models", base, field)
    if field in train["models"][base]:
        return ("train", "models", base, field)
    if field in on_dataset:
        return ("train", "datasets", dataset, field)
    return ("train", "defaults", field)


def _truncation_bound(spec: dict, n: int, d: int, image) -> tuple[int, str]:
    """The largest k of a truncation (17): the rank bound of the centered matrix it acts on."""
    if spec["arch"] in CNN_ARCHS:
        c, H, W = image
        kernel, stride, padding = spec.get("kernel", 3), spec.get("stride", 3), spec.get("padding", 2)
        positions = ((H + 2 * padding - kernel) // stride + 1) * ((W + 2 * padding - kernel) // stride + 1)
        h = c * kernel * kernel
        return min(n * positions - 1, h), f"min(n·L − 1, c·kernel²) = min({n * positions - 1}, {h})"
    return min(n - 1, d), f"min(n − 1, d) = min({n - 1}, {d})"


def _check_model(spec: dict, model: str, fig: str, dataset: str, config: dict, prepared: dict,
                 where: Key, sweep_key: str | None) -> list[Problem]:
    """One model of a figure, resolved, against its data set."""
    train, source = config["train"], config["data"][dataset]["source"]
    arch, image = spec["arch"], _image_shape(source)
    origin = lambda field: _origin(field, model, dataset, train, where, sweep_key)
    if fig == "fig1" and arch not in COSINE_ARCHS:
        return [(where, f"model {model!r} (arch {arch}) records no cosine similarity (18): Fig. 1 needs "
                 f"{', '.join(COSINE_ARCHS[:-1])} or {COSINE_ARCHS[-1]} models")]
    if arch in IMAGE_ARCHS and not image:
        return [(origin("arch"), f"model {model!r} (arch {arch}) needs image data; data.{dataset} (source "
                 f"{source}) has none")]
    if arch == "deep_cnn":
        if image[1] % 8 or image[2] % 8:
            return [(origin("arch"), f"model {model!r} (arch deep_cnn) pools by 2 three times: the {image[1]}×"
                     f"{image[2]} images of data.{dataset} need sides that are multiples of 8")]
        if spec.get("truncate"):
            return [(origin("truncate"), f"model {model!r} (arch deep_cnn) has no truncated form")]
    if arch in CNN_ARCHS:
        c, H, W = image
        kernel, stride, padding, pool = (spec.get(f, v) for f, v in
                                         (("kernel", 3), ("stride", 3), ("padding", 2), ("pool", 4)))
        side = (min(H, W) + 2 * padding - kernel) // stride + 1
        if side < 1:
            return [(origin("kernel"), f"{kernel} does not fit the {H}×{W} images with padding {padding} "
                     f"(model {model!r})")]
        if side < pool:
            return [(origin("pool"), f"{pool} exceeds the {side}×{side} conv output of model {model!r}")]
    k = spec.get("k")
    if spec.get("truncate") and k is not None:
        n, d = sum(prepared[dataset][0]), SOURCE_FACTS[source].d
        bound, how = _truncation_bound(spec, n, d, image)
        if not 1 <= k <= bound:
            return [(origin("k"), f"k={k} outside [1, {bound}] for model {model!r} on data.{dataset}: "
                     f"rank <= {how}")]
    return []


def _check_train(config: dict, prepared: dict) -> list[Problem]:
    """Every model of every training figure resolves (name, sweep point) and fits its data set."""
    train = config.get("train")
    out: dict[Key, str] = {}
    for fig, panel in train_panels(train):
        ds = panel.dataset
        for i, model in enumerate(panel.models):
            where = (*panel_key(fig, panel.label), "models", i)
            try:
                spec = resolve_spec(model, train["defaults"], train["models"], train.get("datasets", {}).get(ds))
                sweep_key = parse_model_name(model, train["models"])[1]
            except ValueError as err:
                out.setdefault(where, str(err))
                continue
            for key, problem in _check_model(spec, model, fig, ds, config, prepared, where, sweep_key):
                out.setdefault(key, problem)  # a bad train.models entry is reported once, not per figure
    return list(out.items())


def config_problems(config: dict) -> list[Problem]:
    """Cross-field problems of a config that passed the schema (names first: the rest builds on them)."""
    problems = _check_names(config)
    if problems:
        return problems
    for name, spec in config["data"].items():
        problems += _check_data(name, spec)
    if problems:
        return problems
    prepared = {name: prepared_counts(spec) for name, spec in config["data"].items()}
    return (_check_closed_form(config, prepared) + _check_convex(config, prepared) + _check_sources(config)
            + _check_train(config, prepared))


# ---- the whole check ----

def _depth(data, key: Key) -> int:
    """How many leading parts of ``key`` exist in ``data``."""
    depth = 0
    for part in key:
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            break
        depth += 1
    return depth


def _file_of(key: Key, loaded: list[tuple[str, dict]]) -> str:
    """The config file that sets the deepest part of ``key`` (the last such file; the last file by default)."""
    if not loaded:
        return "config"
    depths = [_depth(data, key) for _, data in loaded]
    best = max(depths)
    return [name for (name, _), depth in zip(loaded, depths, strict=True) if depth == best][-1]


def check_config(config: dict, configfiles: str | os.PathLike | Iterable = (), schema=SCHEMA) -> None:
    """Refuse a config with a problem that can be seen without data (:class:`ConfigError`, a few lines).

    ``configfiles``: the file(s) the config came from, re-read strictly (syntax errors and duplicate keys
    name file and line) and named in each message. Fills the schema's defaults into ``config``.
    """
    if isinstance(configfiles, str | os.PathLike):
        configfiles = [configfiles]
    loaded = []
    for path in configfiles:
        try:
            loaded.append((_display(path), load_yaml_strict(path)))
        except ConfigError as err:  # raised from here: Snakemake prints a traceback of two lines
            raise err.with_traceback(None) from None
    problems = validate_schema(config, schema)
    if not problems:
        problems = config_problems(config)
    if problems:
        lines = [(_file_of(key, loaded), format_key(key), problem) for key, problem in problems]
        raise ConfigError(lines[0][2], lines[0][1], lines[0][0], more=lines[1:])


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m bnconvex.config FILE...``: check config files (merged in order, as ``--configfile``)."""
    from snakemake.utils import update_config

    paths = list(sys.argv[1:] if argv is None else argv) or ["config/config.yaml"]
    try:
        config: dict = {}
        for path in paths:
            update_config(config, load_yaml_strict(path))
        check_config(config, paths)
    except ConfigError as err:
        print(err, file=sys.stderr)
        return 1
    print(f"{', '.join(paths)}: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
