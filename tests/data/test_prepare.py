import numpy as np
import pytest

from bnconvex.data import load_prepared, load_raw, prepare, scale, select_classes, stratified_split


def test_digits_is_real_embedded_data():
    raw = load_raw("digits")
    assert raw.X.shape == (1797, 64) and raw.X_test is None
    assert raw.X.min() == 0 and raw.X.max() == 16
    assert np.bincount(raw.y).min() >= 174
    assert len(raw.meta["sha256"]) == 64


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
    raw = load_raw("digits")
    data = prepare("digits", raw, classes=[3, 5], split="stratified", test_fraction=0.2, scaling="max", seed=0)
    assert data.meta["classes"] == [3, 5]
    assert sum(data.meta["train_counts"]) == data.meta["n_train"] == data.y_train.size
    assert data.X_train.max() <= 1.0
    data.save(tmp_path / "d.npz", tmp_path / "d.json")
    back = load_prepared(tmp_path / "d.npz")
    np.testing.assert_array_equal(back.X_test, data.X_test)
    assert back.meta == data.meta


def test_prepare_errors_name_the_config_key():
    raw = load_raw("digits")
    with pytest.raises(ValueError, match=r"data\.mine\.split: .* no official test split"):
        prepare("mine", raw, split="official")
    with pytest.raises(ValueError, match=r"data\.mine\.test_fraction"):
        prepare("mine", raw, split="stratified")
    with pytest.raises(ValueError, match=r"data\.mine: classes \[12\] do not exist"):
        prepare("mine", raw, classes=[1, 12], split="stratified", test_fraction=0.2)


def test_per_class_subsample_is_seeded():
    raw = load_raw("digits")
    kw = dict(classes=[0, 1], split="stratified", test_fraction=0.2, per_class_train=30, scaling="none")
    a, b = prepare("a", raw, seed=4, **kw), prepare("b", raw, seed=4, **kw)
    np.testing.assert_array_equal(a.X_train, b.X_train)
    assert a.meta["train_counts"] == [30, 30]
