"""The data stage of the DAG on the real offline mirrors, and on a corrupted mirror."""

import json

import numpy as np
import pytest
import yaml
from helpers import ROOT, SHARED, copy_project, snakemake

pytestmark = pytest.mark.slow


def config_with_mirror(work, name, url, known_hash=None):
    cfg = yaml.safe_load((ROOT / f"config/{name}.yaml").read_text())
    for source in cfg["sources"].values():  # other sources of the config: their mirrors, by absolute path
        if source.get("url", "").startswith("file://../shared/data/"):
            source["url"] = source["url"].replace("file://../shared/data", f"file://{SHARED}")
    cfg["sources"][name]["url"] = url
    if known_hash:
        cfg["sources"][name]["known_hash"] = known_hash
    path = work / f"config/{name}_mirror.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path.relative_to(work)


@pytest.mark.skipif(not (SHARED / "cnae9").exists(), reason="shared CNAE-9 mirror not present")
def test_cnae9_config_prepares_the_real_data(tmp_path):
    work = copy_project(tmp_path)
    cfg = config_with_mirror(work, "cnae9", f"file://{SHARED}/cnae9/CNAE-9.data")
    snakemake("stage_data", "--cores", "2", "--configfile", str(cfg), cwd=work)
    meta = json.loads((work / "data/processed/cnae9.json").read_text())
    assert meta["n_train"] == 900 and meta["n_test"] == 180 and meta["d"] == 856
    assert meta["train_counts"] == [100] * 9 and meta["test_counts"] == [20] * 9
    assert meta["sha256"] == "1e40e809ab50fb51c45ad33e0d2aba18e4ab75b5fc09965986d5010d970c3d36"
    with np.load(work / "data/processed/cnae9.npz") as z:
        assert z["X_train"].shape == (900, 856)


@pytest.mark.skipif(not (SHARED / "cifar10_jpg").exists(), reason="shared CIFAR-10 mirror not present")
def test_cifar10_config_prepares_the_three_class_task_and_says_it_is_jpeg(tmp_path):
    work = copy_project(tmp_path)
    cfg = config_with_mirror(work, "cifar10", f"file://{SHARED}/cifar10_jpg/cifar10_jpg.tar.xz")
    snakemake("stage_data", "--cores", "2", "--configfile", str(cfg), cwd=work)
    meta = json.loads((work / "data/processed/cifar10.json").read_text())
    assert meta["n_train"] == 1500 and meta["d"] == 3072
    assert meta["train_counts"] == [500] * 3 and meta["test_counts"] == [1000] * 3
    assert meta["official_bytes"] is False and "JPEG" in meta["note"]
    assert meta["class_names"] == ["airplane", "automobile", "bird"]


def test_corrupted_mirror_fails_with_a_checksum_error_and_leaves_no_file(tmp_path):
    work = copy_project(tmp_path / "p")
    mirror = tmp_path / "CNAE-9.data"
    mirror.write_text("corrupted copy\n")
    cfg = config_with_mirror(work, "cnae9", f"file://{mirror}")
    proc = snakemake("stage_data", "--cores", "1", "--configfile", str(cfg), cwd=work, check=False)
    assert proc.returncode != 0
    log = (work / "logs/data/fetch_cnae9_CNAE-9.data.log").read_text()
    assert "checksum mismatch for CNAE-9.data" in log
    assert "expected sha256:1e40e809" in log and "got sha256:" in log
    raw_dir = work / "data/raw/cnae9"
    assert not raw_dir.exists() or list(raw_dir.iterdir()) == []
    assert not (work / "data/processed/cnae9.npz").exists()


@pytest.mark.skipif(not (SHARED / "cnae9").exists(), reason="shared CNAE-9 mirror not present")
def test_raw_file_corrupted_after_its_fetch_fails_prepare_data_with_a_checksum_error(tmp_path):
    work = copy_project(tmp_path)
    cfg = config_with_mirror(work, "cnae9", f"file://{SHARED}/cnae9/CNAE-9.data")
    raw = work / "data/raw/cnae9/CNAE-9.data"
    snakemake("--cores", "1", "--configfile", str(cfg), "--", str(raw.relative_to(work)), cwd=work)
    data = bytearray(raw.read_bytes())
    data[len(data) // 2] ^= 0x01  # one flipped bit in a verified download
    raw.write_bytes(bytes(data))
    proc = snakemake("stage_data", "--cores", "1", "--configfile", str(cfg), cwd=work, check=False)
    assert proc.returncode != 0
    log = (work / "logs/data/prepare_cnae9.log").read_text()
    assert "ChecksumError: checksum mismatch for data/raw/cnae9/CNAE-9.data" in log
    assert "expected sha256:1e40e809" in log and "got sha256:" in log
    assert not (work / "data/processed/cnae9.npz").exists() and not (work / "data/processed/cnae9.json").exists()
