"""The batch norm experiment's settings (see :mod:`.batchnorm`): its nets, rates, targets and budgets,
read by the runs and claims there and by the figures and notes in :mod:`.batchnorm_report`."""

from __future__ import annotations

from dataclasses import dataclass

from mlplab.experiments.batchnorm_train import Net

SEEDS = 10              # the cheap parts (2-layer net, rate sweep, initialisation)
QUICK_SEEDS = 3
PAPER_SEEDS = 5         # the 50,000-update runs: one seed costs ~80 s (two nets x ~40 s), over a minute
DATA = "mnist-5k"       # 4,000 training and 1,000 test images of real MNIST, as the paper's MNIST
PROBE = 500             # training images over which Figure 1b-c's percentiles are taken

PAPER_NET = Net((100, 100, 100), "sigmoid", "normal:0.01")   # "small random Gaussian values"
PAPER_LR = 5.0          # chosen on a validation split for the net without BN (notes): the paper gives none
PAPER_TARGET = 0.85     # test accuracy whose first crossing times "faster" (below both nets' level)
DRIFT_START, DRIFT_END = 0.01, 0.10     # Figure 1b-c's claim window, as shares of the updates (notes)
FIT = 0.99              # training accuracy whose first crossing is reported as context ("memorised")
TWO_LAYER_NET = Net((100, 100), "tanh", "xavier_normal")
TWO_LAYER_LR = {False: 0.3, True: 1.0}  # each net's rate, tuned on the validation split (notes)
SWEEP_NET = Net((100, 100, 100), "sigmoid", "xavier_normal")
SWEEP_TARGET = 0.8
BAD_INITS = (("too small", "normal:0.01", "N(0, 0.01^2)"), ("too large", "normal:3", "N(0, 3^2)"))
OTHER_INITS = (("the first choice, not used", "normal:1", "N(0, 1)"),)    # reported in the table only
INIT_LR = 2.0           # the rate of the initialisation comparison (a rate of both sweep grids)


@dataclass
class Budget:
    """Everything that differs between the full run and ``--quick`` (never the claims)."""

    paper_updates: int
    two_layer_updates: int
    sweep_updates: int
    rates: tuple[float, ...]
    checkpoints: int        # evenly spaced percentile (and accuracy) checkpoints of the paper's runs
    log_checkpoints: int    # accuracy checkpoints on a log grid from update 5 (each a 5,000-image pass)


FULL = Budget(50_000, 1_340, 1_000, tuple(0.5 * 2.0 ** k for k in range(10)), 50, 25)   # rates 0.5 .. 256
# --quick (issue 15: under 20 s; ~10.7 s of user CPU single-threaded, was ~21 s).  An update costs
# what it costs, so the cuts are in updates and checkpoints, each checked against the full verdicts:
# - Figure 1: 400 updates (the BN net first reaches 85% at ~150-210, the plain net not at all), and
#   12 accuracy checkpoints (8 on the log grid, 4 evenly spaced), as many as updates cost; coarser
#   grids (8-10 checkpoints) decide "faster" by where a checkpoint falls near the crossing.
# - The 2-layer nets: one epoch (67 updates), so in quick both their claims are read after it.
# - The rate sweep and the initialisations: 300 updates, the fewest at which the plain net at lr 2
#   leaves its plateau and the bad initialisations' precondition can hold (at 250 it fails); the grid
#   2, 8: 2 is the initialisation's rate, the plain net fails there within 300 updates, and the BN
#   net reaches 8, the grid's top (a lower bound; at 400 updates every seed's BN net failed at 32).
QUICK = Budget(400, 67, 300, (2.0, 8.0), 4, 8)
