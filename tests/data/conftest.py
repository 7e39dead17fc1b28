import io
import pickle
import tarfile

import numpy as np
import pytest
from helpers import chw_rows
from PIL import Image


def _add(tar, name, data: bytes):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def images(n, seed):
    """n random 32×32 RGB uint8 images (HWC)."""
    return np.random.default_rng(seed).integers(0, 256, size=(n, 32, 32, 3), dtype=np.uint8)


@pytest.fixture
def fake_cifar10_python(tmp_path):
    """A tiny official-format CIFAR-10 tarball: 5 train batches of 4 images, a test batch of 3."""
    imgs = images(23, 0)
    labels = np.arange(23) % 10
    path = tmp_path / "cifar-10-python.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for b in range(5):
            sl = slice(4 * b, 4 * b + 4)
            batch = {b"data": chw_rows(imgs[sl]), b"labels": labels[sl].tolist()}
            _add(tar, f"cifar-10-batches-py/data_batch_{b + 1}", pickle.dumps(batch))
        _add(tar, "cifar-10-batches-py/test_batch",
             pickle.dumps({b"data": chw_rows(imgs[20:]), b"labels": labels[20:].tolist()}))
        _add(tar, "cifar-10-batches-py/batches.meta",
             pickle.dumps({b"label_names": [f"c{i}".encode() for i in range(10)]}))
    return path, imgs, labels


@pytest.fixture
def fake_cifar100_python(tmp_path):
    imgs = images(7, 1)
    fine = np.array([5, 99, 0, 42, 5, 7, 8])
    path = tmp_path / "cifar-100-python.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for split, sl in (("train", slice(0, 5)), ("test", slice(5, 7))):
            batch = {b"data": chw_rows(imgs[sl]), b"fine_labels": fine[sl].tolist(), b"coarse_labels": [0] * 5}
            _add(tar, f"cifar-100-python/{split}", pickle.dumps(batch))
        names = {b"fine_label_names": [f"f{i}".encode() for i in range(100)]}
        _add(tar, "cifar-100-python/meta", pickle.dumps(names))
    return path, imgs, fine


@pytest.fixture
def fake_image_folder(tmp_path):
    """train/<class>/*.png and test/<class>/*.png (lossless PNG so pixels can be compared exactly)."""
    classes = ["airplane", "bird", "cat"]  # a subset, in official order
    imgs = images(9, 2)
    path = tmp_path / "images.tar.xz"
    with tarfile.open(path, "w:xz") as tar:
        for i, img in enumerate(imgs):
            split = "train" if i < 6 else "test"
            buf = io.BytesIO()
            Image.fromarray(img).save(buf, format="PNG")
            _add(tar, f"{split}/{classes[i % 3]}/{i:04d}.png", buf.getvalue())
    return path, imgs, classes
