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


def prepare(
    name: str,
    X: np.ndarray,
    y: np.ndarray,
    meta: dict,
    *,
    classes=None,
    test_fraction: float = 0.25,
    scaling: str = "max",
    split_seed: int = 0,
) -> PreparedData:
    """Subset ``classes`` (None: all), split with ``split_seed``, scale; record everything in ``meta``."""
    classes = sorted(np.unique(y).tolist()) if classes is None else list(classes)
    X, y = select_classes(X, y, classes)
    train_idx, test_idx = stratified_split(y, test_fraction, split_seed)
    X_train, X_test, scale_info = scale(X[train_idx], X[test_idx], scaling, meta.get("pixel_max"))
    names = meta.get("class_names")
    out_meta = {
        "name": name,
        **{k: v for k, v in meta.items() if k not in ("class_names",)},
        "classes": classes,
        "class_names": [names[c] for c in classes] if names else [str(c) for c in classes],
        "n_train": int(train_idx.size),
        "n_test": int(test_idx.size),
        "d": int(X.shape[1]),
        "train_counts": np.bincount(y[train_idx], minlength=len(classes)).tolist(),
        "test_counts": np.bincount(y[test_idx], minlength=len(classes)).tolist(),
        "split": {"method": "stratified", "test_fraction": test_fraction, "seed": split_seed},
        "scaling": scale_info,
    }
    return PreparedData(X_train, y[train_idx], X_test, y[test_idx], out_meta)
