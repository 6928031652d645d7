import os

import numpy as np
import pytest

from mlplab.data import (DataNotFoundError, Preprocessor, load_dataset, one_hot, stratified_split, write_idx)
from mlplab.data.datasets import DEBIAN_FASHION_MNIST

HAVE_FASHION = os.path.isfile(os.path.join(DEBIAN_FASHION_MNIST, "train-images-idx3-ubyte.gz"))


@pytest.mark.skipif(not HAVE_FASHION, reason="Debian's dataset-fashion-mnist is not installed (make test installs it)")
def test_fashion_mnist_from_the_debian_package():
    d = load_dataset("fashion-mnist", data_dir=None)
    assert d.X_train.shape == (60000, 784) and d.X_test.shape == (10000, 784)
    assert d.X_train.dtype == np.uint8 and d.X_train.max() == 255
    np.testing.assert_array_equal(np.bincount(d.y_train), [6000] * 10)
    np.testing.assert_array_equal(np.bincount(d.y_test), [1000] * 10)


def _write_idx_set(folder, rng, n_train=30, n_test=10):
    folder.mkdir(parents=True, exist_ok=True)
    write_idx(folder / "train-images-idx3-ubyte.gz", rng.integers(0, 256, (n_train, 28, 28)).astype(np.uint8))
    write_idx(folder / "train-labels-idx1-ubyte.gz", (np.arange(n_train) % 10).astype(np.uint8))
    write_idx(folder / "t10k-images-idx3-ubyte", rng.integers(0, 256, (n_test, 28, 28)).astype(np.uint8))
    write_idx(folder / "t10k-labels-idx1-ubyte", (np.arange(n_test) % 10).astype(np.uint8))


def test_mnist_idx_from_a_user_folder_and_from_the_environment(tmp_path, rng, monkeypatch):
    _write_idx_set(tmp_path / "mine", rng)
    d = load_dataset("mnist", data_dir=tmp_path / "mine")
    assert d.X_train.shape == (30, 784) and d.X_test.shape == (10, 784) and d.pixel_max == 255
    _write_idx_set(tmp_path / "env" / "mnist", rng, n_train=20)
    monkeypatch.setenv("MLPLAB_DATA", str(tmp_path / "env"))
    assert load_dataset("mnist").X_train.shape == (20, 784)


def test_missing_idx_files_say_where_they_were_looked_for(tmp_path, monkeypatch):
    monkeypatch.delenv("MLPLAB_DATA", raising=False)
    with pytest.raises(DataNotFoundError, match="data 'mnist': no IDX files .* pass --data-dir"):
        load_dataset("mnist", data_dir=tmp_path)


def test_mnist_5k_is_the_real_bundled_subset():
    d = load_dataset("mnist-5k")
    assert d.X_train.shape == (4000, 784) and d.X_test.shape == (1000, 784)
    np.testing.assert_array_equal(np.bincount(d.y_test), [100] * 10)     # stratified
    assert d.X_train.max() == 255 and d.pixel_max == 255


def test_digits_and_toy_sets():
    d = load_dataset("digits")
    assert d.X_train.shape[1] == 64 and d.X_train.shape[0] + d.X_test.shape[0] == 1797 and d.n_classes == 10
    for name in ("spirals", "moons", "circles"):
        d = load_dataset(name)
        assert d.X_train.shape == (800, 2) and d.n_classes == 2
    g = load_dataset("gaussian")
    assert g.X_train.shape[1] == 500 and abs(g.X_train.std() - 1) < 0.01


def test_user_npz_and_csv(tmp_path, rng):
    X, y = rng.normal(size=(50, 3)), np.arange(50) % 5      # 10 per class: a 20% split is 2 each
    np.savez(tmp_path / "a.npz", X_train=X[:40], y_train=y[:40], X_test=X[40:], y_test=y[40:])
    d = load_dataset(str(tmp_path / "a.npz"))
    np.testing.assert_array_equal(d.X_test, X[40:])
    np.savez(tmp_path / "b.npz", X=X, y=y)
    assert load_dataset(str(tmp_path / "b.npz")).X_test.shape[0] == 10
    np.savetxt(tmp_path / "c.csv", np.column_stack([X, y]), delimiter=",", header="f1,f2,f3,label", comments="")
    d = load_dataset(str(tmp_path / "c.csv"))
    assert d.X_train.shape == (40, 3) and d.y_train.dtype == np.int64


@pytest.mark.parametrize("content, message", [
    ("1,2,0\n3,x,1\n", "every row must be numbers"),
    ("1,2,0.5\n3,4,1\n", "must hold integer class labels"),
    ("1,2,-1\n3,4,1\n", "negative label -1"),
])
def test_bad_csv_is_explained(tmp_path, content, message):
    (tmp_path / "bad.csv").write_text(content)
    with pytest.raises(ValueError, match=message):
        load_dataset(str(tmp_path / "bad.csv"))


def test_npz_with_pickles_or_wrong_keys_is_refused(tmp_path):
    np.savez(tmp_path / "p.npz", X=np.array([object()], dtype=object), y=np.zeros(1))
    with pytest.raises(ValueError, match="without unpickling"):
        load_dataset(str(tmp_path / "p.npz"))
    np.savez(tmp_path / "k.npz", features=np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"must hold X_train, y_train.*found \['features'\]"):
        load_dataset(str(tmp_path / "k.npz"))


def test_unknown_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match="unknown data 'cifar'; valid: fashion-mnist, mnist, mnist-5k"):
        load_dataset("cifar")


def test_stratified_split_is_seeded_and_keeps_class_shares(rng):
    X = np.arange(1000)[:, None].astype(float)
    y = np.repeat([0, 1, 2, 3], [100, 200, 300, 400])
    a = stratified_split(X, y, 0.1, seed=3)
    b = stratified_split(X, y, 0.1, seed=3)
    np.testing.assert_array_equal(a[2], b[2])
    np.testing.assert_array_equal(np.bincount(a[3]), [10, 20, 30, 40])
    assert len(np.intersect1d(a[0], a[2])) == 0 and a[0].shape[0] + a[2].shape[0] == 1000


def test_preprocessing_uses_training_statistics_only(rng):
    train, test = rng.normal(5, 3, size=(200, 4)), rng.normal(0, 1, size=(50, 4))
    pre = Preprocessor("standardize").fit(train)
    np.testing.assert_allclose(pre.transform(train, np.float64).mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(pre.transform(test, np.float64), (test - train.mean(0)) / train.std(0), rtol=1e-12)
    scaled = Preprocessor("scale", pixel_max=255.0).fit(train)
    assert scaled.transform(np.array([[255.0, 0.0]])).tolist() == [[1.0, 0.0]]
    back = Preprocessor.from_arrays(pre.to_arrays())
    np.testing.assert_array_equal(back.transform(test), pre.transform(test))


def test_one_hot():
    np.testing.assert_array_equal(one_hot(np.array([2, 0]), 3), [[0, 0, 1], [1, 0, 0]])
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\)"):
        one_hot(np.array([3]), 3)
