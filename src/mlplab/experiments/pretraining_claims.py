"""The pre-training experiment's claims: the classifier's at the judged depth (1-6) and the deep
autoencoder's (7-8). The runs that feed them are in :mod:`mlplab.experiments.pretraining`."""

from __future__ import annotations

import numpy as np

from mlplab.experiments.base import Claim, Result
from mlplab.experiments.pretraining_setup import (MARGIN, NEAR_ZERO, SMALL_TOP, TRAINS_BELOW, Arm, Setup, judged_arms,
                                                  per_seed_slopes)


def _acc(errors: np.ndarray) -> str:
    return f"{1 - float(np.mean(errors)):.3f}"


def _trains_text(train_errors: np.ndarray) -> str:
    bad = int(np.sum(np.asarray(train_errors) >= TRAINS_BELOW))
    return ("trains (training error below 0.5 on every seed)" if bad == 0 else
            f"DOES NOT TRAIN (training error >= 0.5 on {bad} seeds): the claim cannot be judged here, and the "
            "verdict is not evidence against it")


def classifier_claims(result: Result, setup: Setup, test: dict, train: dict, rates: dict, judged: int) -> None:
    """Claims 1-6, all at the judged depth (the deepest where both starts train)."""
    a = judged_arms(judged)
    random, pre, secondary = a["random"], a["pre"], a["secondary"]
    where = (f"at depth {judged}; the random start gets {random.total_updates(setup)} supervised updates, the "
             f"pre-trained one {setup.updates} after {setup.pretrain_epochs * setup.steps} autoencoder updates per "
             f"layer (secondary, equal fine-tuning updates: random {_acc(test[secondary])}, lr {rates[secondary]:g})")
    result.claims.append(Claim.from_paired(
        "Unsupervised pre-training lowers the test error of a sigmoid net against a random (Xavier) start given "
        "equal total updates, at the deepest depth where both starts train (CS7015 lecture 9, module 9.2; "
        "Erhan et al. 2009)",
        "per-seed paired difference in test error, pre-trained minus random (Xavier) with equal total updates "
        "(the autoencoder updates given as extra supervised ones); the notes give a direction only, so the "
        "threshold is 0",
        test[pre], test[random], 0.0, "<",
        baseline=f"test accuracy: random (Xavier) {_acc(test[random])} (lr {rates[random]:g}), pre-trained "
                 f"{_acc(test[pre])} (lr {rates[pre]:g}), {where}"))

    depths = [d for d in sorted({arm.depth for arm in test if arm.matched and not arm.top and arm.activation ==
                                 "sigmoid" and not arm.batchnorm}) if d <= judged]
    depths = depths if len(depths) >= 2 else sorted({arm.depth for arm in test if arm.pretrained})[:2]
    gains = np.array([test[Arm(d, matched=True)] - test[Arm(d, True)] for d in depths])
    result.claims.append(Claim.from_samples(
        "The gain from pre-training over a random (Xavier) start given equal total updates grows with depth, "
        "judged over the depths where both starts train (training error below 0.5 on every seed, chance 0.9) "
        "(Erhan et al. 2009, cited in CS7015 lecture 9, module 9.2)",
        "per-seed least-squares slope of the gain (test error, random with equal total updates minus "
        "pre-trained) against depth, over the sweep's depths up to the judged one (at least two); direction "
        "only, threshold 0",
        per_seed_slopes(depths, gains), 0.0, ">",
        baseline="test accuracy, random (Xavier, equal total updates) / pre-trained: " + ", ".join(
            f"depth {d}: {_acc(test[Arm(d, matched=True)])} / {_acc(test[Arm(d, True)])}" for d in depths)))

    large = a["large"]
    result.claims.append(Claim.from_samples(
        "With a large top hidden layer the training error goes to ~0 without pre-training, trained with Adam "
        "at a rate tuned on validation for three times the sweep's supervised updates, at the judged depth "
        "(CS7015 lecture 9, module 9.2: Larochelle et al. 2009)",
        "training error of the randomly (Xavier) started net whose last hidden layer is large; '~0' read as "
        "below 0.01 (our reading); judged only if the arm trains (training error below 0.5 on every seed)",
        train[large], NEAR_ZERO, "<",
        baseline=f"depth {judged}, top layer {setup.top} units, Adam lr {rates[large]:g}, "
                 f"{large.epochs(setup) * setup.steps} updates: the arm {_trains_text(train[large])}; training "
                 f"error {np.mean(train[large]):.4f}, test accuracy {_acc(test[large])}"))

    small_pre, small_random = a["small_pre"], a["small_random"]
    result.claims.append(Claim.from_paired(
        "With a small top hidden layer, pre-training lowers the training error (better optimisation) against a "
        "random (Xavier) start given equal total updates, both trained with Adam as in the large-top claim, at "
        "the judged depth (CS7015 lecture 9, module 9.2: 'if the capacity of the network is small, "
        "unsupervised pre-training helps'; the 20-unit top layer after Erhan et al. 2010, from memory)",
        "per-seed paired difference in training error, pre-trained minus random with equal total updates; "
        "direction only, threshold 0",
        train[small_pre], train[small_random], 0.0, "<",
        baseline=f"depth {judged}, top layer {SMALL_TOP} units: training error random (Xavier) "
                 f"{np.mean(train[small_random]):.4f} (Adam lr {rates[small_random]:g}, "
                 f"{small_random.total_updates(setup)} updates), pre-trained {np.mean(train[small_pre]):.4f} (Adam "
                 f"lr {rates[small_pre]:g}); test accuracy random {_acc(test[small_random])}, pre-trained "
                 f"{_acc(test[small_pre])}"))

    for key, name, cite in (("relu", "He initialisation + ReLU",
                             "Balasubramanian lecture 30, section 4.5: He and Xavier initialisation 'removed the "
                             "need for unsupervised pre-training'"),
                            ("bn", "batch norm in the same sigmoid net",
                             "CS7015 lecture 9, module 9.5: batch normalization, among what replaced "
                             "pre-training")):
        comparator = a[key]
        result.claims.append(Claim.from_paired(
            f"{name}, without pre-training, is not worse than the pre-trained sigmoid net by more than the "
            f"margin in test error, at the judged depth, at equal total updates ({cite})",
            f"per-seed paired difference in test error, {name} minus pre-trained sigmoid; non-inferiority: "
            "below a margin of 0.02 (ours: the notes give none; fixed before the run)",
            test[comparator], test[pre], MARGIN, "<",
            baseline=f"depth {judged}: test accuracy {name} {_acc(test[comparator])} (lr {rates[comparator]:g}), "
                     f"pre-trained sigmoid {_acc(test[pre])} (lr {rates[pre]:g}), random (Xavier) sigmoid "
                     f"{_acc(test[random])} (lr {rates[random]:g})"))


def autoencoder_claims(result: Result, setup: Setup, ae: dict, pca: float, mean_image: float) -> None:
    """Claims 7 and 8: the RBM-pre-trained deep autoencoder against its random start and against PCA."""
    pre = np.array([mse for mse, _ in ae[True]])
    random = np.array([mse for mse, _ in ae[False]])
    code = setup.ae_sizes[-1]
    context = (f"test MSE: random (Xavier) start {np.mean(random):.4f}, pre-trained {np.mean(pre):.4f}, PCA with "
               f"{code} components {pca:.4f}, the training mean image {mean_image:.4f}; "
               f"{'-'.join(map(str, setup.ae_sizes))} on {setup.n_train} images")
    result.claims.append(Claim.from_paired(
        "A deep autoencoder pre-trained with RBMs reconstructs test images better than the same autoencoder "
        "from a random (Xavier) start given equal total updates (Hinton & Salakhutdinov 2006, CS7015 lecture "
        "9, module 9.2)",
        "per-seed ratio of test reconstruction error (mean squared error per pixel, whole test set), pre-trained "
        "over random start with equal total updates; direction only, threshold 1",
        pre, random, 1.0, "<", log=True, baseline=context))
    result.claims.append(Claim.from_samples(
        "A deep autoencoder pre-trained with RBMs reconstructs test images better than PCA with as many "
        "components as its code (Hinton & Salakhutdinov 2006's headline, CS7015 lecture 9, module 9.2)",
        "per-seed ratio of test reconstruction error (mean squared error per pixel, whole test set), pre-trained "
        "autoencoder over PCA fitted to the same training images; direction only, threshold 1",
        pre / pca, 1.0, "<", log=True, baseline=context))
