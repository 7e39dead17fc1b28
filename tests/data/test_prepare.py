import numpy as np
import pytest

from bnconvex.data import load_prepared, load_raw, prepare, scale, select_classes, stratified_split


def test_digits_is_real_embedded_data():
    X, y, meta = load_raw("digits")
    assert X.shape == (1797, 64)
    assert X.min() == 0 and X.max() == 16
    assert np.bincount(y).min() >= 174
    assert len(meta["sha256"]) == 64


def test_unknown_dataset_is_named():
    with pytest.raises(ValueError, match="unknown data set 'cifar7'"):
        load_raw("cifar7")


def test_stratified_split_is_seeded_and_disjoint():
    y = np.repeat(np.arange(3), 20)
    tr1, te1 = stratified_split(y, 0.25, seed=3)
    tr2, te2 = stratified_split(y, 0.25, seed=3)
    tr3, _ = stratified_split(y, 0.25, seed=4)
    np.testing.assert_array_equal(tr1, tr2)
    np.testing.assert_array_equal(te1, te2)
    assert not np.array_equal(tr1, tr3)
    assert set(tr1).isdisjoint(te1) and len(tr1) + len(te1) == 60
    assert np.all(np.bincount(y[te1]) == 5)


def test_select_classes_relabels_in_given_order_and_names_missing_class():
    X = np.arange(12.0)[:, None]
    y = np.array([0, 1, 2] * 4)
    Xs, ys = select_classes(X, y, [2, 0])
    assert set(ys) == {0, 1}
    np.testing.assert_array_equal(Xs[ys == 0, 0], [2, 5, 8, 11])
    Xs, ys = select_classes(X, y, [1], per_class=2, seed=0)
    assert ys.tolist() == [0, 0]
    with pytest.raises(ValueError, match=r"classes \[7\] do not exist"):
        select_classes(X, y, [0, 7])
    with pytest.raises(ValueError, match="fewer than per_class"):
        select_classes(X, y, [0], per_class=5)


def test_scaling_methods():
    Xtr, Xte = np.array([[0.0, 2.0], [4.0, 6.0]]), np.array([[8.0, 8.0]])
    a, b, info = scale(Xtr, Xte, "max", pixel_max=16.0)
    assert info == {"method": "max", "divisor": 16.0} and b[0, 0] == 0.5
    a, b, info = scale(Xtr, Xte, "standardize")
    np.testing.assert_allclose(a.mean(axis=0), 0.0)
    with pytest.raises(ValueError, match="unknown scaling 'zscore'"):
        scale(Xtr, Xte, "zscore")


def test_prepare_records_counts_and_round_trips(tmp_path):
    X, y, meta = load_raw("digits")
    data = prepare("digits", X, y, meta, classes=[3, 5], test_fraction=0.2, scaling="max", split_seed=0)
    assert data.meta["classes"] == [3, 5]
    assert sum(data.meta["train_counts"]) == data.meta["n_train"] == data.y_train.size
    assert data.X_train.max() <= 1.0
    data.save(tmp_path / "d.npz", tmp_path / "d.json")
    back = load_prepared(tmp_path / "d.npz")
    np.testing.assert_array_equal(back.X_test, data.X_test)
    assert back.meta == data.meta
