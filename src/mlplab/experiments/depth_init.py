"""He et al. 2015, Figures 2 and 3: 22- and 30-layer ReLU nets, "Xavier" (Var(w) = 1/n_in) against He (2/n_in).

The forward signal (CS7015 lecture 9, module 9.4; Balasubramanian lecture 30, section 4.5): a
layer ``s = W h`` with zero-mean weights gives ``Var(s) = n Var(w) E[h^2]``, and a ReLU passes
half of a symmetric ``s``: ``E[h^2] = Var(s) / 2`` (He et al.'s factor 2).  Through the 29 layers
from the first hidden pre-activation ``s1`` to the 30th ``s30``:

    std(s30) / std(s1) = (n Var(w) / 2)^(29/2)  =  2^-14.5 = 4.4e-5   for Var(w) = 1/n
                                                 =  1                   for Var(w) = 2/n (He)

and the backward signal shrinks alike, so every weight gradient of the 1/n net is ~2^-14.5 times
He's.  He et al. (section 2.2; paraphrased here, not quoted): in a 22-layer model both
initialisations converge but theirs starts reducing the error earlier (their Figure 2); in a
30-layer model theirs converges while Xavier's "completely stalls" the learning, with the
gradients diminishing (their Figure 3).  Here: plain ReLU MLPs of 128 units per layer on
Fashion-MNIST (their nets are convolutional, on ImageNet), the same budget in updates for both
initialisations, test error on all 10,000 test images.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

import mlplab as ml
from mlplab import backend as B
from mlplab.experiments.base import Result, StepLosses, Table, Timer, add_figure, load_split, mean_spread, steps_to
from mlplab.experiments.verdict import Claim, mean_ci95
from mlplab.layers import Dense
from mlplab.report import pyplot
from mlplab.train import Trainer, TrainingDiverged, accuracy

NAME = "depth-init"
TITLE = ("He et al. 2015 (Figures 2-3): 22- and 30-layer ReLU nets, Xavier's Var(w) = 1/n_in against He's 2/n_in: "
         "the signal, the stall and the speed")
SOURCE = ("He et al. 2015, 'Delving deep into rectifiers', section 2.2 and Figures 2-3; CS7015 lecture 9 (module 9.4, "
          "He initialisation); Balasubramanian lecture 30 (section 4.5)")
SEEDS = 10
QUICK_SEEDS = 3

XAVIER, HE = "Xavier (Var = 1/n_in)", "He (Var = 2/n_in)"
INITS = {XAVIER: "lecun_normal", HE: "he_normal"}      # He et al.'s "Xavier" is sigma = sqrt(1/n_l): lecun_normal
DEPTHS = (22, 30)
WIDTH = 128
LR, MOMENTUM = 0.01, 0.9
FULL = {"n_train": None, "epochs": 2, "batch": 100}     # all 60,000 training images twice: 1,200 updates
QUICK = {"n_train": 15000, "epochs": 1, "batch": 50}    # 300 updates
PROBE = 1000                                            # training images the signal at init is measured on
SIGNAL_DRAWS = 10                                       # weight draws (seeds 0..9) of the signal claims, quick and full

PREDICTED = {XAVIER: 2.0 ** -14.5, HE: 1.0}             # std(s30) / std(s1) for 29 ReLU layers
TOLERANCE = 2.0                                         # "the prediction within a factor 2": mlplab's choice
CHANCE_ERROR = 90.0                                     # 10 balanced classes
STALL_LINE = CHANCE_ERROR - 5.0                         # "stalls": final test error within 5 points of chance
TARGET_LOSS = 0.9 * math.log(10)                        # "starts reducing the error": loss 10% below chance's ln 10
WINDOW = 20                                             # updates in the running mean that must reach it


def hidden_stds(net: ml.Sequential, X: Any) -> list[float]:
    """The std of each hidden layer's pre-activation ``s_l = W_l h_(l-1) + b_l`` over the batch ``X``
    and the layer's units, in test mode (the output layer's logits are left out)."""
    dense = [i for i, layer in enumerate(net.layers) if isinstance(layer, Dense)][:-1]
    stds, out = [], net.check_input(X)
    for i, layer in enumerate(net.layers[:dense[-1] + 1]):
        out = layer.forward(out, train=False)
        if i in dense:
            stds.append(float(B.to_numpy(out).std()))
    return stds


def signal_ratio(stds: list[float]) -> float:
    """std(s_L) / std(s_1): how much of the first hidden layer's signal reaches the last."""
    return stds[-1] / stds[0]


def error_percent(net: ml.Sequential, X: Any, y: Any) -> float:
    """Test error in percentage points."""
    return 100.0 * (1.0 - accuracy(net, X, y))


def steps_to_target(losses: list[float], budget: int) -> float:
    """Updates until the running mean of ``WINDOW`` training losses first falls to ``TARGET_LOSS``; a run
    that never gets there (or diverged) counts as the whole budget."""
    steps = steps_to(losses, TARGET_LOSS, WINDOW) if len(losses) >= WINDOW else math.nan
    return float(budget) if math.isnan(steps) else steps


class Run:
    """One net trained once: its losses, test error, updates to the target."""

    def __init__(self, depth: int, init: str, seed: int, data: tuple[np.ndarray, ...], epochs: int,
                 batch: int) -> None:
        X, y, Xt, yt = data
        net = ml.mlp(X.shape[1], [WIDTH] * depth, 10, activation="relu", init=INITS[init], seed=seed)
        self.budget = epochs * (-(-X.shape[0] // batch))
        steps = StepLosses()
        self.diverged = False
        try:
            Trainer(net, ml.optim.SGD(lr=LR, momentum=MOMENTUM), batch_size=batch, epochs=epochs, seed=seed,
                    callbacks=[steps]).fit(X, y)
        except TrainingDiverged:
            self.diverged = True
        self.losses = steps.losses
        # what a diverged run counts as, fixed before the run: chance-level error, the target never reached
        self.error = CHANCE_ERROR if self.diverged else error_percent(net, Xt, yt)
        self.steps = float(self.budget) if self.diverged else steps_to_target(self.losses, self.budget)


def run(out: Path, seeds: int = SEEDS, quick: bool = False) -> Result:
    timer = Timer()
    result = Result(NAME, TITLE, SOURCE, seeds, quick)
    budget = QUICK if quick else FULL
    data = load_split("fashion-mnist", budget["n_train"])
    runs: dict[tuple[int, str], list[Run]] = {(depth, init): [] for depth in DEPTHS for init in INITS}
    for seed in range(seeds):
        for depth in DEPTHS:
            for init in INITS:
                runs[depth, init].append(Run(depth, init, seed, data, budget["epochs"], budget["batch"]))
    signal = {init: [hidden_stds(ml.mlp(data[0].shape[1], [WIDTH] * 30, 10, activation="relu", init=INITS[init],
                                        seed=draw), data[0][:PROBE]) for draw in range(SIGNAL_DRAWS)]
              for init in INITS}
    _training_claims(result, runs)
    _tables(result, runs, signal, data[0].shape[0], budget["epochs"], budget["batch"])
    _signal_check(result, signal)
    add_figure(result, _plot_signal(signal), out, "signal.png",
               "The std of each hidden layer's pre-activation at init, relative to the first, 30-layer nets, one line "
               "per weight draw; dotted: the predictions 2^(-(l-1)/2) for Var(w) = 1/n_in and 1 for He. Look for: "
               "the Xavier lines falling along their dotted line to ~4e-5, He's staying near 1.")
    for depth in DEPTHS:
        add_figure(result, _plot_losses(runs, depth), out, f"loss-{depth}.png",
                   f"Training loss per update of the {depth}-layer nets, one line per seed (running mean of {WINDOW}); "
                   f"dotted: the target {TARGET_LOSS:.2f} (ln 10 less 10%) of 'starts reducing the error'. Look for: "
                   f"how long each Xavier line stays flat at ln 10 = 2.30 before it falls, if it falls at all.")
    result.notes += _notes(runs, quick)
    result.seconds = timer.seconds()
    return result


def _signal_check(result: Result, signal: dict[str, list[list[float]]]) -> None:
    """The forward-signal derivation, checked (not claimed: init-activations judges it): the geometric
    mean of std(s30) / std(s1) over the weight draws and its 95% interval on the log scale, against
    the prediction within a factor TOLERANCE."""
    rows = []
    for init, text in ((XAVIER, "2^-14.5 = 4.4e-5"), (HE, "1")):
        ratios = [signal_ratio(stds) for stds in signal[init]]
        mean, low, high = (math.exp(v) for v in mean_ci95(np.log(ratios)))
        band = (PREDICTED[init] / TOLERANCE, PREDICTED[init] * TOLERANCE)
        rows.append([init, text, f"[{band[0]:.3g}, {band[1]:.3g}]", f"{mean:.3g} [{low:.3g}, {high:.3g}]",
                     band[0] < low and high < band[1]])
    result.tables.append(Table(
        f"Derivation check (not a claim; the init-activations experiment judges the signal): std(s30) / std(s1) of "
        f"the pre-activations at init over {PROBE:,} training images, {SIGNAL_DRAWS} weight draws (seeds 0..9, also "
        "in --quick); predicted (CS7015 lecture 9, module 9.4, Var(s_k) = [n Var(w)]^k Var(x), with He et al.'s "
        "factor 1/2 per ReLU layer) within a factor 2 (mlplab's tolerance)",
        ["init", "predicted", "band (factor 2)", "geometric mean [95% CI]", "interval inside the band"], rows))


def _other(init: str) -> str:
    return HE if init == XAVIER else XAVIER


def _accuracy_text(runs: list[Run]) -> str:
    return f"{100 - np.mean([r.error for r in runs]):.1f}%"


def _training_claims(result: Result, runs: dict[tuple[int, str], list[Run]]) -> None:
    error = {key: [r.error for r in value] for key, value in runs.items()}
    steps = {key: [r.steps for r in value] for key, value in runs.items()}
    both30 = (f"test accuracy (mean over seeds): 30-layer Xavier {_accuracy_text(runs[30, XAVIER])}, 30-layer He "
              f"{_accuracy_text(runs[30, HE])} (chance 10%)")
    both22 = (f"test accuracy: 22-layer Xavier {_accuracy_text(runs[22, XAVIER])}, 22-layer He "
              f"{_accuracy_text(runs[22, HE])} (chance 10%)")
    result.claims.append(Claim.from_samples(
        "At 30 layers the Xavier-initialised net stalls: it does not learn (He et al.: Xavier 'completely stalls' "
        "the 30-layer model)",
        "per seed: final test error (%, all 10,000 test images) of the 30-layer Xavier net; a diverged run counts as "
        "chance (90%); 'stalls' = within 5 points of chance, i.e. above 85% (the replications page's criterion "
        "before commit ce9c9ed loosened it)",
        error[30, XAVIER], STALL_LINE, ">", baseline=both30))
    result.claims.append(Claim.from_paired(
        "At 30 layers He's initialisation trains where Xavier's does not: lower test error on the same seeds",
        "per seed: final test error (%) of the 30-layer He net minus the 30-layer Xavier net, same seed and batches; "
        "threshold 0 (He et al. give the direction: theirs converges, Xavier's stalls)",
        error[30, HE], error[30, XAVIER], 0.0, "<", baseline=both30))
    result.claims.append(Claim.from_samples(
        "At 22 layers the Xavier-initialised net converges too: it does not stall (He et al.: both converge)",
        "per seed: final test error (%) of the 22-layer Xavier net; a diverged run counts as chance (90%); threshold "
        "the stall line 85% (5 points below chance)",
        error[22, XAVIER], STALL_LINE, "<", baseline=both22))
    result.claims.append(Claim.from_paired(
        "At 22 layers He's initialisation starts reducing the error earlier than Xavier's (He et al., Figure 2)",
        "per seed: updates until the running mean of 20 TRAINING losses (cross-entropy of the training batches; not "
        "He et al.'s validation error) first falls 10% below ln 10 (chance), He minus Xavier, same seed and "
        "batches; a run that never gets there counts as the whole budget; threshold 0 (He et al. give the "
        "direction)",
        steps[22, HE], steps[22, XAVIER], 0.0, "<", baseline=both22))


def _tables(result: Result, runs: dict[tuple[int, str], list[Run]], signal: dict[str, list[list[float]]],
            n_train: int, epochs: int, batch: int) -> None:
    rows = []
    for (depth, init), value in runs.items():
        rows.append([depth, init, mean_spread([signal_ratio(stds[:depth]) for stds in signal[init]]),
                     mean_spread([r.error for r in value]), sum(r.error > STALL_LINE for r in value),
                     mean_spread([r.steps for r in value]), sum(r.diverged for r in value)])
    budget = runs[DEPTHS[0], XAVIER][0].budget
    result.tables.append(Table(
        f"ReLU MLPs of {WIDTH} units per hidden layer, biases 0, Fashion-MNIST ({n_train:,} training images, "
        f"{epochs} epoch{'s' if epochs > 1 else ''} = {budget:,} updates of {batch}, the same for every net), SGD lr "
        f"{LR} momentum {MOMENTUM}; test error on all 10,000 test images",
        ["depth", "init", f"std s_depth / std s1 at init ({SIGNAL_DRAWS} draws)", "test error %",
         f"runs above {STALL_LINE:.0f}% (stalled)",
         f"updates to loss {TARGET_LOSS:.2f}", "diverged"], rows))
    result.tables.append(Table(
        "Test error (%) per seed", ["depth", "init"] + [f"seed {s}" for s in range(len(runs[DEPTHS[0], XAVIER]))],
        [[depth, init] + [f"{r.error:.1f}" for r in value] for (depth, init), value in runs.items()]))


def _plot_signal(signal: dict[str, list[list[float]]]) -> Any:
    fig, ax = pyplot().subplots(figsize=(7.5, 4))
    layers = np.arange(1, 31)
    for colour, init in zip(("C0", "C1"), INITS):
        for k, stds in enumerate(signal[init]):
            ax.plot(layers, np.asarray(stds) / stds[0], color=colour, lw=0.7, alpha=0.6,
                    label=init if k == 0 else None)
        per_layer = (PREDICTED[init] ** (1 / 29)) ** (layers - 1)
        ax.plot(layers, per_layer, color=colour, ls=":", lw=1.5)
    ax.set_yscale("log", base=2)
    ax.set_xlabel("hidden layer l")
    ax.set_ylabel("std(s_l) / std(s_1) at init")
    return fig


def _plot_losses(runs: dict[tuple[int, str], list[Run]], depth: int) -> Any:
    fig, ax = pyplot().subplots(figsize=(7.5, 4))
    for colour, init in zip(("C0", "C1"), INITS):
        for k, r in enumerate(runs[depth, init]):
            if len(r.losses) >= WINDOW:
                ax.plot(np.convolve(r.losses, np.ones(WINDOW) / WINDOW, mode="valid"), color=colour, lw=0.7,
                        alpha=0.7, label=init if k == 0 else None)
    ax.axhline(TARGET_LOSS, color="k", lw=0.6, ls=":")
    ax.set_xlabel("update")
    ax.set_ylabel(f"training loss (running mean of {WINDOW})")
    ax.set_title(f"{depth} ReLU layers of {WIDTH}")
    return fig


def _notes(runs: dict[tuple[int, str], list[Run]], quick: bool) -> list[str]:
    budget = runs[DEPTHS[0], XAVIER][0].budget
    escaped = [k for k, r in enumerate(runs[30, XAVIER]) if r.error <= STALL_LINE]
    return [
        "This is the He et al. replication that REPLICATIONS.md quotes. History of its criterion: the replications"
        " page (benchmarks/replications.py) first judged 'the 30-layer Xavier net stalls and He's trains' by "
        "'Xavier's test error > 85% and He's < 30%'. Commit ce9c9ed, made after the sweep's numbers were seen (3 "
        "seeds, 10,000 images, 5 epochs: Xavier 85.4 ± 7.9%, He 48.5 ± 11.8% at 30 layers), loosened it to 'Xavier"
        " within 10 points of chance (> 80%) and He at least 25 points below it' and called the result reproduced;"
        " the old depth-init experiment, on another budget, found the same 30-layer Xavier setup learning in some "
        "seeds (loss ratio end / start 0.95 ± 0.11) and called 'stalls' not reproduced. Here one setup and one "
        "criterion, fixed before this run: 'stalls' = test error above 85% (within 5 points of chance: the "
        "original criterion, restored), judged by its 95% interval over seeds; 'He trains' = the paired difference"
        " He - Xavier in test error below 0 (the paper gives a direction, not a level, so the He < 30% bound is "
        "dropped: at this budget it would be a statement about the budget).",
        f"30-layer Xavier nets that learned (test error at most {STALL_LINE:.0f}%): seeds {escaped or 'none'} of "
        f"{len(runs[30, XAVIER])}. Their gradients start ~2^-14.5 times He's, but they are not zero: once the "
        "weights grow a little the signal grows with them (30 layers multiply it), so whether the net leaves the "
        "plateau within the budget varies from seed to seed; 'stalls' is a statement about a budget.",
        "Budget: the same number of updates for every net, chosen to fit the 8-minute full run (10 seeds x 4 nets); "
        "it was fixed after an exploratory run of 3 seeds at this budget (Xavier-30 stalled in 2 of 3) and no "
        "threshold was changed after it. That run used seeds 0-2 (the experiment always runs seeds 0..n-1, and its "
        "2 of 3 matches seeds 0-2 of the full run: 90, 34 and 90% test error), so its seeds are among the ten judged "
        "there. No other full budget is on record (only the quick budgets were varied). He et al. train ImageNet "
        "conv nets to convergence; this budget is shorter, which favours 'stalls' (a longer one gives a stalled net "
        "more time to escape).",
        "He et al.'s 'Xavier' is sigma = sqrt(1/n_l) (fan-in only): mlplab's lecun_normal. The replications sweep "
        "used xavier_normal (2/(fan_in + fan_out)), the same for the 128x128 layers but a factor 1.3-1.4 in std for "
        "the first (784 -> 128) and last (128 -> 10) layers.",
        f"Quick mode ({budget} updates of 50 images on 15,000 instead of 1,200 of 100 on 60,000; 3 seeds) cannot "
        "afford the full budget: its Xavier nets have less time to leave the plateau, so at its budget it cannot tell "
        "22 from 30 layers (test error of the Xavier nets: 22 layers "
        f"{mean_spread([r.error for r in runs[22, XAVIER]])}%, 30 layers "
        f"{mean_spread([r.error for r in runs[30, XAVIER]])}%: both mostly on the plateau, so 'does not stall at 22' "
        "is not decided there); its verdicts on the stall claims can differ from the full run's (marked on the "
        "page). Its "
        "budget was set after seeing quick runs: 150 and 180 updates of 100 left the 30-layer He - Xavier claim "
        "inconclusive (one He seed still at ~70% error), and batches of 50 buy more updates in the 20-second limit; "
        "the full run's setup and every threshold stayed as fixed." if quick else
        "Quick mode (300 updates of 50 images on 15,000; 3 seeds) cannot tell 22 from 30 layers: at 300 updates the "
        "22-layer Xavier nets are still mostly on the plateau too (see the quick page), so its verdict on 'does not "
        "stall at 22' can differ from this run's.",
        "He et al.'s figure captions, paraphrased from memory (the paper was not at hand to quote): Figure 2 (a "
        "22-layer model): both initialisations converge, but 'ours starts reducing error earlier'; Figure 3 (a "
        "30-layer model): theirs converges while 'Xavier' 'completely stalls' (its gradients diminish) and 'does not "
        "converge even given more epochs'; both figures plot the error of validation samples against epochs. Against "
        f"that strong form, {len(escaped)} of {len(runs[30, XAVIER])} 30-layer Xavier nets here leaving the plateau "
        f"within {budget:,} updates counts against the paper's 'stalls' in this MLP setting (the stall claim's "
        "interval is the formal verdict). He et al. also report no clear difference in accuracy at convergence at "
        "22 layers, so the 22-layer gap here (He minus Xavier test error "
        f"{np.mean([h.error - x.error for h, x in zip(runs[22, HE], runs[22, XAVIER])]):.1f} points) is an effect "
        "of the budget: Xavier has spent part of it on the plateau.",
        "Divergence: a run whose loss became NaN/inf counts as chance error (90%) and as never reaching the target; "
        f"diverged runs: {sum(r.diverged for value in runs.values() for r in value)}.",
    ]
