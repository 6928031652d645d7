"""Network size is not the regulariser; L2 is (DD2424 lecture 4, "Effect of the number of hidden nodes").

The slides train one hidden layer of m = 3, 20, 30, 100 units on a 2-D problem without
regularisation, twice from different random initialisations ("Result depends on parameter
initialization"), then m = 100 with L2, and conclude: "Do not use size of neural network as a
regularizer. Use stronger regularization." ("Big Model + Regularize vs Small Model").

Here, per data seed: two moons with noise 0.3, 100 training, 1,000 validation and 2,000 test
points.  Every net (m in 3, 20, 30 without L2; m = 100 without L2 and with lambda in 1e-2, 1e-3,
1e-4) is trained for the same 2,000 full-batch Adam updates.  The small net's width and the big
net's lambda are each picked on the validation split (one choice among three in both arms); the
test split is used only to measure.  A second initialisation of m = 3, of m = 100 without L2 and
of the big arm's pick measures how much the boundary depends on where training starts.  Claims
(paired by data seed):

1. non-inferiority: err(m = 100, lambda by validation) - err(small, m by validation) < 0.01;
2. the control: without L2 the big net is worse than the small one (err difference > 0);
3. init dependence (ours; the slide only shows init dependence at every m): D = (1/N) sum_i
   1[f_init1(x_i) != f_init2(x_i)] over the test points x_i (the data's support) is larger for
   m = 3 than for m = 100 with the validated lambda;
4. "Use stronger regularization.": err(m = 100, lambda by validation) - err(m = 100, no L2) < 0;
5. width alone, both nets without L2 as on the slide: D(m = 3) - D(m = 100) > 0 (ours).

Claims 4 and 5 were added after a review of the first full run (see NOTES).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

import mlplab as ml
from mlplab.data import Preprocessor
from mlplab.data.toy import moons
from mlplab.experiments.base import Result, Timer, add_figure
from mlplab.experiments.hidden_units_report import accuracy_table, disagreement_table, expectation, plot_boundary
# (SEEDS and QUICK_SEEDS are read here by mlplab.experiments.default_seeds)
from mlplab.experiments.hidden_units_setup import (BIG_WIDTH, CHANCE_ACCURACY, CONFIGS, DIVERGED_DISAGREEMENT, EPOCHS,
                                                 L2_GRID, LR, MARGIN, NOISE, N_TEST, N_TRAIN, N_VAL, QUICK_SEEDS, SEEDS,
                                                 SMALL_WIDTHS, SQUARE, Config, NetRun, SeedSummary, Split, config_label,
                                                 predictions)
from mlplab.experiments.verdict import Claim
from mlplab.train import Trainer, TrainingDiverged

NAME = "hidden-units"
TITLE = ("a big network with L2 chosen on validation generalises at least as well as a small one, and better "
         "than without L2; how much a boundary depends on its initialisation, m = 3 against m = 100")
SOURCE = ("DD2424 lecture 4 (slides \"Effect of the number of hidden nodes in a 2 layer network\", "
          "\"Result depends on parameter initialization\", \"Big Model + Regularize vs Small Model\")")

NOTES = [
    "The margin of claim 1 (0.01 test error) is ours, fixed before the run: the notes give only a direction "
    "(\"Do not use size of neural network as a regularizer. Use stronger regularization.\", DD2424 lecture 4), "
    "and \"at least as well\" is a non-inferiority claim, which needs a margin. One point of error is about 1.5 "
    "binomial standard errors of one net's error measured on 2,000 test points (sqrt(0.1 * 0.9 / 2000) = 0.0067 "
    "at the ~10% error of this set), i.e. a difference the test split itself barely resolves.",
    "A change of claim 1's margin: the old version of this experiment (commit 18f6d10) used 0.005 in test "
    "accuracy, against the better of lambda = 1e-3 and 1e-2 picked on the test points themselves (an optimistic "
    "pick that the margin did not have to absorb). Now lambda and the small net's width are picked on a "
    "validation split, so each arm's test error carries the noise of its pick and of 2,000 test points; 0.01 is "
    "the 1.5 standard errors above. The history does not show whether 0.01 was set before any result of the "
    "rewrite was seen, so read it as ours; both stored runs would give the same verdict at 0.005 (the upper ends "
    "of their intervals lie below 0.005).",
    "Claims 2 to 5 have direction-only thresholds (difference 0): the notes show pictures, no numbers.",
    "Claim 2 is the control: it shows that here the big net without L2 generalises worse than the small net, so "
    "that claim 1 is not won by width alone. It does not by itself measure what L2 does; claim 4 does, paired "
    "(m = 100 with lambda picked on validation minus m = 100 without L2), testing the notes' \"Use stronger "
    "regularization.\".",
    "Claims 3 and 5 are ours, not the notes': the slides (\"Result depends on parameter initialization\", DD2424 "
    "lecture 4) show two initialisations of m = 3, 20, 30 and 100, all without regularisation, and say only that "
    "the result depends on the initialisation at every m; they compare no widths. Claim 3 compares m = 3 without "
    "L2 against m = 100 with L2, so it credits L2 and width together; claim 5 compares m = 3 against m = 100, "
    "both without L2 as on the slide, i.e. width alone.",
    "Added after seeing results (after a review of the first full run, before this run): claim 4 (the review "
    "pointed out that the old text of claim 2, \"were L2 without effect, claim 1 would fail\", was false: without "
    "L2's effect claim 1's difference would be claim 2's, 0.0104 [0.0017, 0.0191] in that run, which straddles "
    "the margin, i.e. inconclusive, not a failure) and claim 5 with the second initialisation of m = 100 without "
    "L2 on every seed (data seed 0 of that run: disagreement m = 100 without L2 0.057, lambda 1e-4 0.0545, "
    "lambda 1e-3 0.0015, m = 3 0.095, m = 20 0.0375, i.e. L2 rather than width made the difference).",
    "The comparison is tuned alike on both sides: the small arm picks its width among m = 3, 20, 30 (the slides' "
    "small nets) and the big arm its lambda among 1e-2, 1e-3, 1e-4, each by the validation error of the net's "
    "first initialisation (ties go to the first listed: the narrower net, the stronger L2). The test split never "
    "takes part in a choice. Test errors are the first initialisation's; the second is trained for m = 3, for "
    "m = 100 without L2 and for the big arm's pick only (for every net on data seed 0, for the figures).",
    "Disagreement is measured on the 2,000 test points, i.e. where the data are; the second table gives, for "
    "contrast only, the old measure on the square [-2.5, 2.5]^2 of standardised inputs, much of which holds no "
    "data.",
    "lambda multiplies sum ||W||^2 over the weight matrices (biases free) added to the MEAN cross-entropy over "
    "the 100 training points; the slide's J = sum of losses + lambda R(Theta) sums the losses, so our lambda = "
    "1e-3 is lambda = 0.1 in the slide's convention.",
    "Chosen after seeing results (none of them a threshold): 2,000 updates, after a timing run on data seed 0 "
    "showed m = 100 without L2 still fitting its training points further at 500 and 1,000 updates (the slides' "
    "nets are trained to convergence); QUICK_SEEDS = 4 instead of 3, and test errors from one initialisation "
    "(the second trained only where disagreement is measured) instead of the mean of two for every net, after "
    "a 3-seed quick run left claim 1 inconclusive at t = 4.3: the saved time buys the fourth seed within 20 s. "
    "Before the full run the design was also checked on data seeds 100 to 107, outside the run's seeds.",
    "A diverged run (TrainingDiverged) predicts class 0 everywhere: chance error (0.5) on the balanced classes, "
    "counted alike in every arm (the count is the last note). A pair of initialisations of which either "
    "diverged counts as disagreement 0.5 (two coin flips), not as the 0 that two constant predictions would "
    "give (which would favour the net that diverges); fixed before this run.",
]


def make_split(seed: int) -> Split:
    """Train, validation and test points of data seed ``seed`` (standardised on the training points)."""
    X, y = moons(N_TRAIN + N_VAL + N_TEST, noise=NOISE, seed=seed)
    pre = Preprocessor("standardize").fit(X[:N_TRAIN])
    cut = (N_TRAIN, N_TRAIN + N_VAL)
    return Split(pre.transform(X[:cut[0]]), y[:cut[0]], pre.transform(X[cut[0]:cut[1]]), y[cut[0]:cut[1]],
                 pre.transform(X[cut[1]:]), y[cut[1]:])


def square_points(seed: int, n: int = 5000) -> np.ndarray:
    """Uniform points on [-SQUARE, SQUARE]^2: the old, off-support disagreement measure (context only)."""
    return np.random.default_rng(seed).uniform(-SQUARE, SQUARE, (n, 2)).astype(np.float32)


def train_net(width: int, l2: float, split: Split, init_seed: int, epochs: int = EPOCHS) -> Any | None:
    """One hidden layer of ``width`` ReLU units trained full-batch with Adam and ``l2 * sum ||W||^2``;
    None when the loss diverged."""
    net = ml.mlp(2, [width], 2, activation="relu", seed=init_seed)
    try:
        Trainer(net, ml.optim.Adam(lr=LR), batch_size=N_TRAIN, epochs=epochs, l2=l2,
                seed=init_seed).fit(split.X_train, split.y_train)
    except TrainingDiverged:
        return None
    return net


def error_rate(pred: np.ndarray, y: np.ndarray) -> float:
    """err = (1/N) sum_i 1[pred_i != y_i]."""
    return float(np.mean(np.asarray(pred) != np.asarray(y)))


def disagreement(pred_a: np.ndarray, pred_b: np.ndarray) -> float:
    """D = (1/N) sum_i 1[f_a(x_i) != f_b(x_i)]: the share of points where two nets' predictions differ."""
    pred_a, pred_b = np.asarray(pred_a), np.asarray(pred_b)
    if pred_a.shape != pred_b.shape:
        raise ValueError(f"predictions of the same points needed, got shapes {pred_a.shape} and {pred_b.shape}")
    return float(np.mean(pred_a != pred_b))


def pair_disagreement(run: "NetRun", preds: list[np.ndarray]) -> float:
    """D of a config's first two inits on one point set; DIVERGED_DISAGREEMENT when either diverged
    (two diverged nets both predict class 0, D = 0, which would reward divergence as stability)."""
    if any(net is None for net in run.nets[:2]):
        return DIVERGED_DISAGREEMENT
    return disagreement(*preds[:2])


def pick(val_errors: dict[Any, float]) -> Any:
    """The candidate with the lowest validation error; ties go to the first listed (dicts keep order)."""
    best = min(val_errors.values())
    return next(key for key, err in val_errors.items() if err == best)


def figure_file(config: Config) -> str:
    """One file per net: ``boundary-m100-l2-1e-3.png`` (``-l2-0`` without L2)."""
    m, l2 = config
    return f"boundary-m{m}-l2-" + (f"1e{round(math.log10(l2))}" if l2 else "0") + ".png"


def add_init(run: NetRun, config: Config, split: Split, square: np.ndarray, init_seed: int,
             epochs: int = EPOCHS) -> None:
    """Train one more initialisation of ``config`` and keep its predictions on every point set."""
    net = train_net(*config, split, init_seed=init_seed, epochs=epochs)
    run.nets.append(net)
    for target, X in ((run.train, split.X_train), (run.val, split.X_val), (run.test, split.X_test),
                      (run.square, square)):
        target.append(predictions(net, X))


def run_seed(seed: int, all_second_inits: bool = False, epochs: int = EPOCHS
             ) -> tuple[Split, dict[Config, NetRun], SeedSummary]:
    """Data seed ``seed``: every config from a first init, the validation picks, then a second init of
    m = 3, of m = 100 without L2 and of the big arm's pick (of every config with ``all_second_inits``, for the figures).

    The init seeds depend on the data seed and the init index only, so every config of a seed starts
    from the same random stream."""
    split, square = make_split(seed), square_points(seed)
    runs = {config: NetRun() for config in CONFIGS}
    for config, run in runs.items():
        add_init(run, config, split, square, init_seed=1000 * seed, epochs=epochs)
    val_err = {c: error_rate(r.val[0], split.y_val) for c, r in runs.items()}
    small = pick({(m, 0.0): val_err[(m, 0.0)] for m in SMALL_WIDTHS})
    big = pick({(BIG_WIDTH, l2): val_err[(BIG_WIDTH, l2)] for l2 in L2_GRID})
    second = CONFIGS if all_second_inits else [(SMALL_WIDTHS[0], 0.0), (BIG_WIDTH, 0.0), big]
    for config in second:
        add_init(runs[config], config, split, square, init_seed=1000 * seed + 1, epochs=epochs)
    summary = SeedSummary(
        train_err={c: error_rate(r.train[0], split.y_train) for c, r in runs.items()},
        val_err=val_err,
        test_err={c: error_rate(r.test[0], split.y_test) for c, r in runs.items()},
        small=small, big=big,
        disagree_test={c: pair_disagreement(r, r.test) for c, r in runs.items() if len(r.test) > 1},
        disagree_square={c: pair_disagreement(r, r.square) for c, r in runs.items() if len(r.square) > 1},
        diverged=sum(r.diverged for r in runs.values()))
    return split, runs, summary


def claims(seeds: list[SeedSummary]) -> list[Claim]:
    """The five claims, from the per-seed summaries (paired by data seed)."""
    small = [s.test_err[s.small] for s in seeds]
    big = [s.test_err[s.big] for s in seeds]
    big_plain = [s.test_err[(BIG_WIDTH, 0.0)] for s in seeds]
    m3, plain = (SMALL_WIDTHS[0], 0.0), (BIG_WIDTH, 0.0)
    acc = lambda errs: f"{1 - float(np.mean(errs)):.3f}"       # noqa: E731  (mean test accuracy)
    arms = (f"test accuracy: small net, width picked on validation {acc(small)}; big net (m = {BIG_WIDTH}), "
            f"lambda picked on validation {acc(big)}; big net without L2 {acc(big_plain)}; chance {CHANCE_ACCURACY}")
    m3_acc = f"m = 3 without L2 {acc([s.test_err[m3] for s in seeds])}"
    return [
        Claim.from_paired(
            "A big net (m = 100) with L2 chosen on a validation split generalises at least as well as a small "
            "net whose width (m = 3, 20 or 30) is chosen on the same split",
            "per-seed paired difference in test error, big net with L2 minus small net; non-inferiority margin "
            "0.01 (ours: the notes give only a direction; see the notes below)",
            big, small, MARGIN, "<", baseline=arms),
        Claim.from_paired(
            "The control: without L2 the big net (m = 100) generalises worse than the small net chosen on "
            "validation",
            "per-seed paired difference in test error, big net without L2 minus small net; direction only, "
            "threshold 0",
            big_plain, small, 0.0, ">", baseline=arms),
        Claim.from_paired(
            "Ours, not the notes' (the slide only shows init dependence at every m): the decision boundary of "
            "m = 3 without L2 depends more on its initialisation than that of m = 100 with L2 chosen on validation",
            "per-seed paired difference in the share of the 2,000 test points (the data's support) where two "
            "inits' predictions differ, m = 3 without L2 minus m = 100 with L2 chosen on validation; a pair with "
            "a diverged init counts 0.5; direction only, threshold 0",
            [s.disagree_test[m3] for s in seeds], [s.disagree_test[s.big] for s in seeds], 0.0, ">",
            baseline=f"test accuracy (first init): {m3_acc}; m = 100 with lambda picked on validation "
                     f"{acc(big)}; chance {CHANCE_ACCURACY}"),
        Claim.from_paired(
            "Use stronger regularization (DD2424 lecture 4): the big net (m = 100) with L2 chosen on validation "
            "generalises better than the same net without L2",
            "per-seed paired difference in test error, m = 100 with L2 chosen on validation minus m = 100 "
            "without L2; direction only, threshold 0 (claim added after seeing results, see the notes)",
            big, big_plain, 0.0, "<",
            baseline=f"test accuracy: m = 100 without L2 {acc(big_plain)}; m = 100 with lambda picked on "
                     f"validation {acc(big)}; chance {CHANCE_ACCURACY}"),
        Claim.from_paired(
            "Ours, not the notes' (the slide only shows init dependence at every m): without L2, as on the slide, "
            "the decision boundary of m = 3 depends more on its initialisation than that of m = 100",
            "per-seed paired difference in the share of the 2,000 test points (the data's support) where two "
            "inits' predictions differ, m = 3 minus m = 100, both without L2; a pair with a diverged init counts "
            "0.5; direction only, threshold 0 (claim added after seeing results, see the notes)",
            [s.disagree_test[m3] for s in seeds], [s.disagree_test[plain] for s in seeds], 0.0, ">",
            baseline=f"test accuracy (first init): {m3_acc}; m = 100 without L2 {acc(big_plain)}; "
                     f"chance {CHANCE_ACCURACY}"),
    ]


def run(out: Path, seeds: int = SEEDS, quick: bool = False) -> Result:
    timer = Timer()
    result = Result(NAME, TITLE, SOURCE, seeds, quick)
    summaries, first = [], None
    for seed in range(seeds):
        split, runs, summary = run_seed(seed, all_second_inits=seed == 0)
        summaries.append(summary)
        if seed == 0:
            first = (split, runs)
    result.claims += claims(summaries)
    result.tables += [accuracy_table(summaries), disagreement_table(summaries)]
    split, runs = first
    chosen = summaries[0]
    for config in CONFIGS:
        note = (" (validation's pick for the small arm on this seed)" if config == chosen.small else
                " (validation's pick for the big arm on this seed)" if config == chosen.big else "")
        fig = plot_boundary(runs[config], split, f"{config_label(config)}, data seed 0")
        add_figure(result, fig, out, figure_file(config),
                   f"{config_label(config)}{note}, data seed 0: the regions init 1 predicts (filled; solid "
                   f"boundary), init 2's boundary (dashed), the {N_TRAIN} training points (large) and the test "
                   f"points (faint), over the box holding the data. Look for where the two boundaries "
                   f"part inside the data, and for islands drawn around single training points; "
                   f"{expectation(config, chosen.big)}.")
    diverged = sum(s.diverged for s in summaries)
    result.notes += NOTES + [f"Diverged runs: {diverged} (of every net trained, all seeds)."]
    result.seconds = timer.seconds()
    return result
