"""The symmetry experiment's settings, arms and what a run leaves (:class:`Trace`), read by the runs and
claims in :mod:`.symmetry` and by the tables and figures in :mod:`.symmetry_report`."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

SEEDS = 10
QUICK_SEEDS = 3

WIDTH, DEPTH = 64, 2                  # 784-64-64-10 tanh
CONSTANT = 0.01                       # every weight of the constant net (biases 0): its units are not saturated
LR, MOMENTUM, BATCH = 0.1, 0.9, 100
FULL = {"n_train": 10000, "epochs": 5}
QUICK = {"n_train": 10000, "epochs": 2}
NOISE = 1e-6                          # the perturbed arm: every weight CONSTANT + N(0, NOISE^2), fixed in advance
GROWTH_DECADES = 3.0                  # claim 1: the perturbation grows by more than 1,000x (mlplab's threshold)
AGREE_LOG10 = -6.0                    # the check "to 1e-6": issue 15's tolerance in float64 (rounding is ~1e-15)
FLOOR = 1e-18                         # an exact 0 difference counts as 1e-18 (log10 needs a positive number)
DIVERGED_LOG10 = 3.0                  # a run that diverged counts as disagreeing by 1000 (checks), as a
CHANCE = 0.1                          # perturbation that did not grow (claim 1: growth 0) and as chance accuracy


@dataclass
class Trace:
    """What one training run left: every update's loss, the test-set logits after every epoch, and
    (wide nets) the distance to the collapse at init and after every update."""

    losses: list[float] = field(default_factory=list)
    logits: list[np.ndarray] = field(default_factory=list)
    distances: list[float] = field(default_factory=list)
    accuracy: float = CHANCE
    diverged: bool = False
    copies: float = math.nan               # after training, wide nets only (see :func:`copies_spread`)


ARMS = ("constant wide", "constant collapsed", "constant collapsed, one rate", "perturbed wide", "random wide",
        "random collapsed")
RATES = "lr/H (first layer, hidden biases), lr (hidden-to-hidden weights), H lr (output weights), H = 64"
