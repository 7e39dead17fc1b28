"""The data sets of the paper: official sources, checksums and formats, and loading of raw files.

| name      | official source                                   | checksum                      | format        |
|-----------|---------------------------------------------------|-------------------------------|---------------|
| digits    | scikit-learn (embedded, offline)                  | sha256 of the loaded arrays   | embedded      |
| cifar10   | Toronto ``cifar-10-python.tar.gz``                | md5 published with the loader | cifar-python  |
| cifar100  | Toronto ``cifar-100-python.tar.gz``               | md5 published with the loader | cifar-python  |
| cnae9     | UCI ML repository, dataset 233, ``CNAE-9.data``   | none published: pin in config | cnae9-csv     |

Every URL and checksum can be overridden from the config (``sources.<name>``), e.g. by a ``file://`` mirror,
and a CIFAR source can be an image-folder tarball instead of the pickles (``format: image-folder``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import numpy as np

from bnconvex.data.fetch import ChecksumError, fetch_url, file_hash, verify_file
from bnconvex.data.formats import READERS, read_cifar_python

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


@dataclass(frozen=True)
class Source:
    """An official data source. ``known_hash`` is "alg:hex" (pooch style) or None when none is published."""

    name: str
    url: str | None
    known_hash: str | None
    format: str
    pixel_max: float | None = None
    class_names: tuple[str, ...] | None = None
    reference: str = ""
    image_shape: tuple[int, int, int] | None = None  # (channels, H, W) of a flattened row, CHW order
    # published facts, known before any download (the config is checked against them at parse time):
    d: int = 0                                  # features
    train_counts: tuple[int, ...] = ()          # samples per class of the training set (all, if no split)
    test_counts: tuple[int, ...] | None = None  # of the official test set; None: no official split


SOURCES = {
    "digits": Source("digits", None, None, "embedded", 16.0, tuple(str(c) for c in range(10)),
                     "scikit-learn's copy of the UCI optical digits test set (1797 × 64)", (1, 8, 8),
                     d=64, train_counts=(178, 182, 177, 183, 181, 182, 181, 179, 174, 180)),
    "cifar10": Source("cifar10", "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
                      "md5:c58f30108f718f92721af3b95e74349a", "cifar-python", 255.0, CIFAR10_CLASSES,
                      "Krizhevsky (2009), https://www.cs.toronto.edu/~kriz/cifar.html", (3, 32, 32),
                      d=3072, train_counts=(5000,) * 10, test_counts=(1000,) * 10),
    "cifar100": Source("cifar100", "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz",
                       "md5:eb9058c3a382ffc7106e4002c42a8d85", "cifar-python", 255.0, None,
                       "Krizhevsky (2009), https://www.cs.toronto.edu/~kriz/cifar.html", (3, 32, 32),
                       d=3072, train_counts=(500,) * 100, test_counts=(100,) * 100),
    "cnae9": Source("cnae9", "https://archive.ics.uci.edu/ml/machine-learning-databases/00233/CNAE-9.data",
                    None, "cnae9-csv", None, tuple(str(c) for c in range(1, 10)),
                    "Ciarelli and Oliveira, UCI ML repository dataset 233 (CC BY 4.0)",
                    d=856, train_counts=(100,) * 9, test_counts=(20,) * 9),  # first 900 rows train, last 180 test
}


@dataclass
class RawData:
    """A source as loaded: X (N×d float64), y (N,) int64; ``X_test``/``y_test`` None without an official split."""

    X: np.ndarray
    y: np.ndarray
    X_test: np.ndarray | None
    y_test: np.ndarray | None
    class_names: list[str]
    meta: dict = field(default_factory=dict)


def get_source(name: str) -> Source:
    try:
        return SOURCES[name]
    except KeyError:
        raise ValueError(f"unknown data set {name!r}; known: {', '.join(sorted(SOURCES))}") from None


def raw_filename(name: str, url: str | None = None) -> str:
    """File name of the raw download of ``name`` (the last part of the URL)."""
    url = url or get_source(name).url
    if url is None:
        raise ValueError(f"data set {name!r} is embedded and has no download")
    return Path(urlparse(url).path).name or f"{name}.raw"


def fetch(name: str, root, url: str | None = None, known_hash: str | None = None) -> Path:
    """Fetch the raw file of ``name`` into ``root/<name>/`` and verify its checksum; return its path.

    ``url`` (``https://``, ``ftp://`` or ``file://``) and ``known_hash`` override the official ones. On a
    checksum mismatch the file is deleted and :class:`bnconvex.data.fetch.ChecksumError` gives the expected
    and actual hash.
    """
    source = get_source(name)
    url = url or source.url
    known_hash = known_hash or source.known_hash
    if url is None:
        raise ValueError(f"data set {name!r} is embedded and has nothing to fetch")
    if not known_hash:
        raise ValueError(
            f"no official checksum is published for {name!r}: pin it in the config as "
            f"sources.{name}.known_hash (e.g. sha256:<hex>)"
        )
    return fetch_url(url, known_hash, Path(root) / name / raw_filename(name, url))


def _sha256_of_arrays(*arrays: np.ndarray) -> str:
    h = hashlib.sha256()
    for a in arrays:
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def _load_digits() -> RawData:
    import sklearn
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X, y = X.astype(np.float64), y.astype(np.int64)
    meta = {
        "source": "digits",
        "origin": f"sklearn.datasets.load_digits (scikit-learn {sklearn.__version__}, embedded)",
        "sha256": _sha256_of_arrays(X, y),
        "checksum_of": "float64 X and int64 y arrays as loaded",
        "format": "embedded",
        "official_split": False,
    }
    return RawData(X, y, None, None, list(SOURCES["digits"].class_names), meta)


def load_raw(name: str, path=None, format: str | None = None, url: str | None = None,
             known_hash: str | None = None) -> RawData:
    """Load the raw data set ``name`` from its fetched file ``path`` (not needed for ``digits``).

    ``format`` overrides the source's format (``image-folder`` for a CIFAR image tarball). ``url`` and
    ``known_hash`` (what the file was fetched and verified with) are recorded in the metadata, with the
    file's sha256 and ``official_bytes``: whether the file matches the official published checksum,
    computed from the file itself. With ``known_hash`` the file is verified first: a mismatch raises
    :class:`~bnconvex.data.fetch.ChecksumError` (naming file, expected and actual hash) before anything is read.
    """
    source = get_source(name)
    if source.format == "embedded":
        return _load_digits()
    if path is None:
        raise ValueError(f"data set {name!r} needs its fetched file (see bnconvex.data.fetch)")
    fmt = format or source.format
    if known_hash:  # the bytes read are the bytes that were verified: a copy corrupted since fails here
        try:
            verify_file(path, known_hash, url, delete=False)
        except ChecksumError as err:
            raise ChecksumError(f"{err}; delete the file and rerun to fetch it again") from None
    if fmt not in READERS:
        raise ValueError(f"unknown format {fmt!r} for {name!r}; choose one of {', '.join(READERS)}")
    if fmt == "cifar-python":
        X, y, X_test, y_test, names = read_cifar_python(path, name)
    elif fmt == "image-folder":
        X, y, X_test, y_test, names = READERS[fmt](path, list(source.class_names or []) or None)
    else:
        X, y, X_test, y_test, names = READERS[fmt](path)
    # bit-identical to the official release? Decided from the file's own hash, never from the config.
    # None where no official checksum is published (CNAE-9): unknown, not "no".
    official = None
    if source.known_hash:
        official = file_hash(path, source.known_hash) == source.known_hash.lower()
    meta = {
        "source": name,
        "origin": url or f"local file {Path(path).name}",
        "reference": source.reference,
        "file": Path(path).name,
        "sha256": file_hash(path, "sha256:").split(":", 1)[1],
        "known_hash": known_hash or source.known_hash,
        "format": fmt,
        "official_bytes": official,
        "official_split": True,
    }
    if source.pixel_max is not None:
        meta["pixel_max"] = source.pixel_max
    return RawData(X.astype(np.float64), y.astype(np.int64), X_test.astype(np.float64),
                   y_test.astype(np.int64), list(names), meta)


def digits_parity(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n seeded rows of the embedded digits (pixels / 16) with even → +1, odd → −1: the benchmarks' real,
    offline scalar task (X n×64, y n)."""
    raw = load_raw("digits")
    idx = np.sort(np.random.default_rng(seed).choice(len(raw.y), n, replace=False))
    return raw.X[idx] / 16.0, np.where(raw.y[idx] % 2 == 0, 1.0, -1.0)

