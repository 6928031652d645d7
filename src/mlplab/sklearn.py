"""scikit-learn estimators backed by mlplab's network and trainer: ``MLPClassifier``, ``MLPRegressor``.

Parameters carry scikit-learn's names where the idea is the same (``hidden_layer_sizes``,
``activation``, ``alpha``, ``batch_size``, ``learning_rate_init``, ``max_iter``, ``early_stopping``,
``validation_fraction``, ``n_iter_no_change``, ``solver``, ``momentum``, ``random_state``) plus
mlplab's own (``init``, ``norm``, ``batchnorm``, ``dropout``, ``pretrain``, ``dtype``): ``norm`` is
``"batch"``, ``"layer"``, ``"weight"``, ``"none"`` or None (then ``batchnorm=True`` means batch norm).  ``__init__`` only
stores them; ``fit`` checks them.  Input is checked with scikit-learn's own helpers.

Importing this module imports scikit-learn, and with it SciPy and SciPy's own OpenBLAS: in a process
that trains large networks, prefer :mod:`mlplab` directly (one BLAS; see the README).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from numbers import Integral, Real
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from mlplab import backend, losses, optim
from mlplab.memory import EVAL_BATCH, check_fits, estimate
from mlplab.network import ACTIVATIONS, Sequential, mlp
from mlplab.pretrain.greedy import METHODS as PRETRAIN_METHODS
from mlplab.pretrain import pretrain
from mlplab.train import Trainer

# scikit-learn's activation names, and mlplab's ("identity" is a network without hidden units' non-linearity)
ACTIVATION_NAMES = {"logistic": "sigmoid", **{name: name for name in ACTIVATIONS}}


class _MLPBase(BaseEstimator, ABC):
    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATION_NAMES))],
        "solver": [StrOptions({"adam", "sgd"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "init": [str],
        "batchnorm": ["boolean"],
        "norm": [StrOptions({"none", "batch", "layer", "weight"}), None],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "pretrain": [StrOptions({"none", *PRETRAIN_METHODS})],
        "pretrain_epochs": [Interval(Integral, 1, None, closed="left")],
        "dtype": [StrOptions({"auto", *backend.DTYPES})],
        "random_state": ["random_state"],
    }

    def __init__(self, hidden_layer_sizes: Any = (100,), activation: str = "relu", *, solver: str = "adam",
                 alpha: float = 1e-4, batch_size: int | str = "auto", learning_rate_init: float = 1e-3,
                 momentum: float = 0.9, max_iter: int = 200, early_stopping: bool = False,
                 validation_fraction: float = 0.1, n_iter_no_change: int = 10, init: str = "auto",
                 batchnorm: bool = False, dropout: float = 0.0, pretrain: str = "none", pretrain_epochs: int = 5,
                 dtype: str = "auto", random_state: Any = None, norm: str | None = None) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.momentum = momentum
        self.max_iter = max_iter
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.init = init
        self.batchnorm = batchnorm
        self.norm = norm
        self.dropout = dropout
        self.pretrain = pretrain
        self.pretrain_epochs = pretrain_epochs
        self.dtype = dtype
        self.random_state = random_state

    # -- what the subclasses say -----------------------------------------------------------------
    _loss = "softmax_cross_entropy"

    @abstractmethod
    def _targets(self, y: np.ndarray, reset: bool) -> tuple[np.ndarray, int]:
        """``y`` as the trainer's targets, and the number of outputs."""

    @property
    def _regression(self) -> bool:
        return self._loss != "softmax_cross_entropy"

    # -- fitting ---------------------------------------------------------------------------------
    def _hidden(self) -> list[int]:
        sizes = [self.hidden_layer_sizes] if isinstance(self.hidden_layer_sizes, Integral) \
            else list(self.hidden_layer_sizes)
        for i, size in enumerate(sizes):
            if isinstance(size, bool) or not isinstance(size, Integral) or size < 1:
                raise ValueError(f"hidden_layer_sizes must hold positive integers, got {size!r} at position {i}")
        return [int(s) for s in sizes]

    def _norm(self) -> str:
        """The normalisation asked for: ``norm``, or batch norm when only ``batchnorm=True`` says so
        (``batchnorm=False``, the default, says nothing against a ``norm``)."""
        if self.norm is None:
            return "batch" if self.batchnorm else "none"
        if self.batchnorm and self.norm != "batch":
            raise ValueError(f"batchnorm=True and norm={self.norm!r} disagree: give one of them")
        return self.norm

    def _build(self, n_in: int, n_out: int, seed: int, dtype: Any, n: int) -> tuple[Sequential, optim.Optimizer]:
        self.dtype_ = np.dtype(dtype if self.dtype == "auto" else self.dtype).name
        # a network the machine cannot hold is refused before mlp() allocates it (mlplab.memory)
        check_fits(estimate(n_in, self._hidden(), n_out, batch_size=self._batch(n), dtype=self.dtype_,
                            optimizer_slots=2 if self.solver == "adam" else int(self.momentum > 0),
                            norm=self._norm(), dropout=self.dropout > 0,
                            eval_batch=min(EVAL_BATCH, n) if self.early_stopping else 0),
                   f"hidden_layer_sizes {tuple(self._hidden())}")
        net = mlp(n_in, self._hidden(), n_out, activation=ACTIVATION_NAMES[self.activation],
                  init=None if self.init == "auto" else self.init, norm=self._norm(), dropout=self.dropout,
                  seed=seed, dtype=self.dtype_)
        if self.solver == "adam":
            optimizer: optim.Optimizer = optim.Adam(lr=self.learning_rate_init)
        else:
            optimizer = optim.SGD(lr=self.learning_rate_init, momentum=self.momentum)
        return net, optimizer

    def _batch(self, n: int) -> int:
        size = min(200, n) if self.batch_size == "auto" else min(int(self.batch_size), n)
        if self._norm() == "batch" and size == 1 and n > 1:
            size = 2                     # batch norm cannot train on one example
        return size

    def _trainer(self, n: int, epochs: int, seed: int) -> Trainer:
        if self._norm() == "batch" and n < 2:
            raise ValueError(f"batchnorm needs at least 2 samples to train on, got n_samples = {n}")
        batch = self._batch(n)
        # scikit-learn's penalty (alpha / 2) ||W||^2 / batch size is DD2424 lecture 4's lambda ||W||^2
        # with lambda = alpha / (2 batch)
        return Trainer(self.net_, self.optimizer_, loss=self._loss, batch_size=batch, epochs=epochs,
                       l2=self.alpha / (2 * batch), seed=seed,
                       patience=self.n_iter_no_change if self.early_stopping else None)

    def _seed(self) -> int:
        return int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))

    def fit(self, X: Any, y: Any) -> "_MLPBase":
        """Train a new network for ``max_iter`` epochs (fewer with ``early_stopping``)."""
        self._validate_params()
        X, y = validate_data(self, X, y, dtype=(np.float64, np.float32), multi_output=self._regression,
                             y_numeric=self._regression)
        targets, n_out = self._targets(y, reset=True)
        seed = self._seed()
        self.net_, self.optimizer_ = self._build(X.shape[1], n_out, seed, X.dtype, X.shape[0])
        self.loss_curve_, self.n_iter_, self._partial_seed_ = [], 0, seed
        X = X.astype(self.dtype_, copy=False)
        if self.pretrain != "none":
            if self._norm() == "weight":
                raise ValueError(f"pretrain={self.pretrain!r} pre-trains Dense layers and norm='weight' has none "
                                 f"(WeightNormDense): use pretrain='none' or another norm")
            pretrain(self.net_, X, self.pretrain, epochs=self.pretrain_epochs, batch_size=self._batch(X.shape[0]),
                     seed=seed)
        val = None
        if self.early_stopping:
            X, targets, val = self._split(X, targets, seed)
        trainer = self._trainer(X.shape[0], self.max_iter, seed)
        history = trainer.fit(X, targets, val=val)
        self._record(history, trainer)
        return self

    def _split(self, X: np.ndarray, y: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray, tuple]:
        order = np.random.default_rng([seed, 2]).permutation(X.shape[0])
        n_val = max(1, int(round(self.validation_fraction * X.shape[0])))
        if X.shape[0] - n_val < 1:
            raise ValueError(f"early_stopping needs more than {X.shape[0]} examples to hold out "
                             f"validation_fraction={self.validation_fraction}")
        held, kept = order[:n_val], order[n_val:]
        return X[kept], y[kept], (X[held], y[held])

    def _record(self, history: list[dict[str, float]], trainer: Trainer) -> None:
        self.loss_curve_ = getattr(self, "loss_curve_", []) + [row["train_loss"] for row in history]
        self.n_iter_ = getattr(self, "n_iter_", 0) + len(history)
        if self.early_stopping:
            self.validation_scores_ = [row.get("val_loss", math.nan) for row in history]

    def _partial_fit(self, X: Any, y: Any, first: bool, new_targets: bool) -> "_MLPBase":
        if first:
            self._validate_params()
        X, y = validate_data(self, X, y, dtype=(np.float64, np.float32), reset=first,
                             multi_output=self._regression, y_numeric=self._regression)
        targets, n_out = self._targets(y, reset=new_targets)
        if first:
            self._partial_seed_ = self._seed()
            self.net_, self.optimizer_ = self._build(X.shape[1], n_out, self._partial_seed_, X.dtype, X.shape[0])
            self.loss_curve_, self.n_iter_ = [], 0
        # one epoch over the data given, continuing the optimizer's state (a new trainer, the same optimizer)
        trainer = self._trainer(X.shape[0], 1, self._partial_seed_ + self.n_iter_)
        history = trainer.fit(X.astype(self.dtype_, copy=False), targets)
        self._record(history, trainer)
        return self

    def _outputs(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "net_")
        X = validate_data(self, X, dtype=(np.float64, np.float32), reset=False)
        return np.asarray(self.net_.forward(X.astype(self.dtype_, copy=False), train=False))

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.random_state is None
        return tags


class MLPClassifier(ClassifierMixin, _MLPBase):
    """A fully-connected classifier trained by mlplab (softmax + cross-entropy).

    After ``fit``: ``classes_``, ``n_features_in_`` (and ``feature_names_in_``), ``net_`` (the
    :class:`mlplab.Sequential`, e.g. for :func:`mlplab.save`), ``loss_curve_``, ``n_iter_``.
    ``partial_fit(X, y, classes)`` trains one epoch per call; the first call needs ``classes``.
    """

    def _targets(self, y: np.ndarray, reset: bool) -> tuple[np.ndarray, int]:
        check_classification_targets(y)
        if reset:
            self._encoder = LabelEncoder().fit(y)
            self.classes_ = self._encoder.classes_
        unseen = set(np.unique(y)) - set(self.classes_)
        if unseen:
            raise ValueError(f"y holds labels {sorted(unseen)} that are not in classes_ {list(self.classes_)}")
        return self._encoder.transform(y).astype(np.int64), len(self.classes_)

    def partial_fit(self, X: Any, y: Any, classes: Any = None) -> "MLPClassifier":
        first = not hasattr(self, "net_")
        if first:
            if classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit")
            self._encoder = LabelEncoder().fit(np.asarray(classes))
            self.classes_ = self._encoder.classes_
        elif classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(f"classes {list(np.unique(classes))} differ from the first call's {list(self.classes_)}")
        return self._partial_fit(X, y, first, new_targets=False)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, ``softmax`` of the network's outputs (columns in ``classes_`` order)."""
        return np.asarray(losses.softmax(self._outputs(X)))

    def predict_log_proba(self, X: Any) -> np.ndarray:
        return np.asarray(losses.log_softmax(self._outputs(X)))

    def predict(self, X: Any) -> np.ndarray:
        outputs = self._outputs(X)               # checks first that the estimator is fitted
        return self.classes_[np.argmax(outputs, axis=1)]


class MLPRegressor(RegressorMixin, _MLPBase):
    """A fully-connected regressor trained by mlplab (linear outputs, mean squared error).

    ``y`` may be 1-D or 2-D (several targets); ``predict`` returns the same shape.
    """

    _loss = "mean_squared_error"

    def _targets(self, y: np.ndarray, reset: bool) -> tuple[np.ndarray, int]:
        y = np.asarray(y, dtype=np.float64)
        if reset:
            self._y_ndim = y.ndim
        targets = y.reshape(-1, 1) if y.ndim == 1 else y
        if not reset and targets.shape[1] != self.net_.layers[-1].out_features:
            raise ValueError(f"y has {targets.shape[1]} targets, the network was built for "
                             f"{self.net_.layers[-1].out_features}")
        return targets, targets.shape[1]

    def partial_fit(self, X: Any, y: Any) -> "MLPRegressor":
        first = not hasattr(self, "net_")
        return self._partial_fit(X, y, first, new_targets=first)

    def predict(self, X: Any) -> np.ndarray:
        out = self._outputs(X)
        return out[:, 0] if self._y_ndim == 1 else out

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags


__all__ = ["MLPClassifier", "MLPRegressor"]
