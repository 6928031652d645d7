"""The pre-training experiment's settings, its sizes (:class:`Setup`, ``FULL``, ``QUICK``) and its arms
(:class:`Arm`), with the small helpers the claims and the report share: read by the runs in
:mod:`.pretraining`, the claims in :mod:`.pretraining_claims` and the report in :mod:`.pretraining_report`."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

SEEDS = 10
QUICK_SEEDS = 3

CHANCE = 0.9            # ten classes: the error of a net that never started, and of a diverged run
TRAINS_BELOW = 0.5      # "an arm trains": its training error is below this on every seed (chance 0.9)
NEAR_ZERO = 0.01        # Larochelle's "goes to 0": a training error below 1%
MARGIN = 0.02           # non-inferiority margin in test error for "removed the need" (ours; fixed before the run)
LONG = 3                # the top-layer claims' budget: LONG times the sweep's supervised updates, Adam
SMALL_TOP = 20          # the small top layer (Erhan et al. 2010's constrained top layer, from memory)
TUNING_SEED = 1000      # rates are tuned with this seed, which is never an evaluation seed


@dataclass(frozen=True)
class Setup:
    """The sizes of one run (full or quick)."""

    n_train: int                  # labelled Fashion-MNIST training images
    n_val: int                    # a disjoint validation split, for tuning rates
    width: int                    # units per hidden layer
    top: int                      # Larochelle's large top layer
    depths: tuple[int, ...]       # hidden layers in the depth sweep
    batch: int
    epochs: int                   # supervised fine-tuning epochs (updates = epochs * steps)
    pretrain_epochs: int          # unsupervised epochs per layer
    rates: tuple[float, ...]      # the SGD (momentum 0.9) grid every SGD arm is tuned over
    outer: tuple[float, float]    # one step beyond each edge of ``rates``, tried when the best rate is on that edge
    adam_rates: tuple[float, ...]  # the Adam grid of the top-layer arms
    adam_outer: tuple             # as ``outer`` for Adam; () for none (the full run cannot afford it)
    ae_sizes: tuple[int, ...]     # the deep autoencoder's encoder
    ae_epochs: int                # its fine-tuning epochs (the pre-trained start)
    ae_pretrain_epochs: int       # its RBM epochs per layer
    stored_rates: tuple = ()      # ((Arm, rate), ...): rates tuned once by :func:`tune` and kept (quick only)

    @property
    def steps(self) -> int:
        """Updates per epoch (the last batch may be short, never dropped)."""
        return -(-self.n_train // self.batch)

    @property
    def updates(self) -> int:
        return self.epochs * self.steps


@dataclass(frozen=True)
class Arm:
    """One way of starting and training a classifier.

    ``matched``: a start without pre-training that is given the pre-trained arm's autoencoder updates
    (``pretrain_epochs`` per layer) as extra supervised updates: equal total updates.  ``top``:
    ``"large"`` or ``"small"`` replaces the last hidden layer, and trains with Adam for ``LONG`` times
    the supervised epochs."""

    depth: int
    pretrained: bool = False
    activation: str = "sigmoid"
    batchnorm: bool = False
    top: str = ""
    matched: bool = False

    def hidden(self, setup: Setup) -> list[int]:
        sizes = [setup.width] * self.depth
        if self.top:
            sizes[-1] = setup.top if self.top == "large" else SMALL_TOP
        return sizes

    def epochs(self, setup: Setup) -> int:
        """Supervised epochs: ``epochs`` (times ``LONG`` for a top-layer arm), plus ``pretrain_epochs`` per
        hidden layer for a matched start (so that its total updates equal the pre-trained arm's)."""
        base = setup.epochs * (LONG if self.top else 1)
        return base + (setup.pretrain_epochs * self.depth if self.matched and not self.pretrained else 0)

    def total_updates(self, setup: Setup) -> int:
        """Supervised plus unsupervised updates."""
        pre = setup.pretrain_epochs * self.depth if self.pretrained else 0
        return (self.epochs(setup) + pre) * setup.steps

    def label(self) -> str:
        start = ("pre-trained" if self.pretrained else "He + ReLU" if self.activation == "relu" else
                 "random (Xavier)")
        text = start + (" + batch norm" if self.batchnorm else "")
        text += {"large": ", large top layer", "small": f", {SMALL_TOP}-unit top layer"}.get(self.top, "")
        if not self.pretrained and not self.top:
            text += ", equal total updates" if self.matched else ", equal fine-tuning updates (secondary, not judged)"
        return text


FULL = Setup(n_train=1000, n_val=1000, width=128, top=500, depths=(1, 4), batch=50, epochs=50,
             pretrain_epochs=10, rates=(0.01, 0.03, 0.1, 0.3), outer=(0.003, 1.0), adam_rates=(1e-3, 3e-3),
             adam_outer=(), ae_sizes=(784, 256, 64, 16), ae_epochs=10, ae_pretrain_epochs=10)
# The quick run (at most 12 s of CPU; the step count, not the arithmetic, sets its cost): half the images and
# half the width at the full run's batch (10 updates per epoch), 150 fine-tuning updates instead of 1,000 and 100
# autoencoder updates per layer instead of 200, a 256-unit large top layer (4x the width, as 500 is ~4x 128),
# depths 1 and 2 only (a depth-4 net whose pre-trained start trains needs ~600 fine-tuning updates at batch 25
# or ~300 at batch 50, over the budget), a smaller and shorter autoencoder, and the rates that :func:`tune`
# chose for this setup once (validation, seed 1000), kept so that it need not tune.
QUICK = replace(FULL, n_train=500, n_val=500, width=64, top=256, depths=(1, 2), epochs=15,
                ae_sizes=(784, 64, 16, 8), ae_epochs=5, ae_pretrain_epochs=5, stored_rates=(
                    (Arm(1, matched=True), 0.1), (Arm(1, True), 0.1), (Arm(2, matched=True), 0.1),
                    (Arm(2, True), 0.3), (Arm(2), 0.1), (Arm(2, activation="relu", matched=True), 0.01),
                    (Arm(2, batchnorm=True, matched=True), 0.1), (Arm(2, top="large"), 0.003),
                    (Arm(2, True, top="small"), 0.003), (Arm(2, top="small", matched=True), 0.003)))


def judged_arms(depth: int) -> dict[str, Arm]:
    """The arms the claims compare at the judged depth (see :func:`classifier_claims`)."""
    return {"random": Arm(depth, matched=True), "pre": Arm(depth, True),
            "secondary": Arm(depth),
            "relu": Arm(depth, activation="relu", matched=True), "bn": Arm(depth, batchnorm=True, matched=True),
            "large": Arm(depth, top="large"),
            "small_pre": Arm(depth, True, top="small"), "small_random": Arm(depth, top="small", matched=True)}


def per_seed_slopes(depths: list[int], gains: np.ndarray) -> np.ndarray:
    """Least-squares slope of ``gains[d, s]`` against depth, one per seed ``s``::

        slope_s = sum_d (d - mean d) (g_ds - mean_d g_ds) / sum_d (d - mean d)^2
    """
    d = np.asarray(depths, dtype=np.float64)
    centred = d - d.mean()
    g = np.asarray(gains, dtype=np.float64)
    return centred @ (g - g.mean(axis=0)) / (centred @ centred)


def ae_epochs(setup: Setup, pretrained: bool) -> int:
    """Fine-tuning epochs: the random start also gets the RBM epochs of every encoder layer (equal total)."""
    return setup.ae_epochs + (0 if pretrained else setup.ae_pretrain_epochs * (len(setup.ae_sizes) - 1))
