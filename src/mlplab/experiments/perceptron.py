"""Where it all began: the Perceptron, ADALINE, and the XOR a hidden layer solves (DD2424 lecture 4).

DD2424 lecture 4 opens its history with Rosenblatt's Perceptron (1957: ``w <- w + y x`` on a
mistake) and Widrow and Hoff's ADALINE (1960: ``w <- w + eta (y - y_hat) x`` on every example),
both single linear units (:mod:`mlplab.linear`), and then Rumelhart, Hinton and Williams' 1986
back-propagation through hidden units.  The claims test what follows from each:

1. on linearly separable data the Perceptron reaches an epoch without a mistake, after no more
   updates than Novikoff's bound ``(R / gamma)^2`` (a theorem, so a consequence the code could fail:
   a missing bias step, a wrong sign or a mistake not counted would break it);
2. on XOR it never does: its mistakes per epoch stay near the quarter a best line leaves wrong;
3-4. ADALINE's weights ``(w, b)`` go to the least-squares fit of the labels (``numpy.linalg.lstsq``
   on ``(x, 1)``), their distance shrinking with the epochs to a few times the rate;
5-6. a 2-8-2 tanh MLP (mlplab's ``mlp`` and ``Trainer``) solves the noisy XOR, beating the better
   of the two linear models by more than the gap between "solves" (0.95) and a line's 0.75.

Data (:mod:`.perceptron_setup`): fresh 2-D training and test sets per seed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import mlplab as ml
from mlplab.experiments import perceptron_report as report
from mlplab.experiments import perceptron_setup as setup
from mlplab.experiments.base import Result, Timer
# (SEEDS and QUICK_SEEDS are read here by mlplab.experiments.default_seeds)
from mlplab.experiments.perceptron_setup import QUICK_SEEDS, SEEDS  # noqa: F401
from mlplab.experiments.verdict import Claim
from mlplab.linear import Adaline, Perceptron
from mlplab.train import Trainer, TrainingDiverged, accuracy

NAME = "perceptron"
TITLE = ("the Perceptron separates what a line can separate, within Novikoff's bound, and never XOR; ADALINE finds "
         "the least-squares line; one hidden layer solves XOR")
SOURCE = ("DD2424 lecture 4 (the history: Rosenblatt's Perceptron, Widrow and Hoff's ADALINE, Rumelhart, Hinton and "
          "Williams 1986); Novikoff 1962; Minsky and Papert 1969")

DIVERGED_DISTANCE = 1e3       # what a diverged ADALINE's relative distance to the least-squares fit counts as
CHANCE = 0.5                  # what a diverged MLP's test accuracy counts as (two balanced classes)


@dataclass
class Seed:
    """What one seed measured (the fitted models of the figures are kept for seed 0 only)."""

    novikoff_ratio: float = math.nan        # updates before the clean epoch / (R / gamma)^2
    updates: int = 0
    bound: float = math.nan
    converged: bool = False
    xor_share: float = math.nan             # fewest mistakes in an epoch on XOR / n
    distances: list[float] = field(default_factory=list)   # ADALINE's relative distance per epoch
    accuracy: dict[str, float] = field(default_factory=dict)   # "<model> <problem>" -> test accuracy
    models: dict[str, object] = field(default_factory=dict)


def relative_distance(theta: np.ndarray, target: np.ndarray) -> float:
    """``||theta - target|| / ||target||``."""
    return float(np.linalg.norm(theta - target) / np.linalg.norm(target))


def least_squares(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The ``(w, b)`` minimising ``sum (y - w.x - b)^2``: ``numpy.linalg.lstsq`` on ``(x, 1)``."""
    return np.linalg.lstsq(np.column_stack([X, np.ones(len(X))]), y, rcond=None)[0]


def novikoff_ratio(perceptron: Perceptron, bound: float) -> float:
    """Claim 1's statistic: the updates over the bound; a run with no clean epoch counts as UNCONVERGED_RATIO."""
    return perceptron.updates_ / bound if perceptron.converged_ else setup.UNCONVERGED_RATIO


def adaline_distances(X: np.ndarray, y: np.ndarray, epochs: int, seed: int) -> tuple[list[float], Adaline | None]:
    """ADALINE's relative distance to the least-squares ``(w, b)`` after each epoch, and the model
    (a diverged run: DIVERGED_DISTANCE every epoch, and None)."""
    target = least_squares(X, y)
    try:
        model = Adaline(lr=setup.ADALINE_LR, epochs=epochs, seed=seed).fit(X, y)
    except TrainingDiverged:
        return [DIVERGED_DISTANCE] * epochs, None
    return [relative_distance(theta, target) for theta in model.path_], model


def mlp_on_xor(X: np.ndarray, y: np.ndarray, epochs: int, seed: int) -> ml.Sequential | None:
    """The 2-8-2 tanh MLP trained on XOR (labels {-1, +1} -> classes {0, 1}); None if it diverged."""
    net = ml.mlp(2, [setup.MLP_HIDDEN], 2, activation="tanh", dtype="float64", seed=seed)
    trainer = Trainer(net, ml.optim.SGD(lr=setup.MLP_LR, momentum=setup.MLP_MOMENTUM), batch_size=setup.MLP_BATCH,
                      epochs=epochs, seed=seed)
    try:
        trainer.fit(X, (y > 0).astype(np.int64))
    except TrainingDiverged:
        return None
    return net


def run_seed(seed: int, budget: dict[str, int]) -> Seed:
    """Every model of one seed on its own draw of both problems."""
    rng = np.random.default_rng([seed, 19])
    n = budget["n_train"]
    X, y, line = setup.separable(rng, n)
    Xt, yt = setup.separable_points(rng, setup.N_TEST, line)
    Xx, yx = setup.xor(rng, n)
    Xxt, yxt = setup.xor(rng, setup.N_TEST)
    out = Seed(bound=setup.novikoff_bound(X, y, line))
    p_sep = Perceptron(lr=setup.PERCEPTRON_LR, epochs=budget["perceptron_epochs"], seed=seed).fit(X, y)
    out.updates, out.converged = p_sep.updates_, p_sep.converged_
    out.novikoff_ratio = novikoff_ratio(p_sep, out.bound)
    p_xor = Perceptron(lr=setup.PERCEPTRON_LR, epochs=budget["perceptron_epochs"], seed=seed).fit(Xx, yx)
    out.xor_share = min(p_xor.mistakes_) / n
    out.distances, a_sep = adaline_distances(X, y, budget["adaline_epochs"], seed)
    _, a_xor = adaline_distances(Xx, yx, budget["adaline_epochs"], seed)
    net = mlp_on_xor(Xx, yx, budget["mlp_epochs"], seed)
    out.accuracy = {"Perceptron separable": p_sep.score(Xt, yt), "Perceptron XOR": p_xor.score(Xxt, yxt),
                    "ADALINE separable": a_sep.score(Xt, yt) if a_sep else CHANCE,
                    "ADALINE XOR": a_xor.score(Xxt, yxt) if a_xor else CHANCE,
                    "MLP XOR": accuracy(net, Xxt, (yxt > 0).astype(np.int64)) if net else CHANCE}
    if seed == 0:
        out.models = {"separable": (X, y, line), "xor": (Xx, yx), "Perceptron separable": p_sep,
                      "ADALINE separable": a_sep, "least squares separable": least_squares(X, y),
                      "Perceptron XOR": p_xor, "ADALINE XOR": a_xor, "MLP XOR": net,
                      "Perceptron mistakes": (p_sep.mistakes_, p_xor.mistakes_)}
    return out


def run(out: Path, seeds: int = SEEDS, quick: bool = False) -> Result:
    timer = Timer()
    result = Result(NAME, TITLE, SOURCE, seeds, quick)
    budget = setup.QUICK if quick else setup.FULL
    runs = [run_seed(seed, budget) for seed in range(seeds)]
    _claims(result, runs)
    report.tables(result, runs, budget)
    report.figures(result, out, runs)
    report.notes(result, runs, budget)
    result.seconds = timer.seconds()
    return result


def _mean(runs: list[Seed], key: str) -> float:
    return float(np.mean([r.accuracy[key] for r in runs]))


def _claims(result: Result, runs: list[Seed]) -> None:
    converged = sum(r.converged for r in runs)
    result.claims.append(Claim.from_samples(
        "The Perceptron reaches an epoch without a mistake on linearly separable data, after no more updates than "
        "Novikoff's bound (R/gamma)^2 (a check of the implementation: the theorem guarantees it on data with a margin)",
        "per seed: the Perceptron's updates (one per mistake) before its first epoch without a mistake, over "
        "(R/gamma)^2 (R: the largest norm of an input (x, 1); gamma: the margin, in those inputs, of the line that "
        "drew the labels); "
        "a run with no clean epoch in its budget counts as 10; geometric mean; threshold 1 (Novikoff 1962: the ratio "
        "cannot exceed 1)",
        [r.novikoff_ratio for r in runs], setup.NOVIKOFF_RATIO, "<", log=True,
        baseline=f"{converged} of {len(runs)} runs reached a clean epoch; test accuracy (mean over seeds) "
                 f"{_mean(runs, 'Perceptron separable'):.4f}"))
    result.claims.append(Claim.from_samples(
        "The Perceptron never reaches an epoch without a mistake on XOR: no line separates it, and it keeps erring on "
        "about the quarter of the examples a best line leaves wrong, or more (a sanity check: no epoch can be clean)",
        "per seed: the fewest mistakes the Perceptron makes in any epoch of its budget on the noisy XOR training set, "
        "as a share of the examples; threshold 0.2 (mlplab's, fixed before the run: a line gets at most three of the "
        "four equal clusters right, 0.25 wrong, less a margin for the noise)",
        [r.xor_share for r in runs], setup.XOR_MISTAKE_SHARE, ">",
        baseline=f"Perceptron's XOR test accuracy (mean over seeds) {_mean(runs, 'Perceptron XOR'):.4f}; the MLP's "
                 f"{_mean(runs, 'MLP XOR'):.4f}"))
    result.claims.append(Claim.from_samples(
        "ADALINE (Widrow-Hoff LMS) converges to the least-squares solution",
        "per seed: ||(w, b) - (w, b)_lstsq|| / ||(w, b)_lstsq|| after ADALINE's last epoch on the separable set (lr "
        "0.01), (w, b)_lstsq from numpy.linalg.lstsq on (x, 1); a diverged run counts as 1000; threshold 0.05 "
        "(mlplab's, fixed before the run: LMS at a constant rate hovers within a few times the rate of the solution)",
        [r.distances[-1] for r in runs], setup.ADALINE_DISTANCE, "<",
        baseline=f"ADALINE's separable test accuracy (mean over seeds) {_mean(runs, 'ADALINE separable'):.4f}; the "
                 f"Perceptron's {_mean(runs, 'Perceptron separable'):.4f}"))
    result.claims.append(Claim.from_samples(
        "ADALINE's distance to the least-squares solution shrinks with the epochs",
        "per seed: ADALINE's relative distance to (w, b)_lstsq after its last epoch over the same after its first; "
        "geometric mean; threshold 1 (no shrinking: the notes give only the direction)",
        [max(r.distances[-1], 1e-300) / max(r.distances[0], 1e-300) for r in runs], setup.SHRINK_RATIO, "<",
        log=True, baseline=f"relative distance after the first epoch (mean over seeds) "
                           f"{np.mean([r.distances[0] for r in runs]):.3g}, after the last "
                           f"{np.mean([r.distances[-1] for r in runs]):.3g}"))
    result.claims.append(Claim.from_samples(
        "A one-hidden-layer MLP solves XOR",
        "per seed: test accuracy on 1,000 fresh noisy-XOR points of a 2-8-2 tanh MLP (mlplab's mlp and Trainer); a "
        "diverged run counts as 0.5 (chance); threshold 0.95 (mlplab's 'solves', fixed before the run; the Bayes "
        "accuracy of this XOR is 0.996)",
        [r.accuracy["MLP XOR"] for r in runs], setup.SOLVES_XOR, ">",
        baseline=f"test accuracy (mean over seeds): MLP {_mean(runs, 'MLP XOR'):.4f}, Perceptron "
                 f"{_mean(runs, 'Perceptron XOR'):.4f}, ADALINE {_mean(runs, 'ADALINE XOR'):.4f} (chance 0.5)"))
