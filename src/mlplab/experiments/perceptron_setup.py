"""The ``perceptron`` experiment's data and budgets (fixed before the run).

Two 2-D problems, drawn afresh for every seed (training and test points from one distribution):

- **separable**: points uniform in the square [-1, 1]^2, labelled by the side of a random line
  ``u.x + c = 0`` (unit ``u`` at a uniform angle, ``c`` uniform in [-0.3, 0.3]); points closer to
  the line than ``MARGIN`` are drawn again, so a margin is guaranteed and Novikoff's bound is finite;
- **XOR**: four Gaussian clusters (standard deviation ``XOR_NOISE``) at (+-1, +-1), labelled by the
  sign of ``x1 x2``: no line gets more than three clusters right (accuracy 0.75 on equal clusters),
  while the Bayes accuracy is ``1 - 2 p (1 - p)`` with ``p = Phi(-1 / XOR_NOISE)``, 0.996 here.
"""

from __future__ import annotations

import math

import numpy as np

SEEDS = 20
QUICK_SEEDS = 5

MARGIN = 0.1            # the separable set's gap on each side of its line
XOR_NOISE = 0.35        # the XOR clusters' standard deviation
N_TEST = 1000           # fresh test points per seed and problem

# Budgets: the full and the quick run differ in replicates and epochs only.
FULL = {"n_train": 200, "perceptron_epochs": 100, "adaline_epochs": 100, "mlp_epochs": 150}
QUICK = {"n_train": 200, "perceptron_epochs": 50, "adaline_epochs": 50, "mlp_epochs": 150}

PERCEPTRON_LR = 1.0     # irrelevant from w = 0 (the weights scale with it, the mistakes do not)
ADALINE_LR = 0.01       # the class's default; LMS then hovers within ~lr of the least-squares fit

# The one-hidden-layer MLP that solves XOR: 2-8-2 tanh, momentum SGD, float64.
MLP_HIDDEN = 8
MLP_LR = 0.1
MLP_MOMENTUM = 0.9
MLP_BATCH = 20

# Thresholds (fixed before the run; where each comes from is in the claim's statistic text).
NOVIKOFF_RATIO = 1.0            # updates / (R / gamma)^2 cannot exceed 1 (Novikoff 1962)
UNCONVERGED_RATIO = 10.0        # what a Perceptron run with no clean epoch in its budget counts as
XOR_MISTAKE_SHARE = 0.2         # a line leaves >= 0.25 of four equal clusters wrong; 0.2 allows for the noise
ADALINE_DISTANCE = 0.05         # relative distance to the least-squares (w, b): a few times lr
SHRINK_RATIO = 1.0              # distance after the last epoch / after the first: 1 = no shrinking (the null)
SOLVES_XOR = 0.95               # mlplab's "solves": test accuracy above 0.95 (Bayes 0.996)
LINEAR_CEILING = 0.75           # the most a line gets right on four equal clusters


def separable(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` points of the separable problem, their labels in {-1, +1}, and the line ``(u1, u2, c)``
    that drew them (``u`` a unit vector).  Call once per seed with the seed's generator: the line
    comes first, then the points."""
    angle = rng.uniform(0, 2 * math.pi)
    line = np.array([math.cos(angle), math.sin(angle), rng.uniform(-0.3, 0.3)])
    return (*separable_points(rng, n, line), line)


def separable_points(rng: np.random.Generator, n: int, line: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points uniform in [-1, 1]^2 at least MARGIN from ``line``, and their sides as labels."""
    kept: list[np.ndarray] = []
    while sum(len(k) for k in kept) < n:
        X = rng.uniform(-1, 1, size=(2 * n, 2))
        kept.append(X[np.abs(X @ line[:2] + line[2]) >= MARGIN])
    X = np.concatenate(kept)[:n]
    return X, np.where(X @ line[:2] + line[2] > 0, 1.0, -1.0)


def xor(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` noisy XOR points (equal clusters, up to ``n`` mod 4) and labels in {-1, +1}: sign(c1 c2)."""
    corners = np.array([[1.0, 1.0], [-1.0, -1.0], [1.0, -1.0], [-1.0, 1.0]])
    which = np.arange(n) % 4
    X = corners[which] + XOR_NOISE * rng.standard_normal((n, 2))
    return X, np.where(which < 2, 1.0, -1.0)


def novikoff_bound(X: np.ndarray, y: np.ndarray, line: np.ndarray) -> float:
    """``(R / gamma)^2`` in the inputs ``(x, 1)`` the Perceptron's bias makes: ``R`` their largest
    norm, ``gamma`` the smallest ``y (u.x + c) / ||(u, c)||`` for the line that drew the labels (a
    separator's margin: the best one's is larger, so the bound is valid, if looser)."""
    R = float(np.sqrt((X ** 2).sum(axis=1) + 1).max())
    gamma = float((y * (X @ line[:2] + line[2])).min() / np.linalg.norm(line))
    if gamma <= 0:
        raise ValueError(f"the line does not separate these labels (margin {gamma})")
    return (R / gamma) ** 2


def bayes_xor_accuracy(noise: float = XOR_NOISE) -> float:
    """The best accuracy any classifier gets on the noisy XOR: right unless exactly one coordinate
    crosses 0, ``1 - 2 p (1 - p)`` with ``p = Phi(-1 / noise)``."""
    p = 0.5 * math.erfc(1 / (noise * math.sqrt(2)))
    return 1 - 2 * p * (1 - p)
