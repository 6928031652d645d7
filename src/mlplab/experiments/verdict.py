"""The one verdict rule of every experiment and replication (DESIGN.md, "the science contract").

A claim is a statistic, the direction the lecture notes (or the paper) predict, and a threshold
cited from them, all fixed in code before the run.  The run gives one value of the statistic per
independent replicate (a seed; a paired seed difference; a weight draw), and the verdict is read
off the 95% confidence interval of their mean:

- ``reproduced``      the whole interval lies on the predicted side of the threshold;
- ``not reproduced``  the whole interval lies on the other side;
- ``inconclusive``    the interval straddles the threshold (or there are too few replicates).

Intervals are Student-t intervals of the mean (paired when the arms share seeds: the replicate
is then the per-seed difference); ``log=True`` takes them on the log scale for ratios, whose
spread grows with their size.  Proportions (e.g. the share of runs that diverged) get Wilson's
score interval.  NaN values are refused: an experiment must say what a diverged or never-reached
run counts as before it computes a statistic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable

import numpy as np

VERDICTS = ("reproduced", "not reproduced", "inconclusive")
DIRECTIONS = (">", "<")
Z95 = 1.959963984540054


def t_quantile_975(df: float) -> float:
    """The 97.5th percentile of Student's t with ``df`` degrees of freedom (to ~1e-10).

    Solved by bisection on the t distribution's CDF, written through the regularised incomplete
    beta function (a continued fraction), so that no SciPy (and no second BLAS) is loaded."""
    if df < 1:
        raise ValueError(f"df must be >= 1, got {df}")
    low, high = 0.0, 100.0
    for _ in range(200):
        mid = (low + high) / 2
        if _t_cdf(mid, df) < 0.975:
            low = mid
        else:
            high = mid
    return (low + high) / 2


def _t_cdf(t: float, df: int) -> float:
    x = df / (df + t * t)
    tail = 0.5 * _incomplete_beta(x, df / 2, 0.5)
    return 1 - tail if t >= 0 else tail


def _incomplete_beta(x: float, a: float, b: float) -> float:
    """I_x(a, b) by Lentz's continued fraction (Numerical Recipes' betacf), for 0 <= x <= 1."""
    if x <= 0 or x >= 1:
        return float(x >= 1)
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x))
    if x > (a + 1) / (a + b + 2):                       # the fraction converges fast on this side only
        return 1 - _incomplete_beta(1 - x, b, a)
    c, d = 1.0, 1 - (a + b) * x / (a + 1)
    d = 1 / (d if abs(d) > 1e-300 else 1e-300)
    h = d
    for m in range(1, 400):
        for numerator in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                          -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            d = 1 + numerator * d
            d = 1 / (d if abs(d) > 1e-300 else 1e-300)
            c = 1 + numerator / c
            c = c if abs(c) > 1e-300 else 1e-300
            h *= d * c
        if abs(d * c - 1) < 1e-15:
            break
    return front * h / a


def mean_ci95(values: Iterable[float]) -> tuple[float, float, float]:
    """(mean, low, high): the Student-t 95% interval of the mean of ``values`` (n >= 2)."""
    x = np.asarray(list(values), dtype=np.float64)
    if x.size < 2:
        raise ValueError(f"a confidence interval needs at least 2 replicates, got {x.size}")
    if not np.isfinite(x).all():
        raise ValueError(f"values must be finite (decide what a diverged run counts as first): {x.tolist()}")
    mean = float(x.mean())
    half = t_quantile_975(x.size - 1) * float(x.std(ddof=1)) / math.sqrt(x.size)
    return mean, mean - half, mean + half


def wilson_ci95(successes: int, n: int) -> tuple[float, float, float]:
    """(share, low, high): Wilson's score interval of a proportion ``successes / n``."""
    if n < 1 or not 0 <= successes <= n:
        raise ValueError(f"need 0 <= successes <= n and n >= 1, got {successes} of {n}")
    p = successes / n
    centre = (p + Z95 ** 2 / (2 * n)) / (1 + Z95 ** 2 / n)
    half = Z95 / (1 + Z95 ** 2 / n) * math.sqrt(p * (1 - p) / n + Z95 ** 2 / (4 * n * n))
    return p, max(0.0, centre - half), min(1.0, centre + half)


def decide(low: float, high: float, threshold: float, direction: str) -> str:
    """The verdict of an interval [low, high] against ``estimate <direction> threshold``."""
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be '>' or '<', got {direction!r}")
    if direction == ">":
        return "reproduced" if low > threshold else "not reproduced" if high <= threshold else "inconclusive"
    return "reproduced" if high < threshold else "not reproduced" if low >= threshold else "inconclusive"


@dataclass
class Claim:
    """A claim of the lecture notes, its statistic, the interval measured, and the verdict.

    ``claim`` and ``statistic`` are fixed text (no measured numbers in them: a quick and a full
    run of one experiment make the same claims, matched by their text); ``baseline`` says what the
    comparison is against and how well that learned (shown on the page, kept beside the claim)."""

    claim: str
    statistic: str
    estimate: float
    ci95: list[float]
    threshold: float
    direction: str
    n: int
    verdict: str
    baseline: str = ""

    KEYS = ("claim", "statistic", "estimate", "ci95", "threshold", "direction", "n", "verdict")

    def __post_init__(self) -> None:
        self.estimate, self.threshold, self.n = float(self.estimate), float(self.threshold), int(self.n)
        self.ci95 = [float(self.ci95[0]), float(self.ci95[1])]
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, got {self.verdict!r}")
        if self.direction not in DIRECTIONS:
            raise ValueError(f"direction must be '>' or '<', got {self.direction!r}")

    @classmethod
    def from_samples(cls, claim: str, statistic: str, samples: Iterable[float], threshold: float, direction: str,
                     log: bool = False, baseline: str = "") -> "Claim":
        """The claim ``mean(samples) <direction> threshold`` judged by its t interval (on the log scale
        when ``log``: then the estimate is the geometric mean, and samples must be positive)."""
        x = np.asarray(list(samples), dtype=np.float64)
        if log:
            if not (x > 0).all():
                raise ValueError(f"log=True needs positive samples: {x.tolist()}")
            mean, low, high = (math.exp(v) for v in mean_ci95(np.log(x)))
        else:
            mean, low, high = mean_ci95(x)
        return cls(claim, statistic, mean, [low, high], threshold, direction, x.size,
                   decide(low, high, threshold, direction), baseline)

    @classmethod
    def from_paired(cls, claim: str, statistic: str, a: Iterable[float], b: Iterable[float], threshold: float,
                    direction: str, log: bool = False, baseline: str = "") -> "Claim":
        """A paired comparison of two arms run on the same seeds: the replicate is ``a - b`` per seed
        (``a / b`` with ``log``)."""
        a, b = np.asarray(list(a), dtype=np.float64), np.asarray(list(b), dtype=np.float64)
        if a.shape != b.shape:
            raise ValueError(f"paired arms need one value per seed each, got {a.size} and {b.size}")
        return cls.from_samples(claim, statistic, a / b if log else a - b, threshold, direction, log, baseline)

    @classmethod
    def from_proportion(cls, claim: str, statistic: str, successes: int, n: int, threshold: float, direction: str,
                        baseline: str = "") -> "Claim":
        """A claim about a share (``successes`` of ``n`` independent runs), by Wilson's interval."""
        p, low, high = wilson_ci95(int(successes), int(n))
        return cls(claim, statistic, p, [low, high], threshold, direction, n, decide(low, high, threshold, direction),
                   baseline)

    @classmethod
    def from_summary(cls, claim: str, statistic: str, mean: float, sd: float, n: int, threshold: float,
                     direction: str, baseline: str = "") -> "Claim":
        """Like :meth:`from_samples`, from a mean, a standard deviation (ddof 1) and ``n`` alone (a table
        kept without its per-seed values)."""
        if n < 2 or not (math.isfinite(mean) and math.isfinite(sd)):
            raise ValueError(f"a confidence interval needs n >= 2 and a finite mean and sd, got {mean}, {sd}, {n}")
        half = t_quantile_975(n - 1) * sd / math.sqrt(n)
        return cls(claim, statistic, mean, [mean - half, mean + half], threshold, direction, n,
                   decide(mean - half, mean + half, threshold, direction), baseline)

    @classmethod
    def from_summaries(cls, claim: str, statistic: str, a: tuple[float, float, int], b: tuple[float, float, int],
                       threshold: float, direction: str, baseline: str = "") -> "Claim":
        """The difference of two arms' means, ``a - b``, each given as (mean, sd, n), by Welch's interval:
        for tables kept without per-seed values, where the pairing is lost (wider than a paired interval)."""
        return cls.from_contrast(claim, statistic, [(1.0, a), (-1.0, b)], threshold, direction, baseline)

    @classmethod
    def from_contrast(cls, claim: str, statistic: str, arms: list[tuple[float, tuple[float, float, int]]],
                      threshold: float, direction: str, baseline: str = "") -> "Claim":
        """A contrast sum_i c_i mean_i of independent arms given as (c_i, (mean, sd, n)), e.g. a
        difference of two differences, with the Welch-Satterthwaite degrees of freedom."""
        if any(n < 2 or not (math.isfinite(m) and math.isfinite(sd)) for _, (m, sd, n) in arms):
            raise ValueError(f"every arm needs n >= 2 and a finite mean and sd, got {arms}")
        parts = [c * c * sd * sd / n for c, (_, sd, n) in arms]
        se = math.sqrt(sum(parts))
        df = (sum(parts) ** 2 / sum(p * p / (n - 1) for p, (_, (_, _, n)) in zip(parts, arms)) if se > 0
              else float(sum(n for _, (_, _, n) in arms) - len(arms)))
        estimate = sum(c * m for c, (m, _, _) in arms)
        half = t_quantile_975(df) * se
        return cls(claim, statistic, estimate, [estimate - half, estimate + half], threshold, direction,
                   sum(n for _, (_, _, n) in arms), decide(estimate - half, estimate + half, threshold, direction),
                   baseline)

    def record(self) -> dict:
        """The ``result.json`` form: exactly :attr:`KEYS`."""
        return {key: getattr(self, key) for key in self.KEYS}
