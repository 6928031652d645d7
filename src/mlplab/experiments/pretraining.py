"""Greedy layer-wise pre-training against random initialisation, and what replaced it.

The claims (all fixed here, before the run):

- CS7015 lecture 9, module 9.2 (Erhan et al. 2009): after "we add the output layer and train the
  whole network using the task specific objective", the notes ask "Why does this work better? Is
  it because of better optimization? Is it because of better regularization?": a sigmoid net that is
  greedily pre-trained as stacked autoencoders, then fine-tuned, reaches a lower test error than
  the same net from a random (Xavier) start given EQUAL TOTAL updates (the pre-trained arm's
  autoencoder updates are given to the random start as extra supervised updates); and (Erhan et
  al. 2009, cited there) the gain grows with depth, judged only at depths where both starts train.
- Module 9.2 (Larochelle et al. 2009): "if the last layer has large capacity then L(theta) goes to
  0 even without pre-training" (one arm, trained with Adam at a rate tuned on validation for three
  times the sweep's supervised updates) and "However, if the capacity of the network is small,
  unsupervised pre-training helps" (a 20-unit top layer, after Erhan et al. 2010's constrained top
  layer, recalled from memory; the same optimiser and budget).
- Balasubramanian lecture 30 (section 4.5): pre-training is "now replaced by better weight
  initialization methods"; He's and Xavier's initialisation "removed the need for unsupervised
  pre-training".  CS7015 lecture 9, module 9.5: batch normalization.  Judged as non-inferiority
  (a margin fixed here) of He + ReLU, and of batch norm in the same sigmoid net, both without
  pre-training, against the pre-trained sigmoid net, at the judged depth.
- Hinton & Salakhutdinov 2006 (module 9.2's "seminal work"): a deep autoencoder pre-trained with
  RBMs reconstructs test images better than the same autoencoder from a random start (given equal
  total updates), and better than PCA with as many components as the code.

A run that diverges (in pre-training or fine-tuning) counts as chance (error 0.9).  The run
itself and its claims are here; tables, figures and notes in :mod:`pretraining_report`.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import mlplab as ml
from mlplab.experiments import pretraining_claims as claims
from mlplab.experiments import pretraining_report as report
from mlplab.experiments.base import Result, Timer, load_split
# (SEEDS and QUICK_SEEDS are read here by mlplab.experiments.default_seeds)
from mlplab.experiments.pretraining_setup import (CHANCE, FULL, QUICK, QUICK_SEEDS, SEEDS, TRAINS_BELOW, TUNING_SEED,
                                                  Arm, Setup, ae_epochs, judged_arms)
from mlplab.pretrain import (deep_autoencoder, fine_tune_autoencoder, pca_reconstruction, pixel_mse, pretrain,
                             pretrain_autoencoder, reconstruct)
from mlplab.train import Trainer, TrainingDiverged, accuracy

NAME = "pretraining"
TITLE = ("greedy autoencoder pre-training against a random (Xavier) start at equal total updates, by depth; "
         "Larochelle's large and small top layers; He + ReLU and batch norm as replacements; Hinton & "
         "Salakhutdinov's deep autoencoder against its random start and PCA")
SOURCE = ("CS7015 lecture 9, modules 9.2 and 9.5 (Erhan et al. 2009, Larochelle et al. 2009, Hinton & "
          "Salakhutdinov 2006); Balasubramanian lecture 30 (section 4.5)")


@dataclass
class Data:
    X: np.ndarray
    y: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


@dataclass
class Outcome:
    """Errors of one trained classifier (chance for all three when it diverged)."""

    train: float
    val: float
    test: float
    diverged: bool = False


def load_data(setup: Setup) -> Data:
    """``n_train`` + ``n_val`` Fashion-MNIST images (a seeded subset, split in two), and the whole test set."""
    X, y, X_test, y_test = load_split("fashion-mnist", setup.n_train + setup.n_val)
    order = np.random.default_rng(0).permutation(X.shape[0])
    train, val = order[:setup.n_train], order[setup.n_train:]
    return Data(X[train], y[train], X[val], y[val], X_test, y_test)


def build(arm: Arm, setup: Setup, X: np.ndarray, seed: int, cache: dict | None = None) -> ml.Sequential:
    """The arm's net at ``seed``; a pre-trained arm's hidden layers are trained greedily as autoencoders
    (the notes' objective ``1/m sum_i sum_j (x_hat_ij - x_ij)^2``, tied weights, Adam 1e-3).  The
    pre-trained weights are the same whatever the fine-tuning rate, so ``cache`` keeps them."""
    key = (tuple(arm.hidden(setup)), arm.activation, arm.batchnorm, seed, X.shape)
    if arm.pretrained and cache is not None and key in cache:
        return copy.deepcopy(cache[key])
    net = ml.mlp(X.shape[1], arm.hidden(setup), 10, activation=arm.activation, batchnorm=arm.batchnorm, seed=seed)
    if arm.pretrained:
        pretrain(net, X, "autoencoder", epochs=setup.pretrain_epochs, lr=1e-3, batch_size=setup.batch, loss="mse",
                 seed=seed)
        if cache is not None:
            cache[key] = copy.deepcopy(net)
    return net


def error(net: ml.Sequential, X: np.ndarray, y: np.ndarray) -> float:
    return 1.0 - accuracy(net, X, y)


def optimizer(arm: Arm, lr: float) -> ml.optim.Optimizer:
    """Adam for the top-layer arms (Larochelle's claims compare no SGD arms); SGD with momentum 0.9 otherwise."""
    return ml.optim.Adam(lr=lr) if arm.top else ml.optim.SGD(lr=lr, momentum=0.9)


def train_arm(arm: Arm, lr: float, data: Data, setup: Setup, seed: int, cache: dict | None = None) -> Outcome:
    """Build, (pre-train,) fine-tune for ``arm.epochs(setup)`` epochs, and measure; a divergence in
    pre-training or fine-tuning (a non-finite loss, or outputs that overflow) counts as chance."""
    try:
        net = build(arm, setup, data.X, seed, cache)
        Trainer(net, optimizer(arm, lr), epochs=arm.epochs(setup), batch_size=setup.batch, seed=seed).fit(data.X,
                                                                                                          data.y)
        errors = [error(net, data.X, data.y), error(net, data.X_val, data.y_val), error(net, data.X_test, data.y_test)]
    except (TrainingDiverged, FloatingPointError):
        return Outcome(CHANCE, CHANCE, CHANCE, diverged=True)
    if not all(math.isfinite(e) for e in errors):
        return Outcome(CHANCE, CHANCE, CHANCE, diverged=True)
    return Outcome(*errors)


def best_rate(rates: tuple[float, ...], val_errors: list[float]) -> float:
    """The rate with the lowest validation error (the smaller rate on a tie: the safer one)."""
    return rates[int(np.argmin(np.asarray(val_errors)))]


def tune(arm: Arm, data: Data, setup: Setup, cache: dict | None = None) -> tuple[float, dict[float, float]]:
    """The arm's rate by validation error at :data:`TUNING_SEED`: over its grid, and when the best rate
    is on an edge, also one step beyond that edge (``outer``)."""
    grid, outer = (setup.adam_rates, setup.adam_outer) if arm.top else (setup.rates, setup.outer)
    val = {lr: train_arm(arm, lr, data, setup, TUNING_SEED, cache).val for lr in grid}
    best = best_rate(grid, [val[lr] for lr in grid])
    if outer and best in (grid[0], grid[-1]):
        extra = outer[0] if best == grid[0] else outer[1]
        val[extra] = train_arm(arm, extra, data, setup, TUNING_SEED, cache).val
    rates = tuple(sorted(val))
    return best_rate(rates, [val[lr] for lr in rates]), val


def trains(train_errors: list[float], below: float = TRAINS_BELOW) -> bool:
    """An arm trains when its training error is below ``below`` on every seed."""
    return max(train_errors) < below


def deepest_trainable(random: dict[int, list[float]], pre: dict[int, list[float]] | None = None,
                      below: float = TRAINS_BELOW) -> int:
    """The deepest depth ``D`` such that at every depth of the sweep up to ``D`` the random start (and the
    pre-trained one, when given) trains on every seed; 0 when the shallowest fails."""
    deepest = 0
    for depth in sorted(random):
        if not trains(random[depth], below) or (pre is not None and not trains(pre[depth], below)):
            break
        deepest = depth
    return deepest


def judged_depth(random: dict[int, list[float]], pre: dict[int, list[float]]) -> int:
    """:func:`deepest_trainable` of both starts; when no depth qualifies, the depth where the random
    start's worst seed trains best (never one where it sits at chance while a shallower one does not)."""
    deepest = deepest_trainable(random, pre)
    return deepest or min(random, key=lambda d: (max(random[d]), d))


# -- the deep autoencoder (Hinton & Salakhutdinov 2006) ------------------------------------------


def autoencoder_error(data: Data, setup: Setup, seed: int, pretrained: bool) -> tuple[float, list[float]]:
    """Test reconstruction error (mean squared error per pixel on the whole test set) of the deep
    autoencoder after fine-tuning (Adam 1e-3, cross-entropy), pre-trained with RBMs (CD-1, SGD 0.05) or
    from its random (Xavier) start; and its objective per epoch.  A diverged run counts as the error of
    reconstructing every image as the training mean."""
    model = deep_autoencoder(list(setup.ae_sizes), seed=seed)
    try:
        if pretrained:
            pretrain_autoencoder(model, data.X, "rbm", epochs=setup.ae_pretrain_epochs, lr=0.05, optimizer="sgd",
                                 batch_size=setup.batch, seed=seed)
        curve = fine_tune_autoencoder(model, data.X, epochs=ae_epochs(setup, pretrained), lr=1e-3,
                                      batch_size=setup.batch, seed=seed)
        mse = pixel_mse(data.X_test, reconstruct(model, data.X_test))
    except FloatingPointError:
        return mean_image_error(data), [math.nan] * ae_epochs(setup, pretrained)
    return (mse if math.isfinite(mse) else mean_image_error(data)), curve


def mean_image_error(data: Data) -> float:
    """The test error of reconstructing every image as the training mean (what a random start drifts to)."""
    return pixel_mse(data.X_test, np.broadcast_to(data.X.mean(axis=0), data.X_test.shape))


# -- the run -------------------------------------------------------------------------------------

def _evaluate(arms: list[Arm], rates: dict, outcomes: dict, data: Data, setup: Setup, seeds: int,
              cache: dict) -> None:
    for arm in arms:
        if arm not in rates:
            rates[arm], _ = tune(arm, data, setup, cache)
        if arm not in outcomes:
            outcomes[arm] = [train_arm(arm, rates[arm], data, setup, seed, cache) for seed in range(seeds)]


def run(out: Path, seeds: int = SEEDS, quick: bool = False) -> Result:
    timer = Timer()
    setup = QUICK if quick else FULL
    result = Result(NAME, TITLE, SOURCE, seeds, quick)
    data = load_data(setup)
    cache: dict = {}
    rates: dict[Arm, float] = dict(setup.stored_rates)
    outcomes: dict[Arm, list[Outcome]] = {}
    _evaluate([Arm(d, p, matched=not p) for d in setup.depths for p in (False, True)], rates, outcomes, data, setup,
              seeds, cache)
    random_train = {d: [o.train for o in outcomes[Arm(d, matched=True)]] for d in setup.depths}
    pre_train = {d: [o.train for o in outcomes[Arm(d, True)]] for d in setup.depths}
    trained = deepest_trainable(random_train, pre_train)
    judged = judged_depth(random_train, pre_train)
    # the secondary (equal fine-tuning) control keeps the judged control's rate, as in the review's comparison
    rates.setdefault(judged_arms(judged)["secondary"], rates[Arm(judged, matched=True)])
    _evaluate(list(judged_arms(judged).values()), rates, outcomes, data, setup, seeds, cache)

    test = {arm: np.array([o.test for o in runs]) for arm, runs in outcomes.items()}
    train = {arm: np.array([o.train for o in runs]) for arm, runs in outcomes.items()}
    claims.classifier_claims(result, setup, test, train, rates, judged)
    ae = {p: [autoencoder_error(data, setup, seed, p) for seed in range(seeds)] for p in (False, True)}
    pca = pixel_mse(data.X_test, pca_reconstruction(data.X, data.X_test, setup.ae_sizes[-1]))
    claims.autoencoder_claims(result, setup, ae, pca, mean_image_error(data))

    report.tables(result, setup, outcomes, rates, trained, judged, test)
    report.figures(result, out, setup, test, judged, ae, pca, mean_image_error(data))
    report.notes(result, setup, trained, judged, outcomes, ae, pca, mean_image_error(data), quick)
    result.seconds = timer.seconds()
    return result
