"""Dead rectifiers (CS7015 lecture 9, module 9.3; DD2424 lecture 4).

The notes: a ReLU unit whose pre-activation ``s = w . x + b`` is negative for every input outputs 0
and gets ``dh/ds = 0``, so "The weights w1, w2 and b will not get updated" and "The neuron will now
stay dead forever!!"; "In practice a large fraction of ReLU units can die if the learning rate is set
too high"; "It is advised to initialize the bias to a positive value (0.01)".  Leaky ReLU "Will not
die (0.01x ensures that at least a small gradient will flow through)" and has "Close to zero centered
outputs", as has ELU; Maxout has "No saturation! No death!".

What is measured, on 784-128-128-10 nets trained with plain SGD (batch 100) on 10,000 Fashion-MNIST
images (test accuracy on the whole 10,000-image test set):

1. deaths: every net trained for the same number of updates at the base rate 0.05 and at a high
   rate chosen on separate seeds (the smallest rate of a fixed grid at which 10-90% of the ReLUs
   die while the net still learns: the onset of dying), ReLU with bias 0 and 0.01, Leaky ReLU, ELU (dead:
   ``s <= 0`` on every training image, see :mod:`.dead_relu_measure`);
2. recovery: after the base-rate training, 32 units of each hidden layer are driven dead on purpose
   (their bias lowered until their largest pre-activation is one of its standard deviations below
   0), training goes on, and the share of those units active again is counted;
3. centredness of the hidden outputs, PReLU's learned slopes, Maxout's dead pieces and saturated
   units, and why Maxout diverged in the ``activations`` experiment (its He init).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from mlplab.experiments import dead_relu_measure as measure
from mlplab.experiments import dead_relu_report as report
from mlplab.experiments import dead_relu_runs as runs
from mlplab.experiments.base import Result, Timer, load_split
from mlplab.experiments.verdict import Claim
from mlplab.train import accuracy

NAME = "dead-relu"
TITLE = ("rectifiers: when ReLUs die and whether they come back; Leaky ReLU, PReLU, ELU and Maxout beside them; "
         "centred outputs")
SOURCE = ("CS7015 lecture 9, module 9.3 ('The neuron will now stay dead forever!!'; 'It is advised to initialize "
          "the bias to a positive value (0.01)'); DD2424 lecture 4 (Leaky ReLU and ELU: 'Activations do not die')")
SEEDS = 15
QUICK_SEEDS = 3
N_TRAIN = 10000
BASE_RATE = 0.05
RATES = (0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7)     # the grid the high rate is chosen from
SELECTION_SEEDS = (1000, 1001)                     # never among the seeds the claims are measured on
LEARNED = 0.5                                      # training accuracy a net must reach to count as learning
STAY_DEAD = 0.05                                   # tolerance for "stays dead forever" (see the claim)
HIGH_RATE_ACTIVATIONS = ("relu", "relu+bias", "leaky_relu", "elu", "prelu", "maxout")
RECOVERING = ("relu", "leaky_relu", "prelu", "elu")
# A diverged run (NaN loss) counts as every unit dead (dead share 1), no pushed unit active again
# (revived share 0), centredness 1 (outputs of one sign) and chance accuracy 0.1: alike for every arm.
DIVERGED_DEAD, DIVERGED_REVIVED, DIVERGED_CENTRED, CHANCE = 1.0, 0.0, 1.0, 0.1


def budgets(quick: bool) -> dict[str, Any]:
    """The updates of each phase; quick trains less and skips the Maxout-init check's extra seeds."""
    if quick:
        return {"updates": 200, "recovery_updates": 300, "track_every": 100, "tracked": 2000,
                "selection_seeds": SELECTION_SEEDS[:1],
                "maxout_check_seeds": 0, "maxout_check_updates": 200}
    return {"updates": 500, "recovery_updates": 1000, "track_every": 100, "tracked": N_TRAIN,
            "selection_seeds": SELECTION_SEEDS,
            "maxout_check_seeds": 10, "maxout_check_updates": 400}


def select_rate(setup: runs.Setup, seeds: tuple[int, ...], whole_grid: bool) -> dict[str, Any]:
    """ReLU nets at the rates of :data:`RATES`, in ascending order, on the selection seeds (all of
    them when ``whole_grid``, for the figure; else until one qualifies); the high rate is the one
    :func:`~.dead_relu_measure.choose_rate` picks: the onset of dying."""
    rates, dead, learned, train_acc = [], [], [], []
    for rate in RATES:
        shares, accs = [], []
        for seed in seeds:
            found = runs.trained(setup, "relu", seed, rate)
            shares.append(DIVERGED_DEAD if found["diverged"] else float(np.mean(found["dead"])))
            accs.append(CHANCE if found["diverged"] else accuracy(found["net"], setup.X, setup.y))
        rates.append(rate)
        dead.append(shares)
        train_acc.append(accs)
        learned.append(float(np.mean(accs)) >= LEARNED)
        if not whole_grid and measure.qualifies(float(np.mean(shares)), learned[-1]):
            break
    rate = measure.choose_rate(rates, [float(np.mean(d)) for d in dead], learned)
    return {"rate": rate, "rates": rates, "dead": dead, "train_accuracy": train_acc, "learned": learned}


def value(found: dict[str, Any], key: str, diverged: float) -> float:
    """The mean over hidden layers of ``found[key]``, or ``diverged`` for a diverged run."""
    return diverged if found["diverged"] else float(np.mean(found[key]))


def run(out: Path, seeds: int = SEEDS, quick: bool = False) -> Result:
    timer = Timer()
    result = Result(NAME, TITLE, SOURCE, seeds, quick)
    plan = budgets(quick)
    X, y, Xt, yt = load_split("fashion-mnist", N_TRAIN)
    setup = runs.Setup(X, y, Xt, yt, base_rate=BASE_RATE, updates=plan["updates"],
                       recovery_updates=plan["recovery_updates"], track_every=plan["track_every"],
                       tracked=plan["tracked"])
    chosen = select_rate(setup, plan["selection_seeds"], whole_grid=not quick)
    high = chosen["rate"]
    base: dict[str, list[dict[str, Any]]] = {a: [] for a in (*RECOVERING, "maxout")}
    at_high: dict[str, list[dict[str, Any]]] = {a: [] for a in HIGH_RATE_ACTIVATIONS}
    recovered: dict[str, list[runs.Recovery]] = {a: [] for a in RECOVERING}
    for seed in range(seeds):
        for activation in base:
            found = runs.trained(setup, activation, seed, BASE_RATE)
            if activation in RECOVERING:
                recovered[activation].append(push_or_nothing(setup, found, seed))
            found.pop("net"), found.pop("pres", None)
            base[activation].append(found)
        for label in HIGH_RATE_ACTIVATIONS:
            activation, bias = ("relu", 0.01) if label == "relu+bias" else (label, 0.0)
            found = runs.trained(setup, activation, seed, high, bias)
            found.pop("net"), found.pop("pres", None)
            at_high[label].append(found)
    checks = maxout_checks(plan)
    claims(result, base, at_high, recovered, high)
    report.tables(result, chosen, base, at_high, recovered, checks, high, setup, plan, quick)
    report.figures(result, out, chosen, recovered, high, setup.tracked)
    report.notes(result, chosen, high, checks, at_high, quick)
    result.seconds = timer.seconds()
    return result


def push_or_nothing(setup: runs.Setup, found: dict[str, Any], seed: int) -> runs.Recovery:
    """The push-and-recover run on a trained net (a diverged net has nothing to push)."""
    if found["diverged"]:
        return runs.Recovery(diverged=True)
    return runs.push_and_recover(setup, found["net"], seed)


def maxout_checks(plan: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """He versus LeCun init in the ``activations`` experiment's Maxout setting (20,000 images)."""
    if not plan["maxout_check_seeds"]:
        return {}
    X, y, _, _ = load_split("fashion-mnist", 20000)
    return {init: [runs.maxout_init_check(X, y, init, seed, plan["maxout_check_updates"])
                   for seed in range(plan["maxout_check_seeds"])] for init in ("he_normal", "lecun_normal")}


def accuracies(found: list[dict[str, Any]]) -> str:
    return f"{np.mean([CHANCE if f['diverged'] else f['accuracy'] for f in found]):.3f}"


def revived(found: list[runs.Recovery], layer: int) -> list[float]:
    return [DIVERGED_REVIVED if r.diverged else r.revived[layer] for r in found]


def claims(result: Result, base: dict, at_high: dict, recovered: dict, high: float) -> None:
    """The claims, in a fixed order with fixed texts (the numbers go to ``baseline``)."""
    dead = {k: [value(f, "dead", DIVERGED_DEAD) for f in v] for k, v in at_high.items()}
    dead_base = [value(f, "dead", DIVERGED_DEAD) for f in base["relu"]]
    high_acc = f"high rate ({high:g})"
    result.claims.append(Claim.from_paired(
        "Too high a learning rate kills ReLU units ('In practice a large fraction of ReLU units can die if the "
        "learning rate is set too high')",
        "per seed: share of the 256 hidden ReLUs dead (pre-activation <= 0 on every training image) at the high "
        "rate minus at rate 0.05, same init and number of updates; high rate chosen on separate seeds; threshold "
        "0 (the notes give a direction only)",
        dead["relu"], dead_base, 0.0, ">",
        baseline=f"test accuracy: rate 0.05 {accuracies(base['relu'])}, {high_acc} {accuracies(at_high['relu'])}"))
    result.claims.append(Claim.from_paired(
        "A small positive bias init (0.01) reduces ReLU deaths ('It is advised to initialize the bias to a positive "
        "value (0.01)'), at a rate where some but not all ReLUs die",
        "per seed: share of hidden ReLUs dead with bias init 0 minus with bias init 0.01, both at the high rate; "
        "threshold 0 (direction only)",
        dead["relu"], dead["relu+bias"], 0.0, ">",
        baseline=f"test accuracy at the {high_acc}: bias 0 {accuracies(at_high['relu'])}, bias 0.01 "
                 f"{accuracies(at_high['relu+bias'])}"))
    for activation, name, source in (("leaky_relu", "Leaky ReLU", "Will not die"),
                                     ("elu", "ELU", "Activations do not die")):
        result.claims.append(Claim.from_paired(
            f"{name} units do not die where ReLUs do ('{source}')",
            f"per seed: share of hidden units dead (pre-activation <= 0 on every training image: by the sign, since "
            f"{'an' if name[0] in 'AEIOU' else 'a'} {name} unit is never exactly 0), ReLU minus {name}, both at the "
            "high rate; threshold 0 "
            "(direction only)",
            dead["relu"], dead[activation], 0.0, ">",
            baseline=f"test accuracy at the {high_acc}: ReLU {accuracies(at_high['relu'])}, {name} "
                     f"{accuracies(at_high[activation])}"))
    relu = recovered["relu"]
    acc_relu = (f"ReLU net test accuracy: trained {accuracies(base['relu'])}, just after the push "
                f"{np.mean([r.accuracy_pushed for r in relu if not r.diverged]):.3f}, after the recovery updates "
                f"{np.mean([r.accuracy_after for r in relu if not r.diverged]):.3f}")
    for layer, where in ((0, "first"), (1, "second")):
        result.claims.append(Claim.from_samples(
            f"A {where}-layer ReLU unit driven dead stays dead ('The neuron will now stay dead forever!!')",
            f"per seed: share of the 32 pushed {where}-layer ReLUs active again (pre-activation > 0 on at least one "
            f"training image) after the recovery updates; threshold {STAY_DEAD}: the notes' 'forever' means 0, "
            "and an interval of zeros cannot lie below 0, so mlplab tolerates 1 unit in 20",
            revived(relu, layer), STAY_DEAD, "<", baseline=acc_relu))
    for activation, name, source in (("leaky_relu", "Leaky ReLU", "Will not die (0.01x ensures that at least a "
                                                                  "small gradient will flow through)"),
                                     ("prelu", "PReLU", "α will get updated during backpropagation"),
                                     ("elu", "ELU", "ae^x − 1 ensures that at least a small gradient will flow "
                                                    "through")):
        after = [r.accuracy_after for r in recovered[activation] if not r.diverged]
        result.claims.append(Claim.from_paired(
            f"{name} units driven dead come back, where ReLU units do not ('{source}')",
            f"per seed: share of the 32 pushed first-layer units active again after the recovery updates, "
            f"{name} minus ReLU (same seeds, same pushed units); threshold 0 (direction only)",
            revived(recovered[activation], 0), revived(relu, 0), 0.0, ">",
            baseline=f"test accuracy after the recovery updates: ReLU "
                     f"{np.mean([r.accuracy_after for r in relu if not r.diverged]):.3f}, {name} "
                     f"{np.mean(after) if after else math.nan:.3f}"))
    centred = {k: [value(f, "centred", DIVERGED_CENTRED) for f in v] for k, v in base.items()}
    for activation, name in (("elu", "ELU"), ("leaky_relu", "Leaky ReLU")):
        result.claims.append(Claim.from_paired(
            f"{name} outputs are nearer zero-centred than ReLU outputs ('Close to zero centered outputs')",
            f"per seed: centredness c = mean_j |mean_x h_j| / rms(h) of the hidden outputs (mean of the two layers, "
            f"0 = zero-centred), ReLU minus {name}, after training at rate 0.05; threshold 0 (direction only)",
            centred["relu"], centred[activation], 0.0, ">",
            baseline=f"test accuracy: ReLU {accuracies(base['relu'])}, {name} {accuracies(base[activation])}"))
    pieces = [value(f, "dead_piece", DIVERGED_DEAD) for f in base["maxout"]]
    result.claims.append(Claim.from_paired(
        "Maxout units do not die ('No saturation! No death!')",
        "per seed at rate 0.05: share of ReLU units dead minus share of Maxout units with a dead piece (a piece "
        "that wins on no training image: a ReLU is a maxout of its affine piece and a fixed 0, and dies when that "
        "piece never wins); threshold 0 (direction only)",
        dead_base, pieces, 0.0, ">",
        baseline=f"test accuracy at rate 0.05: ReLU {accuracies(base['relu'])}, Maxout {accuracies(base['maxout'])}"))
