"""Raw data sources. Each loader returns ``(X, y, meta)`` with X (N×d) float, y (N,) int labels 0..C−1."""

from __future__ import annotations

import hashlib

import numpy as np


def _sha256_of_arrays(*arrays: np.ndarray) -> str:
    h = hashlib.sha256()
    for a in arrays:
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def load_digits_raw() -> tuple[np.ndarray, np.ndarray, dict]:
    """scikit-learn's digits: 1797 real 8×8 grey images (pixel values 0..16), 10 classes.

    The bytes ship inside scikit-learn, so this source needs no network. The checksum recorded is the
    sha256 of the loaded X (float64) and y (int64) arrays, so a change of the shipped data is visible.
    """
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X = X.astype(np.float64)
    y = y.astype(np.int64)
    import sklearn

    meta = {
        "source": f"sklearn.datasets.load_digits (scikit-learn {sklearn.__version__}, embedded)",
        "sha256": _sha256_of_arrays(X, y),
        "checksum_of": "float64 X and int64 y arrays as loaded",
        "official_test_split": False,
        "class_names": [str(c) for c in range(10)],
        "pixel_max": 16.0,
    }
    return X, y, meta


SOURCES = {"digits": load_digits_raw}


def load_raw(name: str) -> tuple[np.ndarray, np.ndarray, dict]:
    """Load the raw data set ``name`` (see :data:`SOURCES`)."""
    try:
        loader = SOURCES[name]
    except KeyError:
        raise ValueError(f"unknown data set {name!r}; known: {', '.join(sorted(SOURCES))}") from None
    return loader()
