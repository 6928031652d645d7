"""The init-activations experiment's nets and settings, and the summaries of its draws that the claims (in
:mod:`.init_activations`) and the tables (in :mod:`.init_activations_tables`) both read."""

from __future__ import annotations

import numpy as np

from mlplab.experiments.init_activations_theory import range_ratio
from mlplab.experiments.verdict import mean_ci95

SEEDS = 200                 # weight-and-input draws (forward and backward only: cheap)
QUICK_SEEDS = 10
EXAMPLES = 256              # inputs per draw for the statistics
FIGURE_EXAMPLES = 1000      # DD2424's histograms: 1000 inputs of dimension 500
CLASSES = 10

UNEQUAL = (784, 1000, 500, 250, 100, CLASSES)      # widths, input to logits
DEPTH_LAYER = len(UNEQUAL) - 2                     # s_4: the last hidden layer's pre-activation (index 3)
UNEQUAL_INITS = {"He N(0, 2/n_in)": "he_normal", "LeCun N(0, 1/n_in)": "lecun_normal",
                 "Glorot U(+-sqrt(6/(n_in+n_out)))": "xavier_uniform",
                 "Balasubramanian's He U(+-4/(n_in+n_out))": "balasubramanian_he"}
JUDGED = ("He N(0, 2/n_in)", "LeCun N(0, 1/n_in)", "Glorot U(+-sqrt(6/(n_in+n_out)))")

DEEP = (500,) * 11 + (CLASSES,)                   # DD2424: 10 hidden layers of 500 on d = 500
DEEP_NETS = {"tanh, N(0, 0.01^2)": ("tanh", "normal:0.01"), "tanh, N(0, 1)": ("tanh", "normal:1"),
             "tanh, Xavier N(0, 1/n_in)": ("tanh", "lecun_normal"), "ReLU, Xavier N(0, 1/n_in)": ("relu", "lecun_normal"),
             "ReLU, He N(0, 2/n_in)": ("relu", "he_normal")}
HISTOGRAM_FILES = {"tanh, N(0, 0.01^2)": "hist-tanh-small.png", "tanh, N(0, 1)": "hist-tanh-large.png",
                   "tanh, Xavier N(0, 1/n_in)": "hist-tanh-xavier.png", "ReLU, Xavier N(0, 1/n_in)": "hist-relu-xavier.png",
                   "ReLU, He N(0, 2/n_in)": "hist-relu-he.png"}

CUTOFFS = (0.9, 0.95, 0.99, 0.995, 0.999)         # |tanh| cutoffs of the saturation-sensitivity table
SATURATION = CUTOFFS.index(0.99)                   # the claim's cutoff: tanh' < 0.02


def ratio_ci(values: np.ndarray) -> str:
    mean, low, high = mean_ci95(values)
    return f"{mean:.3g} [{low:.3g}, {high:.3g}]"


def geo_ci(values: np.ndarray) -> str:
    """``geometric mean [95% CI]`` of positive ratios (the t interval on the log scale, as the claims use)."""
    mean, low, high = (float(np.exp(v)) for v in mean_ci95(np.log(values)))
    return f"{mean:.3g} [{low:.3g}, {high:.3g}]"


def spread(data: dict[str, np.ndarray]) -> np.ndarray:
    """Per draw, std(h_10) / std(h_1): how much the activations' spread changes over the ten layers."""
    return data["h_std"][:, -1] / data["h_std"][:, 0]


def grad_range(data: dict[str, np.ndarray], key: str = "dW_std") -> np.ndarray:
    """Per draw, the largest over the smallest of ``key`` (a per-layer gradient scale) over the ten hidden layers."""
    return np.array([range_ratio(row[: len(DEEP) - 2]) for row in data[key]])
