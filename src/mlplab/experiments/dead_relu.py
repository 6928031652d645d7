"""Dead rectifiers (CS7015 lecture 9, module 9.3; DD2424 lecture 4).

The notes: a ReLU unit whose pre-activation ``s = w . x + b`` is negative for every input outputs 0
and gets ``dh/ds = 0``, so "The weights w1, w2 and b will not get updated" and "The neuron will now
stay dead forever!!"; "In practice a large fraction of ReLU units can die if the learning rate is set
too high"; "It is advised to initialize the bias to a positive value (0.01)".  Leaky ReLU "Will not
die (0.01x ensures that at least a small gradient will flow through)" and has "Close to zero centered
outputs", as has ELU; Maxout has "No saturation! No death!".

What is measured, on 784-128-128-10 nets trained with plain SGD (batch 100) on 10,000 Fashion-MNIST
images (test accuracy on the whole 10,000-image test set; the quick run's smaller budget is in :func:`budgets`):

1. deaths: every net trained for the same number of updates at the base rate 0.05 and at a high
   rate chosen on separate seeds (the smallest rate of a fixed grid at which 10-90% of the ReLUs
   die while every compared arm still learns: the onset of dying), ReLU with bias 0 and 0.01, Leaky
   ReLU, ELU (dead: ``s <= 0`` on every training image, see :mod:`.dead_relu_measure`); a run that
   failed (NaN loss, chance-level training accuracy, exploded weights) is counted apart and left out
   of every comparison (both arms of the seed);
2. recovery: after the base-rate training, 32 units of each hidden layer are driven dead on purpose
   (their bias lowered until their largest pre-activation is one of its standard deviations below
   0), training goes on, and the share of those units active again and the share of the way back
   they climbed ("gap closed") are measured; PReLU is compared with a Leaky ReLU of its initial
   slope 0.25, fixed, to tell a learned slope from a large one;
3. centredness of the hidden outputs, PReLU's learned slopes, Maxout's dead pieces and saturated
   units, and why Maxout diverged in the ``activations`` experiment (its former He init).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np

from mlplab.experiments import dead_relu_measure as measure
from mlplab.experiments import dead_relu_report as report
from mlplab.experiments import dead_relu_runs as runs
from mlplab.experiments.base import Result, Timer, load_split
from mlplab.experiments.dead_relu_measure import STAY_DEAD
from mlplab.experiments.verdict import Claim

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
SELECTION_SEEDS = (2000, 2001)                     # never among the random seeds the claims are measured on
COMPARED = ("relu", "relu+bias", "leaky_relu", "elu")   # the arms compared at the high rate
HIGH_RATE_ACTIVATIONS = (*COMPARED, "prelu", "maxout")
RECOVERING = ("relu", "leaky_relu", "prelu", "leaky_relu_0.25", "elu")
CHANCE = 0.1


def budgets(quick: bool) -> dict[str, Any]:
    """The data and updates of each phase; quick trains less and skips the Maxout-init check.

    Quick (about 10.5 s of CPU, from 19-22 s with 10,000 images and 200 updates before the push):
    half the training images (5,000, a subset of the full run's 10,000), so that two epochs (100
    updates) precede the push and every pass over the training set (dead shares, pushes, training
    accuracy) costs half; the recovery keeps 200 updates (the Leaky ReLU claim's text names that
    budget); test accuracy (baselines only, no claim) on the first 1,000 test images; the revival
    curve on the first 1,000 training images.  Smaller was tried on the selection seed and was worse:
    50 updates or 2,500 images and no rate of the grid meets the rule (ReLUs stop learning before
    10% of them die)."""
    if quick:
        return {"updates": 100, "recovery_updates": 200, "track_every": 100, "tracked": 1000,
                "selection_seeds": SELECTION_SEEDS[:1],
                "maxout_check_seeds": 0, "maxout_check_updates": 200, "n_train": N_TRAIN // 2, "n_test": 1000}
    return {"updates": 500, "recovery_updates": 1000, "track_every": 100, "tracked": N_TRAIN,
            "selection_seeds": SELECTION_SEEDS,
            "maxout_check_seeds": 10, "maxout_check_updates": 400, "n_train": N_TRAIN, "n_test": 10000}


def arm(label: str) -> tuple[str, float]:
    """(activation, bias init) of a high-rate arm."""
    return ("relu", 0.01) if label == "relu+bias" else (label, 0.0)


def select_rate(setup: runs.Setup, seeds: tuple[int, ...], whole_grid: bool) -> dict[str, Any]:
    """ReLU nets at the rates of :data:`RATES` on the selection seeds (every rate when ``whole_grid``,
    for the figure; else up to the first at which they no longer learn); at each rate where 10-90% of
    them die and they learn, in ascending order, the other compared arms too, until one rate has
    every arm learning; then :func:`~.dead_relu_measure.choose_rate` applies the rule."""
    found: dict[str, list[list[dict[str, Any]] | None]] = {a: [] for a in COMPARED}
    done, rates = False, []
    for rate in RATES:
        relu = [runs.trained(setup, "relu", seed, rate) for seed in seeds]
        rates.append(rate)
        found["relu"].append(relu)
        others_needed = not done and measure.qualifies(float(np.mean([_dead(f) for f in relu])), _learn(relu))
        for label in COMPARED[1:]:
            found[label].append([runs.trained(setup, arm(label)[0], seed, rate, arm(label)[1], light=True)
                                 for seed in seeds] if others_needed else None)
        done = done or (others_needed and all(_learn(found[a][-1]) for a in COMPARED))
        # quick assumes that an arm which fails at a rate fails at every higher one: once the others learn
        # where ELU fails, no higher rate can keep ELU, and the ELU-less rule has its rate (the full run
        # tries every qualifying rate, and its table shows whether the assumption held)
        without_elu = others_needed and all(_learn(found[a][-1]) for a in COMPARED if a != "elu")
        if not whole_grid and (done or without_elu or not _learn(relu)):
            break
    for runs_ in found.values():
        for at_rate in runs_:
            for f in at_rate or []:
                f.pop("net", None), f.pop("pres", None)
    dead = [float(np.mean([_dead(f) for f in relu])) for relu in found["relu"]]
    learned = {a: [bool(r) and _learn(r) for r in found[a]] for a in COMPARED}
    return {**measure.choose_rate(rates, dead, learned), "rates": rates, "found": found,
            "dead_mean": dead, "learned": learned, "seeds": list(seeds)}


def _dead(found: dict[str, Any]) -> float:
    """A run's dead share (1 for a run that failed: only for the selection table and figure)."""
    return 1.0 if found["failed"] else float(np.mean(found["dead"]))


def _learn(found: list[dict[str, Any]]) -> bool:
    """Every run learned: did not fail and reached training accuracy :data:`~.dead_relu_measure.LEARNED`."""
    return all(not f["failed"] and f["train_accuracy"] >= measure.LEARNED for f in found)


def run(out: Path, seeds: int = SEEDS, quick: bool = False) -> Result:
    timer = Timer()
    result = Result(NAME, TITLE, SOURCE, seeds, quick)
    plan = budgets(quick)
    X, y, Xt, yt = load_split("fashion-mnist", plan["n_train"])
    Xt, yt = Xt[:plan["n_test"]], yt[:plan["n_test"]]
    setup = runs.Setup(X, y, Xt, yt, base_rate=BASE_RATE, updates=plan["updates"],
                       recovery_updates=plan["recovery_updates"], track_every=plan["track_every"],
                       tracked=plan["tracked"])
    chosen = select_rate(setup, plan["selection_seeds"], whole_grid=not quick)
    high = chosen["rate"]
    base: dict[str, list[dict[str, Any]]] = {a: [] for a in (*RECOVERING, "maxout")}
    claimed = [a for a in COMPARED if a != "elu" or "elu" not in chosen["dropped"]]
    # quick runs at the high rate only the arms its claims compare (PReLU, Maxout and a dropped ELU there
    # feed tables, not claims)
    at_high: dict[str, list[dict[str, Any]]] = {a: [] for a in (claimed if quick else HIGH_RATE_ACTIVATIONS)}
    recovered: dict[str, list[runs.Recovery]] = {a: [] for a in RECOVERING}
    for seed in range(seeds):
        for activation in base:
            found = runs.trained(setup, activation, seed, BASE_RATE)
            if activation in RECOVERING:
                recovered[activation].append(push_or_nothing(setup, found, seed))
            found.pop("net"), found.pop("pres", None)
            base[activation].append(found)
        for label in at_high:
            found = runs.trained(setup, arm(label)[0], seed, high, arm(label)[1])
            found.pop("net"), found.pop("pres", None)
            at_high[label].append(found)
    checks = maxout_checks(plan)
    claims(result, base, at_high, recovered, high, "elu" not in chosen["dropped"], setup.recovery_updates)
    report.tables(result, chosen, base, at_high, recovered, checks, high, setup, plan, quick)
    report.figures(result, out, chosen, recovered, high, setup.tracked)
    report.notes(result, chosen, high, checks, at_high, quick)
    result.seconds = timer.seconds()
    return result


def push_or_nothing(setup: runs.Setup, found: dict[str, Any], seed: int) -> runs.Recovery:
    """The push-and-recover run on a trained net (a failed net has nothing to push)."""
    if found["failed"]:
        return runs.Recovery(failed=True)
    return runs.push_and_recover(setup, found["net"], seed)


def maxout_checks(plan: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """He versus LeCun init in the ``activations`` experiment's Maxout setting (20,000 images)."""
    if not plan["maxout_check_seeds"]:
        return {}
    X, y, _, _ = load_split("fashion-mnist", 20000)
    return {init: [runs.maxout_init_check(X, y, init, seed, plan["maxout_check_updates"])
                   for seed in range(plan["maxout_check_seeds"])] for init in ("he_normal", "lecun_normal")}


def _failed(item: Any) -> bool:
    return bool(item["failed"] if isinstance(item, dict) else item.failed)


def learned_pairs(a: list, b: list, get: Callable[[Any], float],
                  get_b: Callable[[Any], float] | None = None) -> tuple[list[float], list[float]]:
    """``get`` of each arm (``get_b`` of arm ``b`` if given) on the random seeds where NEITHER run failed (a failed run is counted apart, never
    as a value: counting a blown-up net as 'every unit dead' would decide the comparison by
    divergence, not by death)."""
    keep = [i for i in range(len(a)) if not _failed(a[i]) and not _failed(b[i])]
    return [get(a[i]) for i in keep], [(get_b or get)(b[i]) for i in keep]


def mean_of(key: str) -> Callable[[dict[str, Any]], float]:
    return lambda found: float(np.mean(found[key]))


def accuracies(found: list[Any], attribute: str = "accuracy") -> str:
    """Mean test accuracy over the runs that did not fail, and how many failed."""
    values = [(f[attribute] if isinstance(f, dict) else getattr(f, attribute)) for f in found if not _failed(f)]
    failed = sum(_failed(f) for f in found)
    mean = f"{np.mean(values):.3f}" if values else "-"
    return mean + (f" ({failed} of {len(found)} runs failed)" if failed else "")


def paired_baseline(a: list, b: list, names: tuple[str, str], context: str) -> str:
    n = len(learned_pairs(a, b, lambda f: 0.0)[0])
    return (f"test accuracy{' ' + context if context else ''}: {names[0]} {accuracies(a)}, {names[1]} {accuracies(b)}; judged on the {n} "
            f"of {len(a)} seeds where neither run failed")


def claims(result: Result, base: dict, at_high: dict, recovered: dict, high: float, with_elu: bool,
           recovery_updates: int) -> None:
    """The claims, in a fixed order with fixed texts (the numbers go to ``baseline``); ``with_elu``: the
    rate rule kept ELU in the high-rate comparison."""
    dead = mean_of("dead")
    at = f"at the high rate ({high:g})"
    a, b = learned_pairs(at_high["relu"], base["relu"], dead)
    result.claims.append(Claim.from_paired(
        "Too high a learning rate kills ReLU units ('In practice a large fraction of ReLU units can die if the "
        "learning rate is set too high'), at a high rate picked on other seeds as one where ReLUs partly die",
        "per seed: share of the 256 hidden ReLUs dead (pre-activation <= 0 on every training image) at the high "
        "rate minus at rate 0.05, same init and number of updates, on seeds where neither run failed; the high "
        "rate is the smallest of a fixed grid where 10-90% of ReLUs die on separate selection seeds; threshold 0 "
        "(the notes give a direction only)",
        a, b, 0.0, ">", baseline=paired_baseline(at_high["relu"], base["relu"], (f"rate {high:g}", "rate 0.05"), "")))
    a, b = learned_pairs(at_high["relu"], at_high["relu+bias"], dead)
    result.claims.append(Claim.from_paired(
        "A small positive bias init (0.01) reduces ReLU deaths ('It is advised to initialize the bias to a positive "
        "value (0.01)'), at a rate where some but not all ReLUs die",
        "per seed: share of hidden ReLUs dead with bias init 0 minus with bias init 0.01, both at the high rate, on "
        "seeds where neither run failed; threshold 0 (direction only)",
        a, b, 0.0, ">", baseline=paired_baseline(at_high["relu"], at_high["relu+bias"], ("bias 0", "bias 0.01"), at)))
    arms = [("leaky_relu", "Leaky ReLU", "Will not die")] + ([("elu", "ELU", "Activations do not die")]
                                                              if with_elu else [])
    for activation, name, source in arms:
        a, b = learned_pairs(at_high["relu"], at_high[activation], dead)
        result.claims.append(Claim.from_paired(
            f"Fewer {name} units than ReLUs enter the all-negative regime (pre-activation <= 0 on every training "
            f"image) at a rate where ReLUs die ('{source}', read by the sign of the pre-activation)",
            f"per seed: share of hidden units with pre-activation <= 0 on every training image (by the sign, since "
            f"{'an' if name[0] in 'AEIOU' else 'a'} {name} unit is never exactly 0; whether gradient still flows "
            f"is the recovery claims' question), ReLU minus {name}, both at the high rate, on seeds where neither "
            "run failed; threshold 0 (direction only)",
            a, b, 0.0, ">", baseline=paired_baseline(at_high["relu"], at_high[activation], ("ReLU", name), at)))
    relu = recovered["relu"]
    live = [r for r in relu if not r.failed]
    result.claims.append(Claim.from_samples(
        "A ReLU unit driven dead in the second hidden layer stays dead, extending the notes' first-layer example "
        "to a deeper layer ('The neuron will now stay dead forever!!')",
        f"per seed: share of the 32 pushed second-layer ReLUs active again (pre-activation > 0 on at least one "
        f"training image) after the recovery updates; threshold {STAY_DEAD}: the notes' 'forever' means 0, and an "
        "interval of zeros cannot lie below 0, so mlplab tolerates 1 unit in 20",
        [r.revived[1] for r in live], STAY_DEAD, "<",
        baseline=f"ReLU net test accuracy: trained {accuracies(base['relu'])}, just after the push "
                 f"{np.mean([r.accuracy_pushed for r in live]):.3f}, after the {recovery_updates} recovery updates "
                 f"{np.mean([r.accuracy_after for r in live]):.3f}"))
    leaky = [r for r in recovered["leaky_relu"] if not r.failed]
    result.claims.append(Claim.from_samples(
        "Leaky ReLU units driven dead do not die: a gradient still flows and moves them back towards "
        "activity ('Will not die (0.01x ensures that at least a small gradient will flow through)')",
        "per seed: gap closed by the 32 pushed first-layer Leaky ReLUs after the recovery updates, (max_x s(after) "
        "- max_x s(pushed)) / (0 - max_x s(pushed)), mean over the units (0: not moved, as a dead first-layer "
        "ReLU cannot; 1: back to a positive pre-activation); threshold 0 (direction only)",
        [r.gap[0] for r in leaky], 0.0, ">",
        baseline=f"test accuracy after the {recovery_updates} recovery updates: Leaky ReLU "
                 f"{accuracies(recovered['leaky_relu'], 'accuracy_after')}; ReLU's gap closed in layer 1: "
                 f"{np.mean([r.gap[0] for r in live]):.3g}"))
    revived = mean_first_layer_revived
    for activation, control, name, source, budget in (
            ("leaky_relu", "relu", "Leaky ReLU", "Will not die", "where ReLU units do not, within the recovery "
             "budget (1,000 updates in the full run, 200 in the quick one)"),
            ("prelu", "leaky_relu_0.25", "PReLU", "α will get updated during backpropagation",
             "more than units of a Leaky ReLU with PReLU's initial slope 0.25 fixed (the learned slope, not its "
             "starting value, brings them back)"),
            ("elu", "relu", "ELU", "ae^x − 1 ensures that at least a small gradient will flow through",
             "where ReLU units do not")):
        a, b = learned_pairs(recovered[activation], recovered[control], revived)
        other = "ReLU" if control == "relu" else "fixed-slope 0.25 Leaky ReLU"
        result.claims.append(Claim.from_paired(
            f"{name} units driven dead come back, {budget} ('{source}')",
            f"per seed: share of the 32 pushed first-layer units active again after the recovery updates, "
            f"{name} minus {other} (same seeds, same pushed units), on seeds where neither run failed; threshold 0 "
            "(direction only)",
            a, b, 0.0, ">",
            baseline=f"test accuracy after the {recovery_updates} recovery updates: {other} "
                     f"{accuracies(recovered[control], 'accuracy_after')}, {name} "
                     f"{accuracies(recovered[activation], 'accuracy_after')}"))
    centred = mean_of("centred")
    for activation, name in (("elu", "ELU"), ("leaky_relu", "Leaky ReLU")):
        a, b = learned_pairs(base["relu"], base[activation], centred)
        result.claims.append(Claim.from_paired(
            f"{name} outputs are nearer zero-centred than ReLU outputs ('Close to zero centered outputs')",
            f"per seed: centredness c = mean_j |mean_x h_j| / rms(h) of the hidden outputs (mean of the two layers, "
            f"0 = zero-centred), ReLU minus {name}, after training at rate 0.05, on seeds where neither run failed; "
            "threshold 0 (direction only)",
            a, b, 0.0, ">", baseline=paired_baseline(base["relu"], base[activation], ("ReLU", name), "at rate 0.05")))
    a, b = learned_pairs(base["relu"], base["maxout"], dead, mean_of("dead_piece"))
    result.claims.append(Claim.from_paired(
        "Fewer Maxout units lose a piece than ReLU units die ('No saturation! No death!'; a ReLU is a maxout of its "
        "affine piece and a fixed 0)",
        "per seed at rate 0.05: share of ReLU units dead minus share of Maxout units with a dead piece (a piece "
        "that wins on no training image), on seeds where neither run failed; Maxout has twice the weights and "
        "init N(0, 1/fan_in), ReLU He's N(0, 2/fan_in); threshold 0 (direction only)",
        a, b, 0.0, ">", baseline=paired_baseline(base["relu"], base["maxout"], ("ReLU", "Maxout"), "at rate 0.05")))


def mean_first_layer_revived(found: runs.Recovery) -> float:
    return found.revived[0]
