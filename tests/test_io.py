import numpy as np
import pytest

from bnconvex.io import atomic_path, load_json, save_json, save_npz


def test_failed_write_leaves_nothing_behind(tmp_path):
    target = tmp_path / "out" / "a.json"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("partial")
            raise RuntimeError("killed")
    assert not target.exists()
    assert list((tmp_path / "out").iterdir()) == []


def test_failed_write_keeps_the_previous_version(tmp_path):
    target = tmp_path / "a.json"
    save_json(target, {"v": 1})
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("{")
            raise RuntimeError
    assert load_json(target) == {"v": 1}


def test_npz_and_json_round_trip(tmp_path):
    save_npz(tmp_path / "x.npz", a=np.arange(3))
    with np.load(tmp_path / "x.npz") as z:
        assert z["a"].tolist() == [0, 1, 2]
    save_json(tmp_path / "x.json", {"x": np.float64(1.5), "y": np.arange(2)})
    assert load_json(tmp_path / "x.json") == {"x": 1.5, "y": [0, 1]}


def test_canonical_sorts_nested_dicts_only():
    from bnconvex.workflow import canonical

    obj = {"b": {"y": 1, "x": [{"d": 1, "c": 2}]}, "a": [3, 1]}
    out = canonical(obj)
    assert list(out) == ["a", "b"] and list(out["b"]) == ["x", "y"] and list(out["b"]["x"][0]) == ["c", "d"]
    assert out["a"] == [3, 1] and out == obj


@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_artifacts_get_the_permissions_the_umask_gives(tmp_path, mask, mode):
    import os

    old = os.umask(mask)
    try:
        save_json(tmp_path / "a.json", {"v": 1})
        save_npz(tmp_path / "b.npz", a=np.arange(2))
        with open(tmp_path / "plain.txt", "w") as f:  # what a plain open() gives, for comparison
            f.write("x")
    finally:
        os.umask(old)
    for name in ("a.json", "b.npz", "plain.txt"):
        assert (tmp_path / name).stat().st_mode & 0o777 == mode, name


def test_stray_temporaries_of_dead_writers_are_removed_and_live_ones_kept(tmp_path):
    import os
    import subprocess

    from bnconvex.io import remove_stray_temporaries, temporary_prefix

    dead = subprocess.Popen(["true"])
    dead.wait()
    target = tmp_path / "results" / "page.ipynb"
    target.parent.mkdir()
    own = target.parent / f"{temporary_prefix(target)}x1.tmp.ipynb"  # this (live) process's
    stray = target.parent / f"{temporary_prefix(target).replace(f'-{os.getpid()}.', f'-{dead.pid}.')}x2.tmp.ipynb"
    folder = target.parent / f"{temporary_prefix(target).replace(f'-{os.getpid()}.', f'-{dead.pid}.')}x3.tmp"
    other_host = target.parent / ".page.ipynb.othernode-1.x4.tmp.ipynb"
    unrelated = target.parent / ".hidden.tmp"  # not named like our temporaries
    for p in (own, stray, other_host, unrelated):
        p.write_bytes(b"")
    folder.mkdir()
    (folder / "part").write_bytes(b"1")
    removed = remove_stray_temporaries(tmp_path / "results", tmp_path / "absent")
    assert sorted(removed) == sorted([stray, folder])
    assert own.exists() and other_host.exists() and unrelated.exists() and not stray.exists()
    os.utime(other_host, (0, 0))  # a week-old temporary of another node's writer goes too
    assert remove_stray_temporaries(tmp_path / "results") == [other_host]
