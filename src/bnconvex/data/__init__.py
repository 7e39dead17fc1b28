"""Data sets: official sources with checksums, loading, and preparation as the paper uses them.

- :func:`fetch` downloads a source's raw file (pooch; ``file://`` mirrors too) and verifies its checksum;
- :func:`load_raw` parses it (CIFAR python pickles, image-folder tarballs, CNAE-9 CSV; digits embedded);
- :func:`prepare` subsets classes, splits (seeded), scales and records everything in a sidecar;
- :func:`load` reads a prepared data set: ``data/processed/<name>.npz`` (``X_train, y_train, X_test,
  y_test``) with ``<name>.json`` (source, checksum, classes, counts, scaling).
"""

from bnconvex.data.fetch import ChecksumError
from bnconvex.data.formats import DataFormatError
from bnconvex.data.prepare import (
    PreparedData,
    load,
    load_prepared,
    prepare,
    scale,
    select_classes,
    stratified_split,
)
from bnconvex.data.sources import SOURCES, RawData, Source, fetch, get_source, load_raw, raw_filename

__all__ = [
    "SOURCES",
    "ChecksumError",
    "DataFormatError",
    "PreparedData",
    "RawData",
    "Source",
    "fetch",
    "get_source",
    "load",
    "load_prepared",
    "load_raw",
    "prepare",
    "raw_filename",
    "scale",
    "select_classes",
    "stratified_split",
]
