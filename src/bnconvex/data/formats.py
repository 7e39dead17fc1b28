"""Parsers of raw source files. Each returns ``(X_train, y_train, X_test, y_test, class_names)`` with X
flattened to (N, d) uint8/float arrays and y int64 labels.

CIFAR rows use the official channel-first order (1024 red, 1024 green, 1024 blue values), so the
pickle and image-folder formats give the same features for the same image.
"""

from __future__ import annotations

import io
import pickle
import tarfile
from pathlib import Path

import numpy as np

CIFAR_PYTHON_MEMBERS = {
    # format: (train members, test member, label key, meta member, names key)
    "cifar10": ([f"data_batch_{i}" for i in range(1, 6)], "test_batch", b"labels", "batches.meta",
                b"label_names"),
    "cifar100": (["train"], "test", b"fine_labels", "meta", b"fine_label_names"),
}


class DataFormatError(ValueError):
    """A raw file is truncated, corrupt, or not in the declared format."""


def _open_tar(path: Path) -> tarfile.TarFile:
    try:
        return tarfile.open(path, "r:*")
    except (tarfile.TarError, EOFError, OSError) as err:
        raise DataFormatError(f"{path}: not a readable tar archive ({err})") from err


def read_cifar_python(path: str | Path, variant: str):
    """The official CIFAR-10/100 python tarball (``cifar-10-python.tar.gz`` / ``cifar-100-python.tar.gz``).

    ``variant`` is ``"cifar10"`` or ``"cifar100"`` (fine labels). Members are found by basename, so the
    top folder name does not matter.
    """
    path = Path(path)
    train_names, test_name, label_key, meta_name, names_key = CIFAR_PYTHON_MEMBERS[variant]
    try:
        with _open_tar(path) as tar:
            members = {Path(m.name).name: m for m in tar.getmembers() if m.isfile()}
            missing = [n for n in [*train_names, test_name, meta_name] if n not in members]
            if missing:
                raise DataFormatError(f"{path}: missing members {missing} of the {variant} python format")
            load = lambda name: pickle.load(tar.extractfile(members[name]), encoding="bytes")
            train = [load(n) for n in train_names]
            test = load(test_name)
            names = [s.decode() for s in load(meta_name)[names_key]]
    except (tarfile.TarError, EOFError, pickle.UnpicklingError, OSError, KeyError) as err:
        raise DataFormatError(f"{path}: truncated or corrupt archive ({type(err).__name__}: {err})") from err
    X_train = np.concatenate([np.asarray(b[b"data"], dtype=np.uint8) for b in train])
    y_train = np.concatenate([np.asarray(b[label_key], dtype=np.int64) for b in train])
    X_test = np.asarray(test[b"data"], dtype=np.uint8)
    y_test = np.asarray(test[label_key], dtype=np.int64)
    return X_train, y_train, X_test, y_test, names


def _decode_image(data: bytes, name: str) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    try:
        img = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    except (UnidentifiedImageError, OSError) as err:
        raise DataFormatError(f"cannot decode image {name}: {err}") from err
    return img.transpose(2, 0, 1).reshape(-1)  # HWC -> CHW, flattened as the official pickles


def read_image_folder(path: str | Path, class_names: list[str] | None = None):
    """A tarball of ``train/<class>/*.<img>`` and ``test/<class>/*.<img>`` images.

    Classes are indexed by ``class_names`` when given (the official order), else alphabetically.
    Within a class, files are taken in sorted name order. All images must have the same size.
    """
    path = Path(path)
    found: dict[str, list[tuple[str, str, np.ndarray]]] = {"train": [], "test": []}
    try:
        with _open_tar(path) as tar:
            for m in tar:
                parts = Path(m.name).parts
                if not m.isfile() or len(parts) < 3 or parts[-3] not in found:
                    continue
                split, cls = parts[-3], parts[-2]
                found[split].append((cls, m.name, _decode_image(tar.extractfile(m).read(), m.name)))
    except (tarfile.TarError, EOFError, OSError) as err:
        raise DataFormatError(f"{path}: truncated or corrupt archive ({type(err).__name__}: {err})") from err
    if not found["train"] or not found["test"]:
        raise DataFormatError(f"{path}: expected train/<class>/* and test/<class>/* images")
    seen = sorted({c for split in found.values() for c, _, _ in split})
    names = list(class_names) if class_names else seen
    unknown = sorted(set(seen) - set(names))
    if unknown:
        raise DataFormatError(f"{path}: class folders {unknown} are not among the classes {names}")
    index = {c: i for i, c in enumerate(names)}
    out = []
    for split in ("train", "test"):
        items = sorted(found[split], key=lambda t: (index[t[0]], t[1]))
        shapes = {img.shape for _, _, img in items}
        if len(shapes) != 1:
            raise DataFormatError(f"{path}: images of different sizes in {split}: {sorted(shapes)}")
        out += [np.stack([img for _, _, img in items]), np.array([index[c] for c, _, _ in items])]
    return (*out, names)


def read_cnae9(path: str | Path):
    """UCI CNAE-9: 1080 comma-separated rows, column 0 the class 1..9, then 856 word counts.

    The paper's split: the first 900 rows train, the last 180 test.
    """
    path = Path(path)
    try:
        a = np.loadtxt(path, delimiter=",", dtype=np.int64, ndmin=2)
    except ValueError as err:
        raise DataFormatError(f"{path}: not the CNAE-9 comma-separated format ({err})") from err
    if a.shape != (1080, 857):
        raise DataFormatError(f"{path}: expected 1080 rows × 857 columns, got {a.shape[0]} × {a.shape[1]}")
    y, X = a[:, 0] - 1, a[:, 1:].astype(np.float64)
    return X[:900], y[:900], X[900:], y[900:], [str(c) for c in range(1, 10)]


READERS = {"cifar-python": read_cifar_python, "image-folder": read_image_folder, "cnae9-csv": read_cnae9}
