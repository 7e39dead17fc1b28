"""Data sets: sources, loading and preparation as the paper uses them.

A prepared data set is one artifact ``data/processed/<name>.npz`` with ``X_train, y_train, X_test,
y_test`` and a JSON sidecar ``<name>.json`` (source, checksum, classes, counts, scaling).

Sources
-------
- ``digits``: scikit-learn's embedded 8×8 digits (1797 × 64 real images), offline by construction.
"""

from bnconvex.data.prepare import (
    PreparedData,
    load_prepared,
    prepare,
    scale,
    select_classes,
    stratified_split,
)
from bnconvex.data.sources import SOURCES, load_raw

__all__ = [
    "SOURCES",
    "PreparedData",
    "load_prepared",
    "load_raw",
    "prepare",
    "scale",
    "select_classes",
    "stratified_split",
]
