"""Atomic artifact writing: every output appears complete or not at all, so a killed job can be rerun.

A temporary file is written beside its target (same file system, so the final rename is atomic) under the
name ``.<target>.<host>-<pid>.<random>.tmp<suffix>``, and renamed onto the target with the permissions the
user's umask gives (``mkstemp`` alone would leave 0600). A process killed while writing leaves such a file
behind; :func:`remove_stray_temporaries` (run by the workflow at every start) deletes those of dead writers.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

_HOST = re.sub(r"[^A-Za-z0-9_-]", "_", socket.gethostname()) or "host"
# .<target name>.<host>-<pid>.<random>.tmp<suffix>
_TEMPORARY = re.compile(r"^\..+\.(?P<host>[A-Za-z0-9_-]+)-(?P<pid>[0-9]+)\.[^.]+\.tmp(\.[A-Za-z0-9]+)?$")


def umask() -> int:
    """The process's umask (read without changing it, where /proc says it; else set and restored)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def temporary_prefix(path: str | os.PathLike) -> str:
    """The name prefix of a temporary beside ``path`` (end it with ``.tmp``, so that it can be swept)."""
    return f".{Path(path).name}.{_HOST}-{os.getpid()}."


@contextmanager
def atomic_path(path: str | os.PathLike, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only if the block succeeds.

    The file gets mode ``0o666 & ~umask`` (0644 by default), as an ``open(path, "w")`` would.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=temporary_prefix(path), suffix=f".tmp{suffix}", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~umask())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stray_temporaries(*roots: str | os.PathLike, max_age_s: float = 7 * 86400) -> list[Path]:
    """Delete the temporaries (:func:`atomic_path`'s files, or folders named by :func:`temporary_prefix`) left
    under ``roots`` when their process was killed.

    A file is removed when its writer (host and PID in its name) is this host's and no longer runs, or, for
    another host's writer (a cluster node), when it is older than ``max_age_s``. Returns the removed paths.
    """
    removed = []
    now = time.time()
    for root in map(Path, roots):
        if not root.is_dir():
            continue
        for p in root.rglob(".*.tmp*"):
            m = _TEMPORARY.match(p.name)
            if not m or not p.exists():
                continue
            dead = not _alive(int(m["pid"])) if m["host"] == _HOST else now - p.stat().st_mtime > max_age_s
            if dead:
                shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
                removed.append(p)
    return removed


def save_json(path: str | os.PathLike, obj) -> None:
    """Write ``obj`` as indented, key-sorted JSON, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=True, default=_json_default) + "\n")


def load_json(path: str | os.PathLike):
    return json.loads(Path(path).read_text())


def save_npz(path: str | os.PathLike, **arrays) -> None:
    """``np.savez`` atomically (uncompressed, so the bytes depend only on the arrays)."""
    with atomic_path(path, suffix=".npz") as tmp:
        np.savez(tmp, **arrays)


def _json_default(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serializable: {type(o).__name__}")
