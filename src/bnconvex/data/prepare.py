"""Preparation: class subsets, seeded stratified splits, scaling, and the prepared artifact."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bnconvex.io import load_json, save_json, save_npz

SCALINGS = ("none", "max", "standardize")


@dataclass
class PreparedData:
    """``X_train`` (n×d), ``y_train`` (n,), ``X_test`` (n_test×d), ``y_test`` (n_test,), and ``meta``."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    meta: dict

    def save(self, npz_path, json_path) -> None:
        save_npz(npz_path, X_train=self.X_train, y_train=self.y_train, X_test=self.X_test, y_test=self.y_test)
        save_json(json_path, self.meta)


def load_prepared(npz_path, json_path=None) -> PreparedData:
    """Read a prepared artifact; the sidecar defaults to the same path with ``.json``."""
    npz_path = Path(npz_path)
    json_path = npz_path.with_suffix(".json") if json_path is None else json_path
    with np.load(npz_path) as z:
        arrays = {k: z[k] for k in ("X_train", "y_train", "X_test", "y_test")}
    return PreparedData(**arrays, meta=load_json(json_path))


def select_classes(X, y, classes, per_class=None, seed=0):
    """Keep the given classes (relabelled 0..len(classes)−1, in the given order).

    ``per_class``: keep that many samples of each class, chosen with ``seed`` (None keeps all, in order).
    Raises ``ValueError`` naming a class that does not exist or has too few samples.
    """
    y = np.asarray(y)
    present = set(np.unique(y).tolist())
    missing = [c for c in classes if c not in present]
    if missing:
        raise ValueError(f"classes {missing} do not exist; available: {sorted(present)}")
    rng = np.random.default_rng(seed)
    keep = []
    for c in classes:
        idx = np.flatnonzero(y == c)
        if per_class is not None:
            if per_class > idx.size:
                raise ValueError(f"class {c} has {idx.size} samples, fewer than per_class={per_class}")
            idx = np.sort(rng.choice(idx, size=per_class, replace=False))
        keep.append(idx)
    keep = np.concatenate(keep)
    relabel = {c: i for i, c in enumerate(classes)}
    return X[keep], np.array([relabel[c] for c in y[keep]], dtype=np.int64)


def stratified_split(y, test_fraction: float, seed: int):
    """Seeded stratified split; returns sorted ``(train_idx, test_idx)``."""
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must lie in (0, 1), got {test_fraction}")
    rng = np.random.default_rng(seed)
    train, test = [], []
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        n_test = int(round(test_fraction * idx.size))
        test.append(idx[:n_test])
        train.append(idx[n_test:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


def scale(X_train, X_test, method: str, pixel_max: float | None = None):
    """Scale features. ``none``; ``max``: divide by ``pixel_max`` (or the training max);
    ``standardize``: per-feature mean/std of the training set (constant features left at 0).

    Returns ``(X_train, X_test, info)`` where ``info`` records what was done.
    """
    if method == "none":
        return X_train, X_test, {"method": "none"}
    if method == "max":
        top = float(pixel_max if pixel_max is not None else np.abs(X_train).max())
        return X_train / top, X_test / top, {"method": "max", "divisor": top}
    if method == "standardize":
        mu, sd = X_train.mean(axis=0), X_train.std(axis=0)
        sd = np.where(sd > 0, sd, 1.0)
        return (X_train - mu) / sd, (X_test - mu) / sd, {"method": "standardize", "fit_on": "train"}
    raise ValueError(f"unknown scaling {method!r}; choose one of {', '.join(SCALINGS)}")


def _config_error():
    from bnconvex.config import ConfigError  # not at the top: bnconvex.config reads this package's sources

    return ConfigError


def _check_per_class(name: str, field: str, y, classes, per_class: int | None, which: str) -> None:
    """:class:`~bnconvex.config.ConfigError` naming ``data.<name>.<field>`` when a class has too few samples
    (known only from the data: the config check at parse time uses the sources' published counts)."""
    if per_class is None:
        return
    counts = {c: int(np.sum(np.asarray(y) == c)) for c in classes}
    short = [c for c in classes if 0 < counts[c] < per_class]  # an absent class: select_classes names it
    if short:
        raise _config_error()(f"{per_class} requested but class {short[0]} has {counts[short[0]]} {which} samples",
                          f"data.{name}.{field}")


def _subsample(X, y, classes, per_class, seed):
    return select_classes(X, y, classes, per_class=per_class, seed=seed)


def prepare(
    name: str,
    raw,
    *,
    classes=None,
    split: str = "official",
    test_fraction: float | None = None,
    per_class_train: int | None = None,
    per_class_test: int | None = None,
    scaling: str = "max",
    seed: int = 0,
    note: str | None = None,
) -> PreparedData:
    """Prepare a raw data set (:class:`bnconvex.data.sources.RawData`) as the paper uses it.

    - ``classes``: kept and relabelled 0..C−1 in the given order (None: all);
    - ``split``: ``"official"`` (the source's own train/test split: CIFAR, CNAE-9 first 900/last 180) or
      ``"stratified"`` (seeded, ``test_fraction`` of each class, from all the source's samples);
    - ``per_class_train`` / ``per_class_test``: seeded per-class subsample (e.g. 500 for the three-class
      CIFAR task, n = 1500); None keeps all;
    - ``scaling``: see :func:`scale`; ``seed``: the one seed of the split and the subsampling;
    - ``note``: free text carried into the sidecar (e.g. that a mirror is not bit-identical).
    """
    all_classes = list(range(len(raw.class_names)))
    classes = all_classes if classes is None else list(classes)
    if split == "official":
        if raw.X_test is None:
            raise ValueError(f"data.{name}.split: source {raw.meta['source']!r} has no official test split; "
                             "use split: stratified with a test_fraction")
        X_tr, y_tr, X_te, y_te = raw.X, raw.y, raw.X_test, raw.y_test
    elif split == "stratified":
        if test_fraction is None:
            raise ValueError(f"data.{name}.test_fraction is required with split: stratified")
        X_all = raw.X if raw.X_test is None else np.concatenate([raw.X, raw.X_test])
        y_all = raw.y if raw.y_test is None else np.concatenate([raw.y, raw.y_test])
        train_idx, test_idx = stratified_split(y_all, test_fraction, seed)
        X_tr, y_tr, X_te, y_te = X_all[train_idx], y_all[train_idx], X_all[test_idx], y_all[test_idx]
    else:
        raise ValueError(f"data.{name}.split must be 'official' or 'stratified', got {split!r}")
    try:
        _check_per_class(name, "per_class_train", y_tr, classes, per_class_train, "training")
        _check_per_class(name, "per_class_test", y_te, classes, per_class_test, "test")
        X_tr, y_tr = _subsample(X_tr, y_tr, classes, per_class_train, seed)
        X_te, y_te = _subsample(X_te, y_te, classes, per_class_test, seed + 1)
    except _config_error():  # already names its key
        raise
    except ValueError as err:
        raise ValueError(f"data.{name}: {err}") from err
    X_tr, X_te, scale_info = scale(X_tr, X_te, scaling, raw.meta.get("pixel_max"))
    meta = {
        "name": name,
        **raw.meta,
        "classes": classes,
        "class_names": [raw.class_names[c] for c in classes],
        "n_train": int(y_tr.size),
        "n_test": int(y_te.size),
        "d": int(X_tr.shape[1]),
        "train_counts": np.bincount(y_tr, minlength=len(classes)).tolist(),
        "test_counts": np.bincount(y_te, minlength=len(classes)).tolist(),
        "split": {"method": split, "test_fraction": test_fraction, "seed": seed,
                  "per_class_train": per_class_train, "per_class_test": per_class_test},
        "scaling": scale_info,
    }
    if note:
        meta["note"] = note
    return PreparedData(X_tr, y_tr, X_te, y_te, meta)


def load(name: str, root="data") -> PreparedData:
    """The prepared data set ``name``: ``root/processed/<name>.npz`` and its JSON sidecar."""
    path = Path(root) / "processed" / f"{name}.npz"
    if not path.exists():
        raise FileNotFoundError(f"prepared data set {name!r} not found at {path}; run the data stage")
    return load_prepared(path)
