"""Verified downloads with pooch: official URLs and checksums, overridable by mirrors (``file://`` too)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlparse

from bnconvex.io import temporary_prefix, umask


class ChecksumError(ValueError):
    """A fetched file does not have the expected hash. The file has been deleted."""


def _file_downloader(url: str, output_file, pooch_obj=None, check_only: bool = False) -> None:
    """pooch downloader for ``file://`` URLs (absolute, or relative to the working directory)."""
    path = local_path(url)
    if not path.is_file():
        raise FileNotFoundError(f"mirror file not found: {path} (from URL {url})")
    with open(path, "rb") as src, open(output_file, "wb") as dst:
        shutil.copyfileobj(src, dst, length=1 << 20)


def local_path(url: str) -> Path:
    """``file:///abs/x`` → ``/abs/x``; ``file://rel/x`` or ``file:rel/x`` → ``rel/x`` (working directory)."""
    if not url.startswith("file:"):
        raise ValueError(f"not a file URL: {url}")
    rest = url[len("file:"):]
    if rest.startswith("///"):
        return Path(unquote(urlparse(url).path))
    return Path(unquote(rest.lstrip("/") if rest.startswith("//") else rest))


def file_hash(path, known_hash: str) -> str:
    """The hash of ``path`` in the algorithm of ``known_hash`` ("md5:…", "sha256:…"), as "alg:hex"."""
    import pooch

    alg = known_hash.split(":", 1)[0] if ":" in known_hash else "sha256"
    return f"{alg}:{pooch.file_hash(str(path), alg=alg)}"


def _same(known_hash: str, actual: str) -> bool:
    known = known_hash if ":" in known_hash else f"sha256:{known_hash}"
    return known.lower() == actual.lower()


def verify_file(path: str | Path, known_hash: str, url: str | None = None, delete: bool = True,
                name: str | None = None) -> str:
    """Check ``path`` against ``known_hash`` ("alg:hex"); return its actual hash ("alg:hex").

    On a mismatch the file is deleted (``delete``: a plain rerun of the workflow then fetches it again) and a
    :class:`ChecksumError` names the file (``name``, else ``path``), where it came from, and both hashes.
    """
    path = Path(path)
    actual = file_hash(path, known_hash)
    if not _same(known_hash, actual):
        if delete:
            path.unlink(missing_ok=True)
        origin = f" from {url}" if url else ""
        raise ChecksumError(f"checksum mismatch for {name or path}{origin}: expected {known_hash}, got {actual}"
                            + ("; the file was deleted" if delete else ""))
    return actual


def fetch_url(url: str, known_hash: str, dest: str | Path) -> Path:
    """Fetch ``url`` to ``dest`` and verify ``known_hash``; return ``dest``.

    An existing ``dest`` with the right hash is reused. A file with the wrong hash (existing or just
    fetched) is deleted and a :class:`ChecksumError` names the file, the URL, and both hashes. The download
    goes to a temporary folder beside ``dest`` and is moved into place only once verified.
    """
    if not known_hash:
        raise ValueError(f"no checksum known for {url}: pin one in the config (known_hash)")
    dest = Path(dest)
    if dest.exists():
        actual = file_hash(dest, known_hash)
        if _same(known_hash, actual):
            return dest
        dest.unlink()
    import pooch  # imported here: the workflow imports this package when it parses, and pooch is slow

    dest.parent.mkdir(parents=True, exist_ok=True)
    downloader = _file_downloader if url.startswith("file:") else None
    with tempfile.TemporaryDirectory(prefix=temporary_prefix(dest), suffix=".tmp", dir=dest.parent) as tmpdir:
        tmp = pooch.retrieve(url, known_hash=None, fname=dest.name, path=tmpdir, downloader=downloader,
                             progressbar=False)
        verify_file(tmp, known_hash, url, name=dest.name)
        os.chmod(tmp, 0o666 & ~umask())
        os.replace(tmp, dest)
    return dest
