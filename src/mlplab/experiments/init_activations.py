"""What the weight scale does to activations and gradients at initialisation, measured over weight draws.

Two networks, forward and backward only (no training), with zero biases and N(0, 1) inputs:

- ``784-1000-500-250-100-10`` ReLU, where the layers' widths differ, so that LeCun's ``1/n_in``
  (the lectures' "Xavier"), Glorot's ``2/(n_in + n_out)`` and He's ``2/n_in`` predict different
  second moments at every layer.  The forward recursion ``E[s_k^2] = n_{k-1} Var(w_k) E[h_{k-1}^2]``
  with ``E[h^2] = E[s^2]/2`` for a ReLU (Balasubramanian lecture 30, section 4.5; CS7015 lecture 9,
  module 9.4) and the backward one ``E[delta_k^2] = n_{k+1} Var(w_{k+1}) E[delta_{k+1}^2] / 2``
  (:mod:`.init_activations_theory`) are judged against the measured moments, per init.
- DD2424 lecture 4's ``10 x 500`` network on 500-dimensional inputs: tanh with N(0, 0.01^2),
  N(0, 1) and "Xavier" N(0, 1/n_in) weights, and ReLU with "Xavier" and He weights.

A replicate is one independent draw of the weights *and* of a batch of inputs (every net and init
has its own random stream, so no two arms share a draw rescaled: ReLU is positively homogeneous,
and N(0, c^2) draws of one stream would make every scale the same experiment).  ``seeds`` counts
these draws.  Each claim's statistic is a per-draw number; its 95% interval is over draws.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

import mlplab as ml
from mlplab.diagnostics import histogram, probe, shared_edges
from mlplab.experiments.base import Result, Table, Timer, add_figure
from mlplab.experiments.init_activations_theory import (
    VARIANCE, backward_prediction, balasubramanian_he, forward_prediction, half_zero_deviation, range_ratio,
    saturated_fraction, second_moment, smallest_log_gap, std64, zero_fraction)
from mlplab.experiments.verdict import Claim, mean_ci95
from mlplab.layers import Dense

NAME = "init-activations"
TITLE = "what the weight scale does to activations and gradients at initialisation"
SOURCE = ("DD2424 lecture 4 (the 10 x 500 tanh and ReLU networks); Balasubramanian lecture 30 (section 4.5); "
          "CS7015 lecture 9 (module 9.4)")
SEEDS = 200                 # weight-and-input draws (forward and backward only: cheap)
QUICK_SEEDS = 10
EXAMPLES = 256              # inputs per draw for the statistics
FIGURE_EXAMPLES = 1000      # DD2424's histograms: 1000 inputs of dimension 500
CLASSES = 10

UNEQUAL = (784, 1000, 500, 250, 100, CLASSES)      # widths, input to logits
DEPTH_LAYER = len(UNEQUAL) - 2                     # s_4: the last hidden layer's pre-activation (index 3)
UNEQUAL_INITS = {"He N(0, 2/n_in)": "he_normal", "LeCun N(0, 1/n_in)": "lecun_normal",
                 "Glorot U(+-sqrt(6/(n_in+n_out)))": "xavier_uniform",
                 "Balasubramanian's He U(+-4/(n_in+n_out))": "balasubramanian_he"}
JUDGED = ("He N(0, 2/n_in)", "LeCun N(0, 1/n_in)", "Glorot U(+-sqrt(6/(n_in+n_out)))")

DEEP = (500,) * 11 + (CLASSES,)                   # DD2424: 10 hidden layers of 500 on d = 500
DEEP_NETS = {"tanh, N(0, 0.01^2)": ("tanh", "normal:0.01"), "tanh, N(0, 1)": ("tanh", "normal:1"),
             "tanh, Xavier N(0, 1/n_in)": ("tanh", "lecun_normal"), "ReLU, Xavier N(0, 1/n_in)": ("relu", "lecun_normal"),
             "ReLU, He N(0, 2/n_in)": ("relu", "he_normal")}
HISTOGRAM_FILES = {"tanh, N(0, 0.01^2)": "hist-tanh-small.png", "tanh, N(0, 1)": "hist-tanh-large.png",
                   "tanh, Xavier N(0, 1/n_in)": "hist-tanh-xavier.png", "ReLU, Xavier N(0, 1/n_in)": "hist-relu-xavier.png",
                   "ReLU, He N(0, 2/n_in)": "hist-relu-he.png"}

# Thresholds, fixed before the run.
AGREE = 1.25    # measured / predicted second moment within [1/1.25, 1.25]: see band_justification()
FACTOR = 2.0    # DD2424's qualitative words ("~ constant", "rapidly decrease", "similar range") read as a
                # factor of 2 in the standard deviation (the x-range of a histogram) across the ten layers
SIDES = ((">", 1 / AGREE, "not too small: measured/predicted above 0.8"),
         ("<", AGREE, "not too large: measured/predicted below 1.25"))   # two one-sided claims = agreement
HALF_TOLERANCE = 0.05   # "~50% of activations are zero": within 5 percentage points at every layer
ALMOST_ALL = 0.9        # "almost all neurons completely saturated": at least 90% with |tanh| > 0.99


def _init(spec: str) -> Any:
    return balasubramanian_he if spec == "balasubramanian_he" else spec


def measure(net: Any, x: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
    """One forward and backward pass (mean softmax cross-entropy on ``y``): per-layer statistics.

    ``s2``/``delta2``: E[s_k^2] and E[(dJ/ds_k)^2] of every Dense layer (the last is the logits);
    ``h_std``, ``zero``, ``saturated``: of every activation layer's output; ``dW_std``: std of
    dJ/dW_k of every Dense layer."""
    seen = probe(net, x, y)
    dense = [i for i, layer in enumerate(net.layers) if isinstance(layer, Dense)]
    acts = [i for i, layer in enumerate(net.layers) if not isinstance(layer, Dense)]
    return {"s2": np.array([second_moment(seen.outputs[i]) for i in dense]),
            "delta2": np.array([second_moment(seen.output_grads[i]) for i in dense]),
            "dW_std": np.array([std64(seen.weight_grads[i]) for i in dense]),
            "h_std": np.array([std64(seen.outputs[i]) for i in acts]),
            "zero": np.array([zero_fraction(seen.outputs[i]) for i in acts]),
            "saturated": np.array([saturated_fraction(seen.outputs[i]) for i in acts])}


def build(widths: tuple[int, ...], activation: str, init: str, rng: np.random.Generator, examples: int
          ) -> tuple[Any, np.ndarray, np.ndarray]:
    """A fresh net (zero biases) and a fresh batch of N(0, 1) inputs with random labels, from ``rng``."""
    net = ml.mlp(widths[0], list(widths[1:-1]), widths[-1], activation=activation, init=_init(init),
                 dtype="float32", seed=rng)
    x = rng.standard_normal((examples, widths[0]), dtype=np.float32)
    return net, x, rng.integers(0, widths[-1], examples)


def replicate(widths: tuple[int, ...], activation: str, init: str, stream: int, draws: int, examples: int
              ) -> dict[str, np.ndarray]:
    """``measure`` over ``draws`` independent draws of weights and inputs: arrays (draws, layers)."""
    rows = [measure(*build(widths, activation, init, np.random.default_rng([draw, stream]), examples))
            for draw in range(draws)]
    return {key: np.array([row[key] for row in rows]) for key in rows[0]}


def ratio_ci(values: np.ndarray) -> str:
    mean, low, high = mean_ci95(values)
    return f"{mean:.3g} [{low:.3g}, {high:.3g}]"


def band_justification() -> tuple[float, float]:
    """How close a wrong formula comes to the one judged, at s_4 (forward) and delta_1 (backward): for each
    of the three inits, the smallest ``|log(prediction / alternative)|`` over the alternatives (another
    init's variance in the ReLU recursion; its own variance without the ReLU's 1/2), minimised over the
    inits.  The band [1/AGREE, AGREE] must lie well inside half of each, so that a formula wrong by as
    much as the difference between two inits lands outside it."""
    gaps = []
    for predict, index in ((forward_prediction, DEPTH_LAYER - 1), (backward_prediction, 0)):
        relu = {label: predict(UNEQUAL, VARIANCE[UNEQUAL_INITS[label]], relu=True)[index] for label in JUDGED}
        gaps.append(min(smallest_log_gap([relu[label], alternative])
                        for label in JUDGED
                        for alternative in [relu[other] for other in JUDGED if other != label]
                        + [predict(UNEQUAL, VARIANCE[UNEQUAL_INITS[label]], relu=False)[index]]))
    return gaps[0], gaps[1]


def run(out: Path, seeds: int = SEEDS, quick: bool = False) -> Result:
    timer = Timer()
    result = Result(NAME, TITLE, SOURCE, seeds, quick)
    unequal = {label: replicate(UNEQUAL, "relu", init, stream, seeds, EXAMPLES)
               for stream, (label, init) in enumerate(UNEQUAL_INITS.items())}
    deep = {label: replicate(DEEP, activation, init, 10 + stream, seeds, EXAMPLES)
            for stream, (label, (activation, init)) in enumerate(DEEP_NETS.items())}
    _recursion_claims(result, unequal)
    _dd2424_claims(result, deep)
    _tables(result, unequal, deep)
    _figures(result, out, unequal, deep, histograms=not quick)
    gap_forward, gap_backward = band_justification()
    tanh_linear = float(np.mean(deep["tanh, N(0, 0.01^2)"]["s2"][:, 9]) / 0.05 ** 10)
    result.notes += [
        f"A replicate is one draw of the weights and of a batch of {EXAMPLES} N(0, 1) inputs (forward and backward "
        "only, nothing is trained, so no baseline accuracy applies); every net and init has its own random stream. "
        f"The full run uses {SEEDS} draws, --quick {QUICK_SEEDS}.",
        f"The agreement band [1/{AGREE}, {AGREE}] for measured/predicted was fixed before this run. On "
        f"{'-'.join(map(str, UNEQUAL[:-1]))} a judged init's prediction differs from another init's, and from its own "
        f"without the ReLU's 1/2, at s_4 by at least a factor {np.exp(gap_forward):.2f} and at delta_1 by at least "
        f"{np.exp(gap_backward):.2f}, so the band is well inside half of either gap. It was chosen wide enough for "
        "a --quick run of 10 draws to decide, knowing from a 60-draw trial that a draw's E[s_4^2]/prediction "
        "scatters by about 13% (sd).",
        f"DD2424's qualitative words are read as a factor of {FACTOR:g} in the standard deviation across the ten "
        "layers ('~ constant': std h10/std h1 above 1/2; 'rapidly decrease'/'tiny': below 1/2; 'similar range': "
        "largest/smallest layer below 2). 'Almost all saturated' is read as at least 90% with |tanh| > 0.99; the "
        "previous version of this experiment had measured 0.904 before this threshold was fixed, and the expected "
        "share for N(0, 1) weights on 500 units is P(|z| > atanh(0.99)/sqrt(500)) = 0.906, so this margin is thin.",
        "'About half the ReLU activations are zero' follows from the symmetry of the weights' distribution with "
        "zero biases (s_k is symmetric about 0 whatever h_{k-1}): it checks the set-up more than a phenomenon.",
        "By the two recursions, one example's E[(dJ/dW_k)^2] ~ E[delta_k^2] E[h_(k-1)^2] is the same at every layer "
        "of an equal-width ReLU net for any scale of weights (the forward and backward gains are equal): DD2424's "
        "'range remains constant across layers' for Xavier and ReLU follows from the equal widths, not from Xavier's "
        "scale. On the unequal widths it does not hold (the backward table's std dJ/dW_k), and the batch gradient "
        "adds an effect of its own (next note).",
        "The tanh net with N(0, 0.01^2) weights is almost linear, but not quite: E[tanh(s)^2] < E[s^2] at layer 1 "
        f"(std 0.22) puts its E[s_10^2] at {tanh_linear:.3g} of the linear recursion's 0.05^10 (mean over draws); "
        "the tanh recursion is not judged here.",
        "With He weights the batch gradient dJ/dW is not one range across the 10 x 500 ReLU net's layers (table: "
        "std dJ/dW_10 several times std dJ/dW_1) while with Xavier weights it is. The likely cause: He's logits are "
        "large enough for the softmax of every input to lean one way, and that shared part of dJ/d(logits) adds up "
        "over the batch wherever a layer's inputs are alike (deep ReLU layers) but not at layer 1 (independent "
        "inputs x). A check outside this run (8 draws each) supports it: with dJ/d(logits) replaced by independent "
        "Gaussian noise, the largest/smallest std(dJ/dW_k) of the He net fell from about 4.5 to 1.25 (Xavier's: 1.2 "
        "and 1.25).",
        "--quick draws no histograms (one net each, about 2 s apiece to draw): the full run has them.",
    ]
    result.seconds = timer.seconds()
    return result


def _recursion_claims(result: Result, unequal: dict[str, dict[str, np.ndarray]]) -> None:
    widths = "-".join(map(str, UNEQUAL[:-1]))
    for label in JUDGED:
        rule, data = VARIANCE[UNEQUAL_INITS[label]], unequal[label]
        predicted = forward_prediction(UNEQUAL, rule, relu=True)[DEPTH_LAYER - 1]
        ratio = data["s2"][:, DEPTH_LAYER - 1] / predicted
        for direction, threshold, side in SIDES:
            result.claims.append(Claim.from_samples(
                f"ReLU {widths}, {label}: the forward recursion E[s_k^2] = n_(k-1) Var(w_k) E[h_(k-1)^2], "
                f"E[h^2] = E[s^2]/2 (Balasubramanian lecture 30, section 4.5; CS7015 lecture 9, module 9.4, with "
                f"He's factor 2) predicts the last hidden layer's second moment ({side})",
                "per weight-and-input draw: E[s_4^2] measured (over the batch and the 100 units) / predicted from "
                "Var(x) = 1; mean over draws, t interval (SEEDS counts draws); agreement band [0.8, 1.25]",
                ratio, threshold, direction, baseline=f"prediction E[s_4^2] = {predicted:.3g}"))
    for label in JUDGED:
        rule, data = VARIANCE[UNEQUAL_INITS[label]], unequal[label]
        predicted = backward_prediction(UNEQUAL, rule, relu=True)[0]
        ratio = data["delta2"][:, 0] / data["delta2"][:, -1] / predicted
        for direction, threshold, side in SIDES:
            result.claims.append(Claim.from_samples(
                f"ReLU {widths}, {label}: the backward recursion E[delta_k^2] = n_(k+1) Var(w_(k+1)) "
                f"E[delta_(k+1)^2] / 2 (delta = dJ/ds; DD2424 lecture 4's g = g W_i, g = g diag(f'(s_i))) predicts "
                f"the gradient reaching the first layer ({side})",
                "per draw: (E[delta_1^2] / E[delta_logits^2]) measured / predicted, delta_logits = dJ/d(logits) of "
                "the mean cross-entropy on random labels; mean over draws, t interval; agreement band [0.8, 1.25]",
                ratio, threshold, direction, baseline=f"predicted E[delta_1^2]/E[delta_logits^2] = {predicted:.3g}"))
    glorot = JUDGED[2]
    linear = forward_prediction(UNEQUAL, VARIANCE[UNEQUAL_INITS[glorot]], relu=False)[DEPTH_LAYER - 1]
    result.claims.append(Claim.from_samples(
        f"ReLU {widths}, {glorot}: the linear recursion behind Glorot's and LeCun's variances (E[h^2] = E[s^2], "
        "Balasubramanian lecture 30's (n Var(w))^k Var(x)) overpredicts a ReLU net (CS7015 lecture 9, module 9.4: "
        "'this does not work for ReLU neurons')",
        "per draw: E[s_4^2] measured / the linear recursion's prediction (no factor 1/2); below the agreement "
        "band's lower edge 0.8; mean over draws, t interval",
        unequal[glorot]["s2"][:, DEPTH_LAYER - 1] / linear, 1 / AGREE, "<",
        baseline=f"linear prediction {linear:.3g}; with the ReLU's 1/2 (2^-3 of it) the recursion is judged above"))
    bala = unequal["Balasubramanian's He U(+-4/(n_in+n_out))"]
    result.claims.append(Claim.from_samples(
        f"ReLU {widths}: He's initialisation as Balasubramanian lecture 30 writes it, U(+-4/(fan_in + fan_out)), "
        "keeps the ReLU net's second moment from layer 1 to layer 4 (as He's N(0, 2/fan_in) does)",
        "per draw: E[s_4^2] / E[s_1^2]; above the agreement band's lower edge 0.8; log scale (geometric mean), "
        "t interval over draws",
        bala["s2"][:, DEPTH_LAYER - 1] / bala["s2"][:, 0], 1 / AGREE, ">", log=True,
        baseline="He N(0, 2/n_in) on the same net: E[s_4^2]/E[s_1^2] "
                 + ratio_ci(unequal[JUDGED[0]]["s2"][:, DEPTH_LAYER - 1] / unequal[JUDGED[0]]["s2"][:, 0])))


def _dd2424_claims(result: Result, deep: dict[str, dict[str, np.ndarray]]) -> None:
    small, large, tanh_x = deep["tanh, N(0, 0.01^2)"], deep["tanh, N(0, 1)"], deep["tanh, Xavier N(0, 1/n_in)"]
    relu_x, relu_he = deep["ReLU, Xavier N(0, 1/n_in)"], deep["ReLU, He N(0, 2/n_in)"]
    hidden = slice(0, len(DEEP) - 2)                    # the ten hidden weight layers (not the logits')

    def spread(data: dict[str, np.ndarray]) -> np.ndarray:
        return data["h_std"][:, -1] / data["h_std"][:, 0]

    def grad_range(data: dict[str, np.ndarray]) -> np.ndarray:
        return np.array([range_ratio(row[hidden]) for row in data["dW_std"]])

    shrink = "per draw: std(h_10) / std(h_1); log scale (geometric mean), t interval over draws"
    result.claims.append(Claim.from_samples(
        "DD2424 lecture 4, 10 x 500 tanh, N(0, 0.01^2) weights: the activations vanish layer after layer ('values "
        "of x-axis rapidly decrease with each layer')", shrink + "; below 1/2", spread(small), 1 / FACTOR, "<",
        log=True, baseline=f"linear prediction sqrt(500 * 0.01^2)^9 = {np.sqrt(0.05) ** 9:.3g}"))
    tiny = np.max(small["dW_std"][:, hidden] / tanh_x["dW_std"][:, hidden], axis=1)
    result.claims.append(Claim.from_samples(
        "... and the weight gradients are tiny at every layer ('at each layer the value of all gradients are "
        "tiny'), compared with the same net with Xavier weights",
        "per pair of independent draws (N(0, 0.01^2), Xavier): the largest over the 10 hidden layers of "
        "std(dJ/dW_k) / Xavier's std(dJ/dW_k); log scale, t interval; below 1/2", tiny, 1 / FACTOR, "<", log=True,
        baseline="Xavier tanh std(dJ/dW_k), layers 1 and 10: " + ", ".join(
            ratio_ci(tanh_x["dW_std"][:, k]) for k in (0, len(DEEP) - 3))))
    result.claims.append(Claim.from_samples(
        "DD2424 lecture 4, 10 x 500 tanh, N(0, 1) weights: 'almost all neurons completely saturated, either -1 "
        "or +1'", "per draw: share of the ten layers' outputs with |tanh| > 0.99; t interval over draws; at least "
        "0.9 ('almost all')", large["saturated"].mean(axis=1), ALMOST_ALL, ">",
        baseline="Xavier tanh: " + ratio_ci(tanh_x["saturated"].mean(axis=1))))
    result.claims.append(Claim.from_samples(
        "... and the gradients explode going back ('Gradients have exploded'; 'the increase in the magnitude of "
        "the x-values as the layers decrease')", "per draw: std(dJ/dW_1) / std(dJ/dW_10); log scale, t interval; "
        "above 2", large["dW_std"][:, 0] / large["dW_std"][:, len(DEEP) - 3], FACTOR, ">", log=True))
    result.claims.append(Claim.from_samples(
        "Balasubramanian lecture 30 (section 4.5): 'both very large and small weights can cause' tanh to saturate: "
        "N(0, 0.01^2) weights on the 10 x 500 tanh net saturate some units",
        "per draw: share of the ten layers' outputs with |tanh| > 0.99; t interval over draws; above 0 (the notes "
        "give no share: the null)", small["saturated"].mean(axis=1), 0.0, ">",
        baseline="N(0, 1) weights: " + ratio_ci(large["saturated"].mean(axis=1))))
    result.claims.append(Claim.from_samples(
        "DD2424 lecture 4, 10 x 500 tanh, Xavier N(0, 1/n_in) weights: the 'mean and spread of activations at "
        "each layer remains ~ constant'", shrink + "; above 1/2", spread(tanh_x), 1 / FACTOR, ">", log=True,
        baseline="std(h_1) " + ratio_ci(tanh_x["h_std"][:, 0]) + ", std(h_10) " + ratio_ci(tanh_x["h_std"][:, -1])))
    result.claims.append(Claim.from_samples(
        "... and its weight gradients 'have a nice range of values at each layer' ('in each graph similar range of "
        "x-values')", "per draw: largest / smallest std(dJ/dW_k) over the 10 hidden layers; log scale, t interval; "
        "below 2", grad_range(tanh_x), FACTOR, "<", log=True))
    result.claims.append(Claim.from_samples(
        "DD2424 lecture 4, 10 x 500 ReLU, Xavier N(0, 1/n_in) weights: 'regardless of value of sigma at each layer "
        "many activations are exactly zero' ('~50% of activations are zero at each layer')", "per draw: the largest over the ten layers of |share of outputs exactly 0 - 1/2|; t interval; "
        "below 0.05", np.array([half_zero_deviation(row) for row in relu_x["zero"]]), HALF_TOLERANCE, "<"))
    result.claims.append(Claim.from_samples(
        "... its 'range of activation values get smaller with increasing layer'", shrink + "; below 1/2",
        spread(relu_x), 1 / FACTOR, "<", log=True, baseline=f"recursion: 2^-4.5 = {2 ** -4.5:.3g}"))
    result.claims.append(Claim.from_samples(
        "... while its weight gradients' 'range remains constant across layers'",
        "per draw: largest / smallest std(dJ/dW_k) over the 10 hidden layers; log scale, t interval; below 2",
        grad_range(relu_x), FACTOR, "<", log=True))
    for direction, threshold, side in ((">", 1 / FACTOR, "above 1/2"), ("<", FACTOR, "below 2")):
        result.claims.append(Claim.from_samples(
            "DD2424 lecture 4, 10 x 500 ReLU, He N(0, 2/n_in) weights: the 'mean and spread of activations at each "
            f"layer remains ~ constant' ({side})", shrink + f"; {side}", spread(relu_he), threshold, direction,
            log=True, baseline="Xavier ReLU: " + ratio_ci(spread(relu_x))))
    result.claims.append(Claim.from_samples(
        "DD2424 lecture 4, 10 x 500 ReLU: 'regardless of value of sigma ... range of non-zero gradient values remains "
        "~ constant across layers', here with He N(0, 2/n_in) weights",
        "per draw: largest / smallest std(dJ/dW_k) over the 10 hidden layers; log scale, t interval; below 2",
        grad_range(relu_he), FACTOR, "<", log=True, baseline="Xavier ReLU: " + ratio_ci(grad_range(relu_x))))


def _tables(result: Result, unequal: dict[str, dict[str, np.ndarray]], deep: dict[str, dict[str, np.ndarray]]
            ) -> None:
    rows = []
    for label, init in UNEQUAL_INITS.items():
        rule, data = VARIANCE[init], unequal[label]
        relu, linear = forward_prediction(UNEQUAL, rule, True), forward_prediction(UNEQUAL, rule, False)
        wrong_n = forward_prediction(UNEQUAL, lambda fan_in, fan_out: rule(fan_in, fan_out) * fan_out / fan_in, True)
        for k in range(len(UNEQUAL) - 1):
            s2 = data["s2"][:, k]
            rows.append([label, f"s_{k + 1}" if k < len(UNEQUAL) - 2 else "logits", UNEQUAL[k + 1], relu[k],
                         float(s2.mean()), ratio_ci(s2 / relu[k]), float(np.mean(s2 / linear[k])),
                         float(np.mean(s2 / wrong_n[k]))])
    result.tables.append(Table(
        "ReLU 784-1000-500-250-100-10, forward: E[s_k^2] predicted by the recursion with the ReLU's 1/2, measured "
        "(mean over draws), and measured/predicted with its 95% interval; the last two columns divide by wrong "
        "formulas (no 1/2; fan-out in place of fan-in) to show they would be caught",
        ["init", "layer", "units", "predicted", "measured", "measured/predicted [95% CI]", "/ linear formula",
         "/ fan-out formula"], rows))
    rows = []
    for label, init in UNEQUAL_INITS.items():
        data = unequal[label]
        predicted = backward_prediction(UNEQUAL, VARIANCE[init], True)
        for k in range(len(UNEQUAL) - 2):
            measured = data["delta2"][:, k] / data["delta2"][:, -1]
            rows.append([label, f"delta_{k + 1}", UNEQUAL[k + 1], predicted[k], float(measured.mean()),
                         ratio_ci(measured / predicted[k]), float(data["dW_std"][:, k].mean())])
    result.tables.append(Table(
        "ReLU 784-1000-500-250-100-10, backward: E[delta_k^2]/E[delta_logits^2] predicted and measured (mean over "
        "draws), their ratio with its 95% interval, and std(dJ/dW_k) (unequal widths: not one range across layers)",
        ["init", "gradient", "units", "predicted", "measured", "measured/predicted [95% CI]", "std dJ/dW_k"], rows))
    rows = []
    for label, data in deep.items():
        activation = DEEP_NETS[label][0]
        share = data["saturated"] if activation == "tanh" else data["zero"]
        dW = data["dW_std"][:, : len(DEEP) - 2].mean(axis=0)
        rows.append([label, *(float(data["h_std"][:, k].mean()) for k in (0, 4, 9)),
                     f"{'saturated' if activation == 'tanh' else 'zero'} {share.mean():.3g}", float(dW[0]),
                     float(dW[-1]), float(data["s2"][:, 9].mean())])
    result.tables.append(Table(
        "DD2424 lecture 4's 10 x 500 nets (means over draws): std of the activations at layers 1, 5 and 10, the "
        "share saturated (tanh, |h| > 0.99) or exactly 0 (ReLU) over the ten layers, std(dJ/dW) at layers 1 and "
        "10, and E[s_10^2] (for tanh N(0, 0.01^2) the linear recursion predicts 0.05^10 = 9.8e-14)",
        ["net", "std h1", "std h5", "std h10", "share", "std dJ/dW_1", "std dJ/dW_10", "E[s_10^2]"], rows))


def _figures(result: Result, out: Path, unequal: dict[str, dict[str, np.ndarray]],
             deep: dict[str, dict[str, np.ndarray]], histograms: bool = True) -> None:
    """The recursion figure; with ``histograms``, DD2424's per-layer histograms, one file per net (about 2 s
    each to draw: --quick leaves them out to stay within its time)."""
    from mlplab.report import pyplot
    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    layers = np.arange(1, len(UNEQUAL))
    for i, (label, init) in enumerate(UNEQUAL_INITS.items()):
        rule, data = VARIANCE[init], unequal[label]
        _with_interval(left, layers, data["s2"], f"C{i}", label)
        left.semilogy(layers, forward_prediction(UNEQUAL, rule, True), "-", color=f"C{i}", alpha=0.5)
        left.semilogy(layers, forward_prediction(UNEQUAL, rule, False), ":", color=f"C{i}", alpha=0.5)
        _with_interval(right, layers, data["delta2"] / data["delta2"][:, -1:], f"C{i}", label)
        right.semilogy(layers, backward_prediction(UNEQUAL, rule, True), "-", color=f"C{i}", alpha=0.5)
    for ax in (left, right):
        ax.set_xticks(layers)
    left.set(xlabel="weight layer k (5 = logits)", ylabel="E[s_k^2]", title="forward")
    right.set(xlabel="weight layer k (5 = logits)", ylabel="E[delta_k^2] / E[delta_logits^2]", title="backward")
    add_figure(result, fig, out, "recursion.png",
               "ReLU 784-1000-500-250-100-10: measured second moments (markers: mean over draws, bars: 95% interval) "
               "against the recursions with the ReLU's 1/2 (solid lines) and, forward, without it (dotted). Look "
               "for the markers on the solid lines for every init, and for the four inits apart from each other.")
    for label, (activation, init) in DEEP_NETS.items() if histograms else ():
        net, x, y = build(DEEP, activation, init, np.random.default_rng([0, 99]), FIGURE_EXAMPLES)
        seen = probe(net, x, y)
        acts = [seen.outputs[i] for i, layer in enumerate(net.layers) if not isinstance(layer, Dense)]
        grads = [seen.weight_grads[i] for i in sorted(seen.weight_grads)][:-1]
        file = HISTOGRAM_FILES[label]
        fig = _histograms(plt, acts, grads, activation)
        add_figure(result, fig, out, file,
                   f"DD2424 lecture 4's 10 x 500 {label} net, one draw of {FIGURE_EXAMPLES} N(0, 1) inputs: top, "
                   "each layer's activations" + (" (non-zero ones)" if activation == "relu" else "")
                   + "; bottom, each layer's non-zero dJ/dW (log counts). The x-range is shared along a row: look "
                   "for panels that narrow (vanishing), pile at +-1 (saturation) or keep one width.")


def _with_interval(ax: Any, layers: np.ndarray, values: np.ndarray, color: str, label: str) -> None:
    stats = np.array([mean_ci95(values[:, k]) for k in range(values.shape[1])])
    ax.errorbar(layers, stats[:, 0], yerr=[stats[:, 0] - stats[:, 1], stats[:, 2] - stats[:, 0]], fmt="o",
                color=color, label=label, markersize=4, capsize=3)
    ax.set_yscale("log")


def _histograms(plt: Any, acts: list[np.ndarray], grads: list[np.ndarray], activation: str) -> Any:
    acts = [a[a != 0] if activation == "relu" else a.ravel() for a in acts]
    grads = [g[g != 0] for g in grads]
    act_edges = shared_edges(acts, (-1.0, 1.0) if activation == "tanh" else None)
    grad_edges = shared_edges(grads, symmetric=True)
    fig, axes = plt.subplots(2, len(acts), figsize=(2.0 * len(acts), 4.4), sharex="row")
    for k, (a, g) in enumerate(zip(acts, grads)):
        axes[0, k].stairs(histogram(a, act_edges), act_edges, fill=True, alpha=0.75)
        axes[1, k].stairs(histogram(g, grad_edges), grad_edges, fill=True, alpha=0.75, color="C1")
        axes[1, k].set_yscale("log")
        axes[0, k].set_title(f"layer {k + 1}", fontsize=8)
        for ax in axes[:, k]:
            ax.tick_params(labelsize=6)
            ax.ticklabel_format(axis="x", style="sci", scilimits=(-2, 3))
    axes[0, 0].set_ylabel("count (activations)", fontsize=8)
    axes[1, 0].set_ylabel("count (dJ/dW, log)", fontsize=8)
    for ax in axes[1]:
        ax.set_xlabel("value", fontsize=7)
    return fig
