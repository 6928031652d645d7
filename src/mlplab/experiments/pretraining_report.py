"""Tables, figures and notes of the pre-training experiment (:mod:`pretraining`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mlplab.experiments.base import Result, Table, add_figure, mean_spread
from mlplab.experiments.pretraining_setup import (CHANCE, LONG, MARGIN, SMALL_TOP, TRAINS_BELOW, TUNING_SEED, Arm, Setup,
                                                  ae_epochs, judged_arms)
from mlplab.report import pyplot


def tables(result: Result, setup: Setup, outcomes: dict, rates: dict, trained: int, judged: int,
           test: dict) -> None:
    rows = []
    for arm, runs in sorted(outcomes.items(), key=lambda item: (item[0].depth, bool(item[0].top))):
        optimiser = "Adam" if arm.top else "SGD"
        rows.append([arm.depth, arm.label(), f"{optimiser} {rates[arm]:g}", arm.total_updates(setup),
                     mean_spread([o.train for o in runs]), mean_spread([o.test for o in runs]),
                     sum(o.diverged for o in runs)])
    pre_updates = setup.pretrain_epochs * setup.steps
    result.tables.append(Table(
        f"Fashion-MNIST, {setup.n_train} training images (rates tuned on {setup.n_val} others), whole 10,000-image "
        f"test set; {setup.width} units per hidden layer; SGD momentum 0.9 (Adam for the top-layer arms, "
        f"{LONG}x the supervised updates), batch {setup.batch}; a pre-trained net gets {setup.updates} supervised "
        f"updates after {pre_updates} autoencoder updates per layer (Adam 1e-3, squared error, tied weights); a "
        f"random start with equal total updates gets those as supervised updates. Both starts train up to depth "
        f"{trained}; the claims are judged at depth {judged}",
        ["depth", "start", "optimiser, lr (tuned)", "total updates", "training error", "test error", "diverged"],
        rows))
    a = judged_arms(judged)
    pre = test[a["pre"]]
    diff_rows = []
    for key, role in (("random", "judged (claim 1)"), ("secondary", "secondary, not judged")):
        d = pre - test[a[key]]
        diff_rows.append([a[key].label(), role, a[key].total_updates(setup), f"{d.mean():+.4f}",
                          f"{d.std(ddof=1):.4f}"])
    result.tables.append(Table(
        f"Claim 1's comparison at depth {judged} against both random (Xavier) controls: per-seed test error, "
        "pre-trained minus random (mean, sd over seeds). Only the equal-total-updates control is judged; the "
        "equal-fine-tuning row shows how much of the gain the extra autoencoder updates alone could explain",
        ["random control", "role", "its total updates", "mean difference", "sd"], diff_rows))


def figures(result: Result, out: Path, setup: Setup, test: dict, judged: int, ae: dict, pca: float,
            mean_image: float) -> None:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for arm_of, label in ((lambda d: Arm(d, matched=True), "random (Xavier), equal total updates"),
                          (lambda d: Arm(d, True), "pre-trained")):
        errors = [test[arm_of(d)] for d in setup.depths]
        ax.errorbar(setup.depths, [e.mean() for e in errors], yerr=[e.std(ddof=1) for e in errors], marker="o",
                    capsize=3, label=label)
    a = judged_arms(judged)
    for key, marker in (("secondary", "x"), ("relu", "s"), ("bn", "^")):
        arm = a[key]
        ax.errorbar([judged + 0.1], [test[arm].mean()], yerr=[test[arm].std(ddof=1)], marker=marker, ls="",
                    capsize=3, label=arm.label())
    ax.axhline(CHANCE, color="k", lw=0.6, ls=":")
    ax.set_xlabel("hidden layers (sigmoid unless labelled)")
    ax.set_ylabel("test error (10,000 images)")
    add_figure(result, fig, out, "depth.png",
               "Test error by depth, mean and std over seeds (dotted: chance). Look for where the starts stop "
               "training (at chance), whether the pre-trained curve lies below the random one given equal total "
               "updates, and where the secondary equal-fine-tuning control and the unpretrained He + ReLU and "
               "batch-norm nets sit at the judged depth.")
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for x, (pretrained, label) in enumerate(((False, "random (Xavier),\nequal total updates"),
                                             (True, "RBM pre-trained"))):
        mse = np.array([m for m, _ in ae[pretrained]])
        ax.plot(np.full(mse.size, x) + np.linspace(-0.1, 0.1, mse.size), mse, "o", alpha=0.6)
        ax.plot([x - 0.2, x + 0.2], [mse.mean()] * 2, color="k")
    ax.axhline(pca, color="C2", ls="--", label=f"PCA, {setup.ae_sizes[-1]} components")
    ax.axhline(mean_image, color="C3", ls=":", label="training mean image")
    ax.set_xticks([0, 1], ["random (Xavier),\nequal total updates", "RBM pre-trained"])
    ax.set_xlim(-0.6, 1.6)
    ax.set_ylabel("test reconstruction MSE per pixel (10,000 images)")
    add_figure(result, fig, out, "autoencoder.png",
               f"The deep autoencoder {'-'.join(map(str, setup.ae_sizes))} (and its mirror): test reconstruction "
               "error per seed (dots; bar: mean), what claims 7 and 8 judge. Look for whether the pre-trained "
               "start lies below the random one, and whether either reaches the PCA line (dashed).")


def notes(result: Result, setup: Setup, trained: int, judged: int, outcomes: dict, ae: dict, pca: float,
          mean_image: float, quick: bool) -> None:
    ae_random = float(np.mean([m for m, _ in ae[False]]))
    result.notes += [
        f"Budgets in updates (B1 of the review): a pre-trained classifier gets {setup.updates} supervised SGD updates "
        f"(batch {setup.batch}) after {setup.pretrain_epochs * setup.steps} autoencoder updates per hidden layer; the "
        "judged random (Xavier) start gets equal total updates, i.e. those autoencoder updates as extra supervised "
        "ones at its own tuned rate (so does every other start without pre-training: He + ReLU, batch norm, the "
        f"small-top control). The old equal-fine-tuning control ({setup.updates} updates) is kept as a secondary, "
        "unjudged row: with it, pre-training looked better than it is at equal total updates.",
        f"The deep autoencoder: {setup.ae_epochs * setup.steps} fine-tuning updates after "
        f"{setup.ae_pretrain_epochs * setup.steps} CD-1 updates per encoder layer for the pre-trained one; the random "
        f"start gets {ae_epochs(setup, False) * setup.steps} fine-tuning updates (equal total). Its RBM rate (SGD "
        "0.05) was set once by hand, not tuned. The autoencoder is scaled down from Hinton & Salakhutdinov's "
        "784-1000-500-250-30 on 60,000 images to "
        f"{'-'.join(map(str, setup.ae_sizes))} on {setup.n_train} images: with so few images and a "
        f"{setup.ae_sizes[-1]}-d code, PCA (a closed-form optimum of the linear problem) is hard to beat, so "
        "claim 8 tests their headline far outside the regime it was made in.",
        f"Rates: SGD (momentum 0.9) arms from {list(setup.rates)}, Adam (top-layer) arms from "
        f"{list(setup.adam_rates)}, each by its validation error at seed {TUNING_SEED} (never an evaluation seed); "
        f"when the best rate is on an edge of its grid, one more step beyond it ({setup.outer} for SGD, "
        f"{setup.adam_outer or 'none'} for Adam) is tried too (S4 of the review: the earlier grid's edges were picked by "
        "several arms). A rate still on the extended grid's edge is shown in the table. The Adam arms get no "
        "extension in the full run, for time: in the previous full run of this version (same grid, seed 1000) the "
        "extension was tried and not taken (large top 3e-3 over 1e-2; 20-unit top 1e-3 over 3e-4 pre-trained, "
        "3e-3 over 1e-2 random). The secondary equal-fine-tuning control is not tuned: it keeps the judged "
        "control's rate, as in the review's comparison. A diverged run (in "
        f"pre-training or fine-tuning) counts as chance (error {CHANCE}) in tuning and in the claims.",
        f"'An arm trains' (fixed before the run): its training error is below {TRAINS_BELOW} on every seed. The "
        "judged depth is the deepest where both the random start (equal total updates) and the pre-trained one "
        f"train, at it and every shallower depth: here both train up to depth {trained}, and the claims are "
        f"judged at depth {judged}. (When no depth qualifies, the depth where the random start's worst seed trains "
        "best.) Claims 1, 3, 4, 5 and 6 therefore rest on that one depth, and claim 2 on the depths up to it. "
        f"The sweep is {list(setup.depths)}, to fit the time budget: two first runs of this version (depths 1-4, "
        "then 1, 3, 4; the second took 394 s, over the 6-minute budget) found both starts training at every "
        "depth, claim 1 at -0.0044 [-0.027, 0.018] at depth 4 and claim 2 at +0.0028 [-0.006, 0.012] over depths "
        "1-4; depth 5 was dropped after the earlier run (equal fine-tuning updates) found the pre-trained start "
        "failing to train there (training error 0.52 +- 0.23, one seed at chance) and the random start at chance. "
        "Claim 2's slope over two depths is the change in the gain from depth 1 to depth 4, per layer.",
        "Choices made after seeing results: judging at the deepest trainable depth (rather than a fixed depth) "
        "was decided by the experiment's first author after exploratory runs in which pre-training made no "
        "difference at depths 1-3 and helped at depth 4 against the equal-fine-tuning control (which seeds those "
        "runs used is not recorded; the earlier stored run, on evaluation seeds 0-9 and the whole test set, shows "
        "the same pattern, so take the rule as chosen with these seeds' results in view); the "
        "requirement that the pre-trained start train too was added after a review found that the pre-trained "
        "net failed it at depth 5 (training error 0.52, one seed at chance), where claims 5-6 had been judged. "
        f"The non-inferiority margin {MARGIN} of claims 5-6 is ours, chosen after the review had reported their "
        "differences at depth 4 (He + ReLU -0.055, batch norm -0.017 [-0.043, +0.009]).",
        f"Larochelle's claims train with Adam for {LONG}x the sweep's supervised updates (the review's exploration, "
        "seed 0: with Adam 1e-3 a depth-4 net with a 1,000-unit top reaches training error 0.076 after 1,000 "
        "updates and 0.000 after 3,000, where SGD at the sweep's budget left it at 0.72): the claim compares no "
        "arms, so the optimiser is chosen to let the large layer train. The small top layer of "
        f"{SMALL_TOP} units follows Erhan et al. 2010's constrained top layer as recalled from memory, not checked "
        "against the paper.",
        "A wide sigmoid layer's outputs sit near 0.5, so with SGD the output layer sees a large common component "
        "(||h||^2 ~ 0.25 x 1,000) and its steps along it are large: the rate that keeps them stable is too small "
        "for the layers below. Adam's per-weight scaling removes that.",
    ]
    result.notes.append(
        "Claim 7 is sensitive to the autoencoder's fine-tuning budget: a first full run of this version with 15 "
        "fine-tuning epochs (300 updates after the RBMs; random start 900) gave pre-trained/random 0.94 [0.918, "
        "0.963] (reproduced); this version's 10 epochs (200; random 800), cut for time, give the random start "
        "proportionally more, and the verdict should be read with that in mind.")
    if quick:
        share = (mean_image - ae_random) / (mean_image - pca)
        result.notes.append(
            f"Quick: the autoencoder's random start reaches test MSE {ae_random:.4f}, against {mean_image:.4f} for "
            f"the training mean image and {pca:.4f} for PCA: it is {share:.0%} of the way from the mean image to "
            "PCA" + (", i.e. it has barely started learning within the quick budget, so claim 7's quick verdict "
                     "compares against a start that has not learned." if share < 0.5 else "."))
    if setup.stored_rates:
        result.notes.append("This quick run does not tune: it uses the rates that the same tuning (validation, seed "
                            f"{TUNING_SEED}) chose for its setup once, stored in the module, to fit in 12 seconds.")
    if quick:
        # why the quick run is judged at a shallower depth than the full one (measured when it was cut to 12 s)
        result.notes.append(
            f"Quick: the sweep stops at depth {max(setup.depths)}, so its claims are judged there and not at the full "
            f"run's depth 4: with {setup.updates} fine-tuning updates the pre-trained start does not train deeper "
            "(at depth 3, training error 0.49 +- 0.05, one seed above 0.5, in a trial of this budget), and a budget "
            "where it trains at depth 4 (~300 fine-tuning updates at batch 50, the other arms' scaled to it) does "
            "not fit in 12 s.")
