import numpy as np
import pytest
from helpers import chw_rows

from bnconvex.data import DataFormatError, load_raw
from bnconvex.data.formats import read_cifar_python, read_cnae9, read_image_folder
from bnconvex.data.sources import CIFAR10_CLASSES


def test_cifar10_python_tarball_parses_to_shapes_and_labels(fake_cifar10_python):
    path, imgs, labels = fake_cifar10_python
    X, y, X_test, y_test, names = read_cifar_python(path, "cifar10")
    assert X.shape == (20, 3072) and X_test.shape == (3, 3072)
    np.testing.assert_array_equal(y, labels[:20])
    np.testing.assert_array_equal(y_test, labels[20:])
    np.testing.assert_array_equal(X, chw_rows(imgs[:20]))
    assert names[3] == "c3"


def test_cifar100_python_tarball_uses_fine_labels(fake_cifar100_python):
    path, imgs, fine = fake_cifar100_python
    X, y, X_test, y_test, names = read_cifar_python(path, "cifar100")
    assert X.shape == (5, 3072) and len(names) == 100
    np.testing.assert_array_equal(np.concatenate([y, y_test]), fine)


def test_image_folder_tarball_gives_the_pickle_feature_order(fake_image_folder):
    path, imgs, classes = fake_image_folder
    X, y, X_test, y_test, names = read_image_folder(path, list(CIFAR10_CLASSES))
    assert X.shape == (6, 3072) and X_test.shape == (3, 3072)
    assert names == list(CIFAR10_CLASSES)
    # official indices: airplane 0, bird 2, cat 3; sorted by class, then file name
    assert y.tolist() == [0, 0, 2, 2, 3, 3] and y_test.tolist() == [0, 2, 3]
    np.testing.assert_array_equal(X[0], chw_rows(imgs[[0]])[0])  # CHW flattening, as the pickles
    np.testing.assert_array_equal(X_test[1], chw_rows(imgs[[7]])[0])


def test_image_folder_with_unknown_class_is_named(fake_image_folder):
    path, _, _ = fake_image_folder
    with pytest.raises(DataFormatError, match="'cat'"):
        read_image_folder(path, ["airplane", "bird"])


def test_same_loader_reads_both_cifar_formats(fake_cifar10_python, fake_image_folder):
    raw_p = load_raw("cifar10", fake_cifar10_python[0])
    raw_f = load_raw("cifar10", fake_image_folder[0], format="image-folder")
    assert raw_p.X.shape[1] == raw_f.X.shape[1] == 3072
    assert raw_p.meta["format"] == "cifar-python" and raw_f.meta["format"] == "image-folder"
    assert raw_p.meta["official_bytes"] is False  # a fake is not the official release


@pytest.mark.parametrize("damage", ["truncate", "garbage"])
def test_truncated_or_corrupt_archive_names_the_file(tmp_path, fake_cifar10_python, damage):
    path = fake_cifar10_python[0]
    data = path.read_bytes()
    bad = tmp_path / "bad.tar.gz"
    bad.write_bytes(data[: len(data) // 2] if damage == "truncate" else b"not a tar" * 100)
    with pytest.raises(DataFormatError, match="bad.tar.gz"):
        read_cifar_python(bad, "cifar10")


def test_cifar_tarball_missing_members_is_named(tmp_path, fake_cifar100_python):
    with pytest.raises(DataFormatError, match="missing members"):
        read_cifar_python(fake_cifar100_python[0], "cifar10")


def test_cnae9_with_wrong_shape_is_rejected(tmp_path):
    bad = tmp_path / "CNAE-9.data"
    bad.write_text("1,0,0\n2,1,0\n")
    with pytest.raises(DataFormatError, match="1080 rows"):
        read_cnae9(bad)
