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
