"""The hidden-units experiment's settings and the records of its runs (:class:`Split`, :class:`NetRun`,
:class:`SeedSummary`), read by the runs and claims in :mod:`.hidden_units` and by the tables and figures
in :mod:`.hidden_units_report`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlplab import backend as B

SEEDS = 20                 # one data seed costs ~2.5 s single-threaded
QUICK_SEEDS = 4            # ~14 s single-threaded; at 3 seeds (t = 4.3) claim 1's interval was too wide to decide

NOISE = 0.3                # moons noise: classes overlap, so a net that fits every training point overfits
N_TRAIN, N_VAL, N_TEST = 100, 1000, 2000
SMALL_WIDTHS = (3, 20, 30)          # the slides' small m; the small arm picks one on validation
BIG_WIDTH = 100
L2_GRID = (1e-2, 1e-3, 1e-4)        # a decade grid fixed before the run; the big arm picks one on validation
EPOCHS = 2000                       # full batch: 2,000 updates for every net (equal budgets)
LR = 0.01
MARGIN = 0.01                       # non-inferiority margin in test error (see NOTES)
CHANCE_ACCURACY = 0.5               # balanced classes: a constant prediction (a diverged net) errs on half
DIVERGED_DISAGREEMENT = 0.5         # a pair with a diverged init counts as two coin flips (see NOTES)
SQUARE = 2.5                        # the old, off-support measure: uniform on [-2.5, 2.5]^2 (standardised)

Config = tuple[int, float]          # (hidden width m, L2 strength lambda)
CONFIGS: list[Config] = [(m, 0.0) for m in SMALL_WIDTHS] + [(BIG_WIDTH, 0.0)] + [(BIG_WIDTH, l2) for l2 in L2_GRID]


@dataclass
class Split:
    """One data seed's moons, standardised on the training points' statistics."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


@dataclass
class NetRun:
    """One config on one data seed: its nets (None where a run diverged) and their predictions,
    one entry per initialisation trained (the first always; the second where disagreement is measured)."""

    nets: list[Any] = field(default_factory=list)
    train: list[np.ndarray] = field(default_factory=list)
    val: list[np.ndarray] = field(default_factory=list)
    test: list[np.ndarray] = field(default_factory=list)
    square: list[np.ndarray] = field(default_factory=list)

    @property
    def diverged(self) -> int:
        return sum(net is None for net in self.nets)


def predictions(net: Any | None, X: np.ndarray) -> np.ndarray:
    """The predicted class of each row; a diverged net (None) predicts class 0 everywhere (chance error)."""
    if net is None:
        return np.zeros(X.shape[0], dtype=np.int64)
    return np.asarray(B.to_numpy(net.predict(X)), dtype=np.int64)


def config_label(config: Config) -> str:
    m, l2 = config
    return f"m = {m}, " + (f"L2 {l2:g}" if l2 else "no L2")


@dataclass
class SeedSummary:
    """What one data seed gives: per config the first init's errors, the two arms' validation picks,
    and the disagreement of two inits (for m = 3, m = 100 without L2 and the big arm's pick; every
    config on seed 0)."""

    train_err: dict[Config, float]
    val_err: dict[Config, float]
    test_err: dict[Config, float]
    small: Config
    big: Config
    disagree_test: dict[Config, float]
    disagree_square: dict[Config, float]
    diverged: int
