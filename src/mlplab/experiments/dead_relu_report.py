"""Tables, figures and notes of the ``dead-relu`` experiment (the claims are in :mod:`.dead_relu`)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from mlplab.experiments.base import Result, Table, add_figure, mean_spread
from mlplab.experiments.dead_relu_measure import FAILED_ACCURACY, FORMER_SELECTION_SEEDS, STAY_DEAD, WEIGHT_LIMIT
from mlplab.report import pyplot

NAMES = {"relu": "ReLU", "relu+bias": "ReLU, bias init 0.01", "leaky_relu": "Leaky ReLU (0.01)",
         "prelu": "PReLU (per unit, initial slope 0.25)", "leaky_relu_0.25": "Leaky ReLU (0.25, fixed)", "elu": "ELU",
         "maxout": "Maxout (2 pieces)"}


def _layer(found: list[dict[str, Any]], key: str, layer: int) -> str:
    return mean_spread([f[key][layer] if not f["failed"] and key in f else math.nan for f in found])


def _acc(found: list[dict[str, Any]], key: str = "accuracy") -> str:
    return mean_spread([f[key] for f in found])


def _failed(item: Any) -> bool:
    return bool(item.get("failed", item.get("diverged")) if isinstance(item, dict) else item.failed)


def _diverged(found: list) -> str:
    return f"{sum(_failed(f) for f in found)} of {len(found)}"


def _failures(found: list[dict[str, Any]]) -> str:
    """How many runs failed, and how: NaN loss, at chance (training accuracy < 0.2), weights > 1e3."""
    nan = sum(f["diverged"] for f in found)
    chance = sum(not f["diverged"] and f["train_accuracy"] < FAILED_ACCURACY for f in found)
    big = sum(not f["diverged"] and not f["max_weight"] <= WEIGHT_LIMIT for f in found)
    return f"{sum(f['failed'] for f in found)} of {len(found)} (NaN {nan}, at chance {chance}, exploded {big})"


def _top_weight(found: list[dict[str, Any]]) -> str:
    values = [f["max_weight"] for f in found if not f["diverged"]]
    return f"{min(values):.3g}..{max(values):.3g}" if values else "-"


def tables(result: Result, chosen: dict, base: dict, at_high: dict, recovered: dict, checks: dict,
           high: float, setup: Any, plan: dict, quick: bool) -> None:
    """Every measurement behind the claims, by activation, layer and phase."""
    result.tables.append(_selection_table(chosen, high, setup))
    rows = []
    for rate, found in ((0.05, base), (high, at_high)):
        for label, runs in found.items():
            if label == "maxout":
                continue
            rows.append([f"{rate:g}", NAMES[label], _layer(runs, "dead", 0), _layer(runs, "dead", 1), _acc(runs),
                         _acc(runs, "train_accuracy"), _top_weight(runs), _failures(runs)])
    result.tables.append(Table(
        f"Dead share (pre-activation <= 0 on all {setup.X.shape[0]:,} training images) after {setup.updates} "
        "updates, per hidden layer; mean ± sd (min..max) over seeds. A run failed if its loss became NaN/inf, it "
        "ended at chance (training accuracy < 0.2) or any |weight| exceeded 1e3 (fixed before the rerun); dead "
        "shares leave failed runs out, accuracies do not (a NaN run shows as NaN)",
        ["rate", "units", "dead, layer 1", "dead, layer 2", "test accuracy", "training accuracy",
         "largest |weight| (min..max over runs)", "runs failed"], rows))
    result.tables.append(Table(
        f"Maxout (init N(0, 1/fan_in)) after {setup.updates} updates: dead pieces (a piece that wins on no training "
        "image) and saturated units (output sd over the data < 1% of the layer's rms)",
        ["rate", "units with a dead piece, layer 1", "layer 2", "saturated units, layer 1", "layer 2",
         "test accuracy", "runs failed"],
        [[f"{rate:g}", _layer(f, "dead_piece", 0), _layer(f, "dead_piece", 1), _layer(f, "saturated", 0),
          _layer(f, "saturated", 1), _acc(f), _failures(f)]
         for rate, f in ((0.05, base["maxout"]), (high, at_high.get("maxout"))) if f]))
    result.tables.append(_mechanism_table(recovered, setup))
    result.tables.append(_recovery_table(recovered, base, setup))
    result.tables.append(_centred_table(base))
    result.tables.append(_slope_table(recovered))
    if checks:
        result.tables.append(_maxout_init_table(checks, plan))


def _selection_table(chosen: dict, high: float, setup: Any) -> Table:
    seeds = ", ".join(map(str, chosen["seeds"]))
    rows = []
    for i, rate in enumerate(chosen["rates"]):
        row = [f"{rate:g}"]
        for label in chosen["found"]:
            runs = chosen["found"][label][i]
            row.append("-" if runs is None else ", ".join(
                ("failed" if f["failed"] else f"{f['train_accuracy']:.2f}") +
                (f" ({np.mean(f['dead']):.2f} dead)" if label == "relu" and not f["failed"] else "") for f in runs))
        rows.append(row + ["yes" if rate == high else ""])
    return Table(
        f"Choosing the high rate on the selection seeds {seeds} ({setup.updates} updates of plain SGD): training "
        "accuracy per seed (and the ReLU nets' dead share). Rule fixed before these seeds were run: the smallest "
        "rate at which the mean ReLU dead share is 10-90% and every compared arm learns (training accuracy >= 0.5, "
        "not failed) on every selection seed; if none, ELU is dropped from the comparison and the rule applied to "
        "the others. The other arms are run only at rates where the ReLUs qualify ('-': not run)",
        ["rate", *[NAMES[a] for a in chosen["found"]], "chosen"], rows)


def _mechanism_table(recovered: dict, setup: Any) -> Table:
    rows = []
    for label, found in recovered.items():
        live = [r for r in found if not r.failed]
        for layer in range(len(setup.hidden)):
            rows.append([NAMES[label], f"{layer + 1}", mean_spread([r.moved[layer] for r in live]),
                         mean_spread([r.revived[layer] for r in live]), mean_spread([r.gap[layer] for r in live])])
    return Table(
        "Mechanism check, true by construction (not a claim): with plain SGD a unit whose pre-activation is <= 0 "
        "on every training image gets exactly zero gradient, so a pushed first-layer ReLU's weights and bias do not "
        "move (largest |change| exactly 0) and it cannot come back; a second-layer ReLU's w and b do not move while it "
        "is dead either, but its inputs do, and once back it trains again (its change below). Per seed, the pushed "
        "units' largest |change| of w and b over the recovery updates",
        ["units", "layer", "largest |change| of the pushed units' w, b", "active again", "gap closed"], rows)
def _recovery_table(recovered: dict, base: dict, setup: Any) -> Table:
    rows = []
    for label, found in recovered.items():
        live = [r for r in found if not r.failed]

        def per_layer(attribute: str, layer: int) -> str:
            return mean_spread([getattr(r, attribute)[layer] for r in live if getattr(r, attribute)])
        rows.append([NAMES[label], per_layer("dead_after_push", 0), per_layer("revived", 0), per_layer("revived", 1),
                     per_layer("gap", 0), per_layer("gap", 1), _acc(base[label]),
                     mean_spread([r.accuracy_pushed for r in live]), mean_spread([r.accuracy_after for r in live]),
                     _diverged(found)])
    return Table(
        f"Units driven dead on purpose ({setup.pushed} per hidden layer, largest pre-activation put {setup.margin:g} "
        f"of its sd below 0) after {setup.updates} updates, then {setup.recovery_updates} more updates at rate "
        f"{setup.base_rate:g}; 'gap closed': share of the way back to a positive pre-activation (>= 1: active again)",
        ["units", "dead just after the push, layer 1", "active again, layer 1", "active again, layer 2",
         "gap closed, layer 1", "gap closed, layer 2", "test accuracy trained", "just after the push",
         "after the recovery updates", "runs failed"], rows)


def _centred_table(base: dict) -> Table:
    rows = [[NAMES[label], _layer(found, "centred", 0), _layer(found, "centred", 1), _acc(found)]
            for label, found in base.items()]
    relu = base["relu"]
    for key, name in (("leaky_on_relu", "Leaky ReLU"), ("elu_on_relu", "ELU")):
        rows.append([f"reference: {name} applied to the ReLU nets' own pre-activations (the definition alone)",
                     _layer(relu, key, 0), _layer(relu, key, 1), "-"])
    return Table("Centredness c = mean_j |mean_x h_j| / rms(h) of the hidden outputs on the training images after "
                 "training at rate 0.05 (0: zero-centred; 1: one sign and size)",
                 ["units", "c, layer 1", "c, layer 2", "test accuracy"], rows)


def _slope_table(recovered: dict) -> Table:
    rows = []
    found = [r for r in recovered["prelu"] if not r.failed and r.slopes_kept]
    for layer in range(len(found[0].slopes_kept) if found else 0):
        def stats(values: list[np.ndarray]) -> list[str]:
            pooled = np.concatenate(values)
            return [f"{pooled.mean():.3g}", f"{np.mean([v.std() for v in values]):.3g}",
                    f"{pooled.min():.3g}..{pooled.max():.3g}"]
        rows.append([f"{layer + 1}", "not pushed", *stats([r.slopes_kept[layer] for r in found])])
        rows.append([f"{layer + 1}", "pushed dead", *stats([r.slopes_pushed[layer] for r in found])])
    return Table("PReLU's learned slopes alpha (one per unit, initialised 0.25) at the end of the recovery run, over "
                 "all seeds' units",
                 ["layer", "units", "mean", "sd over a net's units (mean over seeds)", "min..max"], rows)


def _maxout_init_table(checks: dict, plan: dict) -> Table:
    rows = []
    for init, found in checks.items():
        steps = [f["step"] for f in found if f["diverged"]]
        rms = np.mean([f["rms"] for f in found], axis=0)
        rows.append([init, _diverged(found), mean_spread(steps) if steps else "-",
                     " → ".join(f"{v:.3g}" for v in rms)])
    return Table(
        f"Why Maxout diverged in the activations experiment: its setting (784-256-256-10 Maxout, 20,000 images, "
        f"SGD rate 0.05 momentum 0.9, batch 100) for {plan['maxout_check_updates']} updates, by weight init",
        ["init", "runs diverged", "update at which the loss became NaN/inf", "rms at init: layer 1 → layer 2 → "
                                                                             "logits (first 1,000 images)"], rows)


def figures(result: Result, out: Path, chosen: dict, recovered: dict, high: float, tracked: int) -> None:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    relu = chosen["found"]["relu"]
    for k, seed in enumerate(chosen["seeds"]):
        ax.plot(chosen["rates"], [1.0 if r[k]["failed"] else np.mean(r[k]["dead"]) for r in relu], marker="o", lw=0.8,
                label=f"selection seed {seed}")
    ax.axhspan(0.1, 0.9, color="tab:green", alpha=0.08, label="10-90% dead")
    ax.axvline(high, color="k", ls=":", lw=1, label=f"chosen high rate {high:g}")
    ax.set_xlabel("learning rate (plain SGD)")
    ax.set_ylabel("share of hidden ReLUs dead")
    ax.legend(fontsize=8)
    add_figure(result, fig, out, "rate_sweep.png",
               "Share of hidden ReLUs dead (pre-activation <= 0 on every training image) by learning rate, on the "
               "selection seeds (a failed run drawn at 1): look for the narrow band of rates between almost none and "
               "almost all dead")
    fig, axes = plt.subplots(2, 2, figsize=(9, 6.4), sharex=True)
    styles = {"relu": ("o", "-", 2.5), "leaky_relu": ("x", "--", 1.2), "prelu": (".", "-", 1.2),
              "leaky_relu_0.25": ("+", ":", 1.2), "elu": (".", "-", 1.2)}
    for label, found in recovered.items():
        live = [r for r in found if not r.failed and r.curve]
        if not live:
            continue
        marker, line, width = styles[label]
        for row, key in enumerate(("curve", "gap_curve")):
            curve = np.mean([getattr(r, key) for r in live], axis=0)
            for layer in range(2):
                axes[row, layer].plot(live[0].steps, curve[:, layer], marker=marker, ls=line, lw=width,
                                      label=NAMES[label])
    for layer in range(2):
        axes[0, layer].set_title(f"hidden layer {layer + 1}")
        axes[1, layer].set_xlabel("updates after the push")
        axes[1, layer].set_yscale("symlog", linthresh=0.01)
    axes[0, 0].set_ylabel("share of pushed units active again")
    axes[1, 0].set_ylabel("gap closed (symlog)")
    axes[0, 0].legend(fontsize=7)
    add_figure(result, fig, out, "recovery.png",
               "Units driven dead on purpose, as training goes on (mean over seeds, on the first "
               f"{tracked:,} training images). Top: the share active again (pre-activation > 0 on some image); bottom: "
               "the gap closed, the share of the way back to a positive pre-activation (1: back). Look for ReLU "
               "flat at 0 in layer 1 (nothing moves its weights), the layer-2 ReLUs revived by their moving inputs, "
               "Leaky ReLU's small but positive gap closed in layer 1, and PReLU beside the fixed 0.25 Leaky ReLU")


def notes(result: Result, chosen: dict, high: float, checks: dict, at_high: dict, quick: bool) -> None:
    """What was chosen after seeing results, what a failed run counts as, and the Maxout explanation."""
    seeds = ", ".join(map(str, chosen["seeds"]))
    former = ", ".join(map(str, FORMER_SELECTION_SEEDS))
    result.notes += [
        "Dead means a pre-activation <= 0 on every training image, for every rectifier alike (a Leaky ReLU, PReLU "
        "or ELU unit is never exactly 0, so counting exact zeros, as this experiment once did, says nothing about "
        "them). For Leaky ReLU, PReLU and ELU this is 'entering the all-negative regime', not death: such a unit "
        "still passes a gradient, which the recovery claims measure.",
        "Failed runs (changed after a review): a run failed if its loss became NaN/inf, if it ended at chance "
        "(training accuracy < 0.2) or if any |weight| exceeded 1e3. The earlier version counted only NaN losses "
        "and scored a failed run as 'every unit dead': ELU nets at rate 0.45 had blown up with a finite loss "
        "(weights 2e4..6e13, accuracy exactly 0.100) and were counted as dead, which decided the ELU comparison "
        "by divergence (and could flip the Leaky one). Now a failed run is counted in the tables ('runs failed') "
        "and every comparison uses only the random seeds on which neither arm failed (the baseline column says how many).",
        f"The high rate {high:g} was chosen in code on the selection seeds {seeds}, which no claim uses, by a rule "
        "fixed before those seeds were run: the smallest rate of the grid at which the mean ReLU dead share is "
        "within 10-90% and every compared arm (ReLU, ReLU with bias 0.01, Leaky ReLU, ELU) learns (training "
        "accuracy >= 0.5, not failed) on every selection seed; if no rate has that, ELU is dropped from the "
        "high-rate comparison and the rule applied to the others. The earlier rule (ReLU alone must learn) was "
        f"run on seeds {former} and chose 0.45, where every ELU net blew up; those seeds were then spent, so the "
        f"selection was rerun on new seeds. Outcome: {_selection_outcome(chosen)}. Chosen after seeing: the grid "
        "(0.3 to 0.7), after exploratory runs on seeds 100-102 showed almost no deaths below 0.3 and nets that no "
        "longer learn at 0.7 and above; the onset of dying (rather than the rate nearest 50% dead) after a trial "
        "quick run at 0.5 where Leaky ReLU and PReLU diverged. PReLU and Maxout are run at the high rate for the "
        "tables only (no claim).",
        "Chosen after seeing: the push margin (largest pre-activation one of the unit's own sds below 0) and the "
        "recovery budget. Exploratory runs on seeds 100-102 with absolute margins 0.5, 1, 2 and 5 and 1,000 "
        "recovery updates: with margin >= 2 no unit of any activation came back; with 0.5, 25-28% of the "
        "second-layer ReLUs came back (their inputs move) and ELU brought back 65-84%. A margin relative to each "
        "unit's spread was taken so that the push is alike for every unit. " + _tolerance(result),
        "A first-layer ReLU driven dead stays dead by construction (plain SGD, dead on the whole training set: its "
        "gradient is exactly 0), so it is not a claim; the mechanism-check table shows it (its w and b do not move "
        "at all). The claim is the second layer, which extends the notes' first-layer example: the lecture's "
        "argument ('The weights w1, w2 and b will not get updated') holds there too, but the unit's inputs are the "
        "first layer's outputs, which keep training; when they move, s = w . h + b can turn positive again with w "
        "and b untouched. 'Forever' is exact only where the inputs are fixed.",
        "Leaky ReLU (changed after a review): 'Will not die (0.01x ensures that at least a small gradient will flow "
        "through)' is judged by the gap closed (> 0: the pushed units moved back towards activity, which a dead "
        "ReLU cannot); whether they also get all the way back is a separate claim that names its budget: the 0.01 "
        "slope passes 1/100 of the gradient, so a pushed unit climbs back about 100 times slower than with slope 1, "
        "and within the recovery budget (1,000 updates in the full run) it comes back no more than a ReLU. Scaling the budget by 1/slope (100,000 updates) did not "
        "fit the time budget.",
        "PReLU (changed after a review): it starts from slope 0.25, 25 times Leaky ReLU's, so its revival could come "
        "from the large initial slope rather than from learning alpha. The control is a Leaky ReLU with slope "
        "0.25 fixed, whose Dense layers draw the same initial weights as the PReLU net of the same seed; the PReLU "
        "claim is PReLU minus that control. ELU's gradient exp(s) is large just below 0, so its units come back; it "
        "vanishes far below 0 (ELU saturates at -1), so an ELU unit pushed far enough is as stuck as a ReLU.",
        "Centredness: Leaky ReLU's 0.01 slope by itself lowers c by at most about 1% of c (for N(0, 1) "
        "pre-activations 0.559 instead of 0.564; the reference rows apply Leaky ReLU and ELU to the ReLU nets' own "
        "pre-activations); a reproduced verdict for Leaky ReLU would say 'nearer', not 'close to zero centred'.",
        "The Maxout claim (reworded after a review: 'fewer Maxout units lose a piece than ReLUs die', not 'no "
        "death') is judged at rate 0.05, the only rate of this experiment at which Maxout trains (in the full run "
        "every Maxout net failed at the high rate); at 0.05 few ReLUs die, so the verdict rests on a small difference. It is "
        "confounded: a Maxout layer has twice the weights of a ReLU layer and its init is N(0, 1/fan_in), the "
        "ReLU's He's N(0, 2/fan_in); it compares the two nets as mlplab builds them, not the non-linearity alone.",
        _maxout_note(checks, at_high.get("maxout"), high),
    ]
    if quick:
        result.notes.append("Quick run: 5,000 training images (a subset of the full run's 10,000), 100 updates "
                            "before the push and 200 after it, test accuracy on the first 1,000 test images, one "
                            "selection seed (rates tried only until the rule is met, with or without ELU, or ReLU "
                            "stops learning: it assumes that an arm failing at a rate fails at every higher one, "
                            "which the full run's table shows), PReLU and Maxout not run at the high rate (nor ELU "
                            "when the rule drops it), and no Maxout init check; the same claims.")


def _selection_outcome(chosen: dict) -> str:
    if not chosen["met"]:
        return "no rate met the rule, even without ELU; the rate nearest 50% dead among those where ReLU learned"
    if "elu" in chosen["dropped"]:
        failed = [f"{r:g}" for r, runs in zip(chosen["rates"], chosen["found"]["elu"])
                  if runs is not None and any(f["failed"] for f in runs)]
        return ("no rate where ReLUs partly die had ELU learning, so ELU is dropped from the high-rate comparison "
                f"(observation: ELU nets failed at the rates tried, {', '.join(failed) or 'none'}; at the high rate "
                "see the dead-share table)")
    return "every compared arm, ELU included, learned at the chosen rate"


def _tolerance(result: Result) -> str:
    stay = [c for c in result.claims if "stays dead" in c.claim]
    if not stay:
        return ""
    low = stay[0].ci95[0]
    same = (f"any tolerance in (0, {low:.3g}] gives the same verdict" if low > 0 else
            "the interval reaches 0, so the verdict depends on the tolerance")
    return (f"The {STAY_DEAD:g} tolerance of 'stays dead' was fixed after these runs too; {same} (the interval's "
            "lower end).")


def _maxout_note(checks: dict, maxout_high: list[dict[str, Any]], high: float) -> str:
    counts = {init: f"{sum(f['diverged'] for f in found)} of {len(found)}" for init, found in checks.items()}
    measured = (f" Measured here in that setting: He init diverged in {counts['he_normal']} runs, N(0, 1/fan_in) in "
                f"{counts['lecun_normal']}." if counts else "")
    return ("Why Maxout diverged in 3 of 5 runs of the activations experiment (SGD rate 0.05, momentum 0.9): "
            "mlplab's default init then gave Maxout He's N(0, 2/fan_in), whose factor 2 is for ReLU (CS7015 lecture "
            "9, module 9.4: 'He et.al. argue that a factor of 2 is needed when dealing with ReLU Neurons', 'because "
            "the range of ReLU neurons is restricted only to the positive half of the space'). A 2-piece maxout "
            "zeroes nothing: for two independent N(0, v) pieces E[max^2] = v, so He init doubles the mean square "
            "at each Maxout layer (rms grows about 1.4x per layer instead of staying put), and the larger "
            "activations make the early steps too large: the runs blow up within the first ~40 updates. "
            "N(0, 1/fan_in) keeps the mean square; it is what this experiment uses for Maxout and, since this "
            "measurement, mlplab's default Maxout init (mlplab.network.default_init)." + measured +
            (f" With that init, at this experiment's high plain-SGD rate {high:g}, Maxout failed in "
             f"{_diverged(maxout_high)} runs: every Maxout unit passes its gradient (none is ever off), so it "
             "tolerates a lower rate than ReLU, and where ReLUs die it diverges instead." if maxout_high else ""))
