import hashlib

import pytest

from bnconvex.data import ChecksumError, fetch
from bnconvex.data.fetch import fetch_url, local_path


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@pytest.fixture
def mirror(tmp_path):
    src = tmp_path / "mirror" / "CNAE-9.data"
    src.parent.mkdir()
    src.write_bytes(b"1,0,1\n" * 50)
    return src


def test_fetch_from_file_url_with_right_checksum(tmp_path, mirror):
    root = tmp_path / "raw"
    path = fetch("cnae9", root, url=f"file://{mirror}", known_hash=sha256(mirror.read_bytes()))
    assert path == root / "cnae9" / "CNAE-9.data"
    assert path.read_bytes() == mirror.read_bytes()
    # a second fetch reuses the verified file
    mirror.unlink()
    assert fetch("cnae9", root, url=f"file://{mirror}", known_hash=sha256(path.read_bytes())) == path


def test_wrong_checksum_raises_with_both_hashes_and_leaves_nothing(tmp_path, mirror):
    root = tmp_path / "raw"
    wrong = "sha256:" + "0" * 64
    with pytest.raises(ChecksumError) as err:
        fetch("cnae9", root, url=f"file://{mirror}", known_hash=wrong)
    msg = str(err.value)
    assert wrong in msg and sha256(mirror.read_bytes()) in msg and "CNAE-9.data" in msg
    assert list((root / "cnae9").iterdir()) == []  # no file, no temporary folder


def test_corrupted_existing_file_is_deleted_and_refetched(tmp_path, mirror):
    root = tmp_path / "raw"
    good = sha256(mirror.read_bytes())
    path = fetch("cnae9", root, url=f"file://{mirror}", known_hash=good)
    path.write_bytes(b"corrupted")
    assert fetch("cnae9", root, url=f"file://{mirror}", known_hash=good).read_bytes() == mirror.read_bytes()


def test_md5_checksums_are_supported(tmp_path, mirror):
    md5 = "md5:" + hashlib.md5(mirror.read_bytes()).hexdigest()
    assert fetch_url(f"file://{mirror}", md5, tmp_path / "x" / "f").exists()


def test_missing_checksum_names_the_config_key(tmp_path, mirror):
    with pytest.raises(ValueError, match=r"sources\.cnae9\.known_hash"):
        fetch("cnae9", tmp_path, url=f"file://{mirror}")


def test_missing_mirror_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere.tar"):
        fetch_url(f"file://{tmp_path}/nowhere.tar", "sha256:" + "0" * 64, tmp_path / "out" / "x")
    assert not (tmp_path / "out" / "x").exists()


def test_unknown_dataset_name(tmp_path):
    with pytest.raises(ValueError, match="unknown data set 'mnist'"):
        fetch("mnist", tmp_path)


def test_file_urls_relative_and_absolute():
    assert str(local_path("file:///abs/x.tar")) == "/abs/x.tar"
    assert str(local_path("file://../shared/x.tar")) == "../shared/x.tar"
    assert str(local_path("file:rel/x")) == "rel/x"
