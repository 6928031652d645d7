"""Generated data: the 2-D sets of DD2424's hidden-unit figures, and Gaussian inputs."""

from __future__ import annotations

import numpy as np

from mlplab.backend import make_rng
from mlplab.validation import check_number, check_positive_int


def spirals(n: int = 1000, classes: int = 2, noise: float = 0.2, turns: float = 1.5,
            seed: int | np.random.Generator | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spirals, one arm per class: radius grows with the angle, arms rotated by 2 pi / classes."""
    n, classes = check_positive_int("n", n), check_positive_int("classes", classes)
    noise = check_number("noise", noise, low=0.0)
    rng = make_rng(seed)
    y = np.arange(n) % classes
    t = rng.uniform(0.05, 1.0, size=n)                 # position along the arm
    angle = 2 * np.pi * turns * t + 2 * np.pi * y / classes
    radius = t + noise * 0.1 * rng.normal(size=n)
    X = np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
    return X, y.astype(np.int64)


def moons(n: int = 1000, noise: float = 0.1, seed: int | np.random.Generator | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles."""
    n = check_positive_int("n", n)
    noise = check_number("noise", noise, low=0.0)
    rng = make_rng(seed)
    y = np.arange(n) % 2
    angle = rng.uniform(0, np.pi, size=n)
    X = np.where(y[:, None] == 0,
                 np.column_stack([np.cos(angle), np.sin(angle)]),
                 np.column_stack([1 - np.cos(angle), 0.5 - np.sin(angle)]))
    return X + noise * rng.normal(size=X.shape), y.astype(np.int64)


def circles(n: int = 1000, noise: float = 0.05, factor: float = 0.5,
            seed: int | np.random.Generator | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """A circle of radius ``factor`` (class 1) inside a unit circle (class 0)."""
    n = check_positive_int("n", n)
    noise = check_number("noise", noise, low=0.0)
    factor = check_number("factor", factor, low=0.0, high=1.0, low_open=True, high_open=True)
    rng = make_rng(seed)
    y = np.arange(n) % 2
    angle = rng.uniform(0, 2 * np.pi, size=n)
    radius = np.where(y == 0, 1.0, factor)
    X = np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
    return X + noise * rng.normal(size=X.shape), y.astype(np.int64)


def gaussian(n: int = 1000, dim: int = 500, classes: int = 10,
             seed: int | np.random.Generator | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """DD2424 lecture 4's Gaussian inputs ``x ~ N(0, I)`` (DD2424's activation-statistics study),
    labelled by a random linear teacher so that the set is learnable."""
    n, dim, classes = check_positive_int("n", n), check_positive_int("dim", dim), check_positive_int("classes", classes)
    rng = make_rng(seed)
    X = rng.normal(size=(n, dim))
    teacher = rng.normal(size=(dim, classes))
    return X, (X @ teacher).argmax(axis=1).astype(np.int64)


TOY_SETS = {"spirals": spirals, "moons": moons, "circles": circles, "gaussian": gaussian}
