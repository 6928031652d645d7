"""The beyond-batch-norm experiment's settings (see :mod:`.beyond_bn`): the net, the arms, the
batch sizes, the optimiser and the budgets, read by the runs, the claims and the report."""

from __future__ import annotations

import math
from dataclasses import dataclass

SEEDS = 6               # one seed (5 arms x 4 batch sizes, 8,192 updates at batch 2) costs over a minute
QUICK_SEEDS = 3
DATA = "fashion-mnist"
N_TRAIN = 2048          # a multiple of every batch size: each update sees a full batch
INIT_DRAWS = 20         # weight draws of claim 2's nets at initialisation (forward passes only: cheap)
PROBE = 1000            # training images over which the activations' means and variances are taken
DEPTH, WIDTH = 20, 64   # 20 hidden layers (the issue's); 64 units (fixed before any run): learns, and keeps the
#                         8,192 batch-of-2 updates per arm within the budget (their cost is per layer, not per unit)
LR_AT_2 = 3e-4          # Adam's rate at batch 2; at batch B it is LR_AT_2 * sqrt(B / 2) (``rate``)
BATCHES = (2, 8, 32, 128)
SMALL, LARGE = 2, 128   # the batch sizes claim 1 compares
EARLY_BATCH = 32        # the batch size of claims 2c and 3 (the middle of the grid, a common choice)
EARLY_SHARE = 4         # claim 3's "early": the first quarter of the updates
CHANCE = 0.1            # what a diverged run's accuracy counts as: a 10-class guess
CHANCE_LOSS = 2.302585092994046     # and its loss from the divergence on: ln 10, a uniform guess's

# Each arm is an ``ml.mlp`` spelling; ``data_init`` runs Salimans & Kingma's data-dependent
# initialisation of the weight-normalised layers on a batch of training images before training.
ARMS: dict[str, dict] = {
    "none": {"activation": "relu"},
    "batch": {"activation": "relu", "norm": "batch"},
    "layer": {"activation": "relu", "norm": "layer"},
    "weight": {"activation": "relu", "norm": "weight", "data_init": True},
    "selu": {"activation": "selu"},
}
LABELS = {"none": "no normalisation (ReLU)", "batch": "batch norm", "layer": "layer norm",
          "weight": "weight norm (data init)", "selu": "SELU", "weight-plain": "weight norm (g = ||v||)"}
# Claim 3b's extra arm, run at EARLY_BATCH only: weight norm with g = ||v|| (torch's weight_norm),
# which starts as the very function the plain net starts as.
PLAIN_WEIGHT = {"activation": "relu", "norm": "weight", "data_init": False}
INIT_BATCH = 500        # the training images the data-dependent initialisation normalises


def rate(batch: int) -> float:
    """Adam's rate at batch size ``batch``: ``LR_AT_2 * sqrt(batch / 2)``, the square-root scaling
    rule for adaptive methods (Malladi et al. 2022; Hoffer et al. 2017): it keeps the update's noise
    alike across batch sizes, so that with the same examples seen no size is favoured by a rate
    tuned for another (3e-4, 6e-4, 1.2e-3 and 2.4e-3 at batches 2, 8, 32 and 128)."""
    return LR_AT_2 * math.sqrt(batch / 2)


@dataclass(frozen=True)
class Budget:
    """Everything that differs between the full run and ``--quick`` (never the claims)."""

    examples: int           # training examples every run sees, whatever its batch size
    depth: int              # hidden layers of the trained nets (claim 2's nets at initialisation: always DEPTH)
    batches: tuple[int, ...]    # the batch sizes each arm runs at (the claims' are always among them)
    arms: tuple[str, ...]       # the arms of the grid (quick: only those the claims read)


FULL = Budget(8 * N_TRAIN, DEPTH, BATCHES, tuple(ARMS))
# --quick (under 20 s single-threaded, where the full grid costs ~7 minutes): the batch-of-2 runs are
# what costs (~1 ms an update per 10 layers), so quick trains 8 hidden layers for two epochs (4,096
# examples: 2,048 updates at batch 2, 32 at 128), and only the cells the claims read: batch and layer
# norm at 2 and 128, every arm at 32.  Checked on seeds 0-1 before the claims were computed: at 10
# layers and 4,096 examples batch norm was at 0.12-0.15 at batch 2 and 0.68 at 128, layer norm at
# 0.71-0.75 and 0.59-0.64, the full run's pattern; at 20 layers, 32 updates left batch norm at 0.2-0.3
# at batch 128.  8 layers rather than 10 for time alone (10 would take ~22 s); 8 was not checked apart
# before the quick claims were computed.  Claim 2's nets at initialisation keep 20 layers (forward
# passes cost nothing).
QUICK = Budget(2 * N_TRAIN, 8, (SMALL, EARLY_BATCH, LARGE), tuple(ARMS))


def cells(budget: Budget) -> list[tuple[str, int]]:
    """The (arm, batch size) pairs a run trains: the whole grid in the full run; in quick, batch
    and layer norm at the sizes claim 1 compares and every arm at ``EARLY_BATCH``."""
    if budget == FULL:
        return [(arm, batch) for arm in budget.arms for batch in budget.batches]
    return [(arm, batch) for arm in budget.arms for batch in budget.batches
            if batch == EARLY_BATCH or arm in ("batch", "layer")]
