"""Every artifact type the workflow writes, reloaded by the project's own readers and saved again: the same
bytes (JSON, CSV) or the same arrays (npz, networks, prepared data); checkpoints agree with their metrics.
Runs on the outputs of the session's test DAG (``study_run``), so it covers what the workflow really writes."""

import filecmp

import numpy as np
import pandas as pd
import pytest
import torch

from bnconvex.data import load_prepared
from bnconvex.io import load_json, save_json, save_npz
from bnconvex.models.deep import DeepBNNet
from bnconvex.network import BNNetwork, ReLUNetwork

pytestmark = pytest.mark.slow
CSV_FORMAT = {"curves.csv": None}  # fig4's curves keep every digit; metrics and figure tables "%.10g"


def artifacts(root, pattern):
    found = sorted(p for d in ("results", "data/processed") for p in (root / d).rglob(pattern))
    assert found, f"the test DAG wrote no {pattern}"
    return found


def assert_same_arrays(a, b):
    with np.load(a) as za, np.load(b) as zb:
        assert sorted(za) == sorted(zb)
        for key in za:
            assert za[key].dtype == zb[key].dtype and np.array_equal(za[key], zb[key], equal_nan=True), key


def test_json_reloads_and_saves_to_the_same_bytes(study_run, tmp_path):
    for path in artifacts(study_run, "*.json"):
        save_json(tmp_path / "again.json", load_json(path))
        assert filecmp.cmp(path, tmp_path / "again.json", shallow=False), path


def test_csv_reloads_and_saves_to_the_same_bytes(study_run, tmp_path):
    for path in artifacts(study_run, "*.csv"):
        pd.read_csv(path).to_csv(tmp_path / "again.csv", index=False,
                                 float_format=CSV_FORMAT.get(path.name, "%.10g"))
        assert filecmp.cmp(path, tmp_path / "again.csv", shallow=False), path


def test_npz_networks_and_prepared_data_reload_as_they_were(study_run, tmp_path, rng):
    for path in artifacts(study_run, "*.npz"):
        if path.name.startswith("thm4."):  # a deep network (Thm 4.1 / 4.2): W_l, gamma_l, alpha_l, W_L
            with np.load(path) as z:
                net = DeepBNNet.from_dict(z)
            save_npz(tmp_path / "again.npz", **net.to_dict())
            X = torch.as_tensor(rng.standard_normal((5, net.first_layer().shape[0])))
            torch.testing.assert_close(DeepBNNet.from_dict(np.load(tmp_path / "again.npz"))(X), net(X), rtol=0, atol=0)
        elif path.name == "nobn-network.npz":  # Fig. 13's ReLU network without BN: W1, b1, W2
            net = ReLUNetwork.from_npz(path)
            save_npz(tmp_path / "again.npz", **net.to_dict())
            X = rng.standard_normal((5, net.W1.shape[0]))
            np.testing.assert_array_equal(ReLUNetwork.from_npz(tmp_path / "again.npz").forward(X), net.forward(X))
        elif path.name.endswith("-network.npz"):  # BNNetwork, BN after ReLU included (Thm G.1, Thm G.2)
            net = BNNetwork.from_npz(path)
            save_npz(tmp_path / "again.npz", **net.to_dict())
            back = BNNetwork.from_npz(tmp_path / "again.npz")
            assert back.bn_after_relu == net.bn_after_relu == path.name.startswith(("g1", "thmG.2"))
            X = rng.standard_normal((5, net.W1.shape[0]))
            np.testing.assert_array_equal(back.forward(X), net.forward(X))
        elif path.parent.name == "processed":  # the prepared data set and its metadata
            data = load_prepared(path)
            data.save(tmp_path / "again.npz", tmp_path / "again.json")
            assert load_json(tmp_path / "again.json") == data.meta == load_json(path.with_suffix(".json"))
        else:
            with np.load(path) as z:
                save_npz(tmp_path / "again.npz", **dict(z))
        assert_same_arrays(path, tmp_path / "again.npz")


def test_checkpoints_hold_the_resolved_config_and_the_metrics(study_run):
    for path in artifacts(study_run, "checkpoint.pt"):
        ckpt = torch.load(path, map_location="cpu", weights_only=False)
        metrics = pd.read_csv(path.with_name("metrics.csv"))
        assert ckpt["complete"] and ckpt["epoch"] == metrics["epoch"].iloc[-1] == ckpt["settings"]["epochs"]
        assert ckpt["config"]["arch"] and ckpt["model"], path
        saved = pd.DataFrame(ckpt["rows"])
        assert list(saved.columns) == list(metrics.columns)
        np.testing.assert_allclose(saved.to_numpy(float), metrics.to_numpy(float), rtol=1e-9, atol=1e-12)
