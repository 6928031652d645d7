"""The variance recursions of ``init-activations`` and the per-draw statistics it judges them by.

Forward (Balasubramanian lecture 30, section 4.5; CS7015 lecture 9, module 9.4).  With zero biases
and weights of mean 0 drawn independently of the layer's input, ``s_k = W_k h_{k-1}`` has

    E[s_k^2] = n_{k-1} Var(w_k) E[h_{k-1}^2],      h_0 = x,  E[x^2] = Var(x),

where ``n_{k-1}`` is the layer's fan-in.  Units linear near 0 (the notes' derivation; tanh in its
linear range) keep ``E[h^2] = E[s^2]``, so ``E[s_k^2] = prod_j (n_{j-1} Var(w_j)) Var(x)``, which is
the notes' ``(n Var(w))^k Var(x)`` when every layer has the same width and variance.  A ReLU keeps
half of a pre-activation that is symmetric about 0 (it is, whatever ``h_{k-1}``, when the weights'
distribution is symmetric), so ``E[h_k^2] = E[s_k^2] / 2`` (He et al. 2015, "Delving deep into
rectifiers", section 2.2, equations (7) and (8); CS7015 9.4's "factor of 2"): for ReLU this
recursion is exact in expectation, at any width.

Backward (Glorot & Bengio 2010; DD2424 lecture 4's ``g = g W_i``, ``g = g diag(f'(s_i))``).  With
``delta_k = dJ/ds_k``, ``dJ/dh_k = W_{k+1}^T delta_{k+1}`` and ``delta_k = f'(s_k) * dJ/dh_k``:

    E[delta_k^2] = n_{k+1} Var(w_{k+1}) E[f'(s_k)^2] E[delta_{k+1}^2],

with ``n_{k+1}`` the fan-out (the number of units of layer ``k + 1``) and ``E[f'^2] = 1/2`` for a
ReLU.  It assumes the weights used going back are independent of the gradient arriving, which
holds only approximately (the same ``W`` made the forward pass); the experiment measures how well.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from mlplab.init import fans

VarianceRule = Callable[[int, int], float]

# Var(w) of each initializer as a function of (fan_in, fan_out): the formulas the names stand for.
VARIANCE: dict[str, VarianceRule] = {
    "he_normal": lambda fan_in, fan_out: 2.0 / fan_in,                    # DD2424 sigma = sqrt(2/n_in)
    "lecun_normal": lambda fan_in, fan_out: 1.0 / fan_in,                 # DD2424's "Xavier", 1/sqrt(n_in)
    "xavier_uniform": lambda fan_in, fan_out: 2.0 / (fan_in + fan_out),   # U(+-sqrt(6/(n_in + n_out)))
    "balasubramanian_he": lambda fan_in, fan_out: (4.0 / (fan_in + fan_out)) ** 2 / 3.0,  # U(+-4/(n_in + n_out))
}


def balasubramanian_he(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """He's initialisation as Balasubramanian lecture 30 writes it: U(-4/(fan_in + fan_out), +4/(fan_in + fan_out))."""
    fan_in, fan_out = fans(shape)
    bound = 4.0 / (fan_in + fan_out)
    return rng.uniform(-bound, bound, size=shape)


def forward_prediction(widths: Sequence[int], rule: VarianceRule, relu: bool, var_x: float = 1.0) -> np.ndarray:
    """``E[s_k^2]`` for every weight layer ``k = 1..len(widths) - 1`` (the last one is the logits).

    ``E[s_1^2] = n_0 Var(w_1) Var(x)``; then ``E[s_k^2] = n_{k-1} Var(w_k) E[s_{k-1}^2] / 2`` for a
    ReLU net (the factor 1/2 is the ReLU's) and without the 1/2 for units linear near 0."""
    keep = 0.5 if relu else 1.0
    out, second_moment = [], var_x
    for k in range(1, len(widths)):
        s2 = widths[k - 1] * rule(widths[k - 1], widths[k]) * second_moment
        out.append(s2)
        second_moment = keep * s2
    return np.array(out)


def backward_prediction(widths: Sequence[int], rule: VarianceRule, relu: bool) -> np.ndarray:
    """``E[delta_k^2] / E[delta_L^2]`` for ``k = 1..L`` (``delta_L`` is the logits' gradient, ratio 1).

    ``E[delta_k^2] = n_{k+1} Var(w_{k+1}) E[f'^2] E[delta_{k+1}^2]`` with ``E[f'^2] = 1/2`` (ReLU) or 1."""
    keep = 0.5 if relu else 1.0
    layers = len(widths) - 1
    out = np.ones(layers)
    for k in range(layers - 2, -1, -1):                 # index k is weight layer k + 1
        fan_in, fan_out = widths[k + 1], widths[k + 2]   # W_{k+2}: the layer above
        out[k] = out[k + 1] * fan_out * rule(fan_in, fan_out) * keep
    return out


def smallest_log_gap(predictions: Sequence[float]) -> float:
    """The smallest ``|log(a / b)|`` between any two of ``predictions`` (how close two formulas come)."""
    logs = np.log(np.asarray(predictions, dtype=np.float64))
    return float(min(abs(a - b) for i, a in enumerate(logs) for b in logs[i + 1:]))


def half_zero_deviation(zero_fraction: np.ndarray) -> float:
    """The largest ``|f_k - 1/2|`` over layers: how far the worst layer is from "half the units are 0"."""
    return float(np.max(np.abs(np.asarray(zero_fraction) - 0.5)))


def range_ratio(stds: np.ndarray) -> float:
    """``max_k std_k / min_k std_k``: 1 when every layer has one range, 2**9 when it halves per layer over 10."""
    stds = np.asarray(stds, dtype=np.float64)
    return float(stds.max() / stds.min())


def second_moment(values: np.ndarray) -> float:
    """``E[v^2]`` over every entry (accumulated in float64)."""
    v = np.asarray(values)
    return float(np.mean(np.square(v, dtype=np.float64)))


def std64(values: np.ndarray) -> float:
    return float(np.asarray(values).std(dtype=np.float64))


def saturated_fraction(h: np.ndarray, cutoff: float = 0.99) -> float:
    """The share of tanh outputs with ``|h| > cutoff`` (at 0.99, tanh' < 0.02: the unit passes almost no gradient)."""
    return float(np.count_nonzero(np.abs(h) > cutoff) / h.size)


def predicted_saturated_share(s2: np.ndarray, cutoff: float) -> np.ndarray:
    """The share of tanh units with ``|tanh(s)| > cutoff`` if ``s`` is Gaussian with mean 0 and ``E[s^2] = s2``:

        P(|s| > atanh(c)) = 2 (1 - Phi(atanh(c) / sqrt(E[s^2]))) = erfc(atanh(c) / sqrt(2 E[s^2])).

    With N(0, 1) weights on 500 inputs ``E[s_k^2] = 500 E[h_(k-1)^2]`` (a sum of 500 independent terms: near
    Gaussian), so the measured pre-activation scale predicts the saturated share at every cutoff."""
    s2 = np.asarray(s2, dtype=np.float64)
    return np.vectorize(math.erfc)(math.atanh(cutoff) / np.sqrt(2.0 * s2))


def per_example_nonzero_rms(h_in: np.ndarray, delta: np.ndarray) -> float:
    """The RMS of the non-zero entries of the per-example weight gradients ``delta_i h_i^T``, pooled over examples.

    DD2424 lecture 4's gradient slides show ``dl/dW_i = g^T x^(i-1)T`` of one example ("only non-zero gradients
    included"); entry (u, v) of example i's gradient is ``delta_iu h_iv``, non-zero when both are, so

        RMS^2 = sum_i (sum_u delta_iu^2)(sum_v h_iv^2) / sum_i nnz(delta_i) nnz(h_i)."""
    d, h = np.asarray(delta, dtype=np.float64), np.asarray(h_in, dtype=np.float64)
    square = np.sum(np.sum(d * d, axis=1) * np.sum(h * h, axis=1))
    count = np.sum(np.count_nonzero(d, axis=1).astype(np.float64) * np.count_nonzero(h, axis=1))
    return float(np.sqrt(square / count)) if count else 0.0


def zero_fraction(h: np.ndarray) -> float:
    return float(np.count_nonzero(h == 0) / h.size)

