"""The real data sets, read from the shared offline mirrors when they are present."""

import numpy as np
import pytest
from helpers import SHARED

from bnconvex.data import fetch, load_raw, prepare

CNAE9 = SHARED / "cnae9" / "CNAE-9.data"
CIFAR10_JPG = SHARED / "cifar10_jpg" / "cifar10_jpg.tar.xz"
needs = lambda p: pytest.mark.skipif(not p.exists(), reason=f"{p} not present")


@needs(CNAE9)
def test_real_cnae9_counts(tmp_path):
    path = fetch("cnae9", tmp_path, url=f"file://{CNAE9}",
                 known_hash="sha256:1e40e809ab50fb51c45ad33e0d2aba18e4ab75b5fc09965986d5010d970c3d36")
    raw = load_raw("cnae9", path)
    assert raw.X.shape == (900, 856) and raw.X_test.shape == (180, 856)
    y = np.concatenate([raw.y, raw.y_test])
    assert np.bincount(y).tolist() == [120] * 9
    assert np.bincount(raw.y_test).tolist() == [20] * 9
    assert raw.meta["official_bytes"] is None  # UCI publishes no checksum


@needs(CIFAR10_JPG)
def test_real_cifar10_jpeg_mirror_counts_and_three_class_task(tmp_path):
    path = fetch("cifar10", tmp_path, url=f"file://{CIFAR10_JPG}",
                 known_hash="sha256:d08b9322d9f11f7a7469b63bbbb2cd281732bc79611b230273cb4dc0d9f82cea")
    raw = load_raw("cifar10", path, format="image-folder")
    assert raw.X.shape == (50000, 3072) and raw.X_test.shape == (10000, 3072)
    assert np.bincount(raw.y).tolist() == [5000] * 10
    assert np.bincount(raw.y_test).tolist() == [1000] * 10
    assert raw.meta["official_bytes"] is False  # JPEG-recompressed: not the official release
    # per-channel means match the official CIFAR-10 train means to 1e-3 (SOURCE.md)
    means = raw.X.reshape(-1, 3, 1024).mean(axis=(0, 2)) / 255
    np.testing.assert_allclose(means, [0.4914, 0.4822, 0.4465], atol=1e-3)
    three = prepare("cifar10", raw, classes=[0, 1, 2], split="official", per_class_train=500,
                    scaling="max", seed=0)
    assert three.X_train.shape == (1500, 3072)
    assert three.meta["train_counts"] == [500] * 3 and three.meta["test_counts"] == [1000] * 3
    two = prepare("cifar10_2", raw, classes=[0, 1], split="official", per_class_train=500, scaling="max")
    assert two.X_train.shape == (1000, 3072)
