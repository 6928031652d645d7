"""The statistics and recursions of ``init-activations``: known answers, and a Monte Carlo check that
:func:`measure` reads the layers the recursions are about (a wrong layer would be off by 2x or more)."""

import math

import numpy as np
import pytest

from mlplab.experiments import init_activations as ia
from mlplab.experiments.init_activations_theory import (
    VARIANCE, backward_prediction, balasubramanian_he, forward_prediction, half_zero_deviation, range_ratio,
    saturated_fraction, smallest_log_gap, zero_fraction)
from mlplab.init import initialize


def test_forward_recursion_known_answers():
    widths = ia.UNEQUAL
    assert forward_prediction(widths, VARIANCE["he_normal"], relu=True) == pytest.approx([2.0] * 5)
    assert forward_prediction(widths, VARIANCE["lecun_normal"], relu=True) == pytest.approx([1, 0.5, 0.25, 0.125, 0.0625])
    assert forward_prediction(widths, VARIANCE["lecun_normal"], relu=False) == pytest.approx([1.0] * 5)
    glorot = forward_prediction(widths, VARIANCE["xavier_uniform"], relu=True)
    assert glorot[0] == pytest.approx(2 * 784 / 1784)
    assert glorot[1] == pytest.approx(glorot[0] * 1000 * 2 / 1500 / 2)
    # Var(x) scales everything; the notes' (n Var(w))^k Var(x) on equal widths
    equal = forward_prediction((500,) * 4, lambda fi, fo: 1e-4, relu=False, var_x=3.0)
    assert equal == pytest.approx([3.0 * 0.05 ** k for k in (1, 2, 3)])


def test_backward_recursion_known_answers():
    he = backward_prediction(ia.UNEQUAL, VARIANCE["he_normal"], relu=True)
    assert he == pytest.approx([10 / 1000, 10 / 500, 10 / 250, 10 / 100, 1.0])     # prod n_(k+1)/n_k
    glorot = backward_prediction(ia.UNEQUAL, VARIANCE["xavier_uniform"], relu=True)
    assert glorot[0] == pytest.approx(500 / 1500 * 250 / 750 * 100 / 350 * 10 / 110)
    lecun = backward_prediction(ia.UNEQUAL, VARIANCE["lecun_normal"], relu=True)
    assert lecun[0] == pytest.approx(0.01 / 16)


def test_the_variance_rules_are_the_engines_initializers():
    rng = np.random.default_rng(0)
    for name in ("he_normal", "lecun_normal", "xavier_uniform"):
        w = initialize(name, (300, 700), rng, "float64")
        assert w.var() == pytest.approx(VARIANCE[name](700, 300), rel=0.02), name
    w = balasubramanian_he((300, 700), rng)
    assert np.abs(w).max() <= 4 / 1000 and w.var() == pytest.approx(VARIANCE["balasubramanian_he"](700, 300), rel=0.02)


def test_the_agreement_band_is_well_inside_half_the_gap_between_the_predictions():
    gap_forward, gap_backward = ia.band_justification()
    assert math.log(ia.AGREE) < min(gap_forward, gap_backward) / 2
    assert smallest_log_gap([1.0, 2.0, 8.0]) == pytest.approx(math.log(2))


def test_statistics_on_constructed_cases():
    assert half_zero_deviation(np.array([0.5, 0.47, 0.58])) == pytest.approx(0.08)
    assert range_ratio(np.array([1.0, 0.5, 2.0])) == pytest.approx(4.0)
    assert range_ratio(0.5 ** np.arange(10)) == pytest.approx(2.0 ** 9)
    h = np.array([[0.995, -0.999, 0.5, 0.0]])
    assert saturated_fraction(h) == 0.5 and zero_fraction(h) == 0.25
    assert saturated_fraction(h, 0.996) == 0.25


@pytest.mark.parametrize("init", ["he_normal", "lecun_normal", "xavier_uniform"])
def test_measured_moments_follow_the_recursions_on_a_small_relu_net(init):
    """30 draws of a 60-200-100-40-10 ReLU net: measured/predicted near 1 forward and backward (a wrong
    layer, the activation's output in place of s, or a fan-out in place of a fan-in would miss by 2x)."""
    widths = (60, 200, 100, 40, 10)
    data = ia.replicate(widths, "relu", init, stream=7, draws=30, examples=64)
    forward = data["s2"].mean(axis=0) / forward_prediction(widths, VARIANCE[init], relu=True)
    backward = (data["delta2"] / data["delta2"][:, -1:]).mean(axis=0) / backward_prediction(widths, VARIANCE[init],
                                                                                          relu=True)
    assert forward[:-1] == pytest.approx(np.ones(3), rel=0.1)
    assert backward[:-1] == pytest.approx(np.ones(3), rel=0.15)
    assert data["zero"].mean() == pytest.approx(0.5, abs=0.03)


def test_draws_are_independent_between_streams_and_repeatable_within_one():
    a = ia.replicate((20, 30, 10), "relu", "he_normal", stream=1, draws=2, examples=8)
    b = ia.replicate((20, 30, 10), "relu", "he_normal", stream=1, draws=2, examples=8)
    c = ia.replicate((20, 30, 10), "relu", "he_normal", stream=2, draws=2, examples=8)
    assert np.array_equal(a["s2"], b["s2"]) and not np.allclose(a["s2"], c["s2"])


def test_per_example_nonzero_rms_and_the_saturation_prediction_on_constructed_cases():
    from mlplab.experiments.init_activations_theory import per_example_nonzero_rms, predicted_saturated_share
    h = np.array([[1.0, 0.0, 2.0], [0.0, 0.0, 3.0]])          # example 1: 2 non-zero inputs, example 2: 1
    delta = np.array([[2.0, 0.0], [1.0, 1.0]])                # example 1: 1 non-zero delta, example 2: 2
    # entries delta_iu h_iv: example 1 gives {2, 4}, example 2 gives {3, 3}: RMS sqrt((4 + 16 + 9 + 9) / 4)
    assert per_example_nonzero_rms(h, delta) == pytest.approx(math.sqrt(38 / 4))
    assert predicted_saturated_share(np.array([1.0]), math.tanh(1.96))[0] == pytest.approx(0.05, abs=1e-4)


def _synthetic_unequal(factor: dict[str, float], draws: int = 40) -> dict[str, dict[str, np.ndarray]]:
    """Per init, s2 and delta2 at ``factor[label]`` times the recursions' predictions (a little noise per draw)."""
    rng = np.random.default_rng(3)
    data = {}
    for label, init in ia.UNEQUAL_INITS.items():
        noise = np.exp(rng.normal(0, 0.01, (draws, 1)))
        forward = forward_prediction(ia.UNEQUAL, VARIANCE[init], relu=True)
        backward = backward_prediction(ia.UNEQUAL, VARIANCE[init], relu=True)
        data[label] = {"s2": forward * factor.get(label, 1.0) * noise,
                       "delta2": backward * factor.get(label, 1.0) ** 2 * noise * 3.0}
        data[label]["delta2"][:, -1] = 3.0 * factor.get(label, 1.0) * noise[:, 0]   # logits: ratio = factor
    return data


def test_recursion_claims_read_the_layers_and_directions_they_name():
    he, lecun, glorot = ia.JUDGED
    data = _synthetic_unequal({he: 1.0, lecun: 0.5, glorot: 1.6})
    result = ia.Result("t", "t", "t", 40, False)
    ia._recursion_claims(result, data)
    claims = result.claims
    assert len(claims) == 13
    estimates = [c.estimate for c in claims[:12]]
    assert estimates == pytest.approx([1, 1, 0.5, 0.5, 1.6, 1.6] * 2, rel=0.01)
    assert [c.direction for c in claims[:12]] == [">", "<"] * 6
    assert [c.threshold for c in claims[:12]] == pytest.approx([0.8, 1.25] * 6)
    verdicts = [c.verdict for c in claims[:12]]
    assert verdicts == ["reproduced", "reproduced", "not reproduced", "reproduced", "reproduced", "not reproduced"] * 2
    assert all("forward" in c.claim for c in claims[:6]) and all("backward" in c.claim for c in claims[6:12])
    share = claims[12]          # only He's 40 draws are inside the band: 40 of 120
    assert (share.n, share.estimate, share.direction, share.verdict) == (120, pytest.approx(1 / 3), ">",
                                                                         "not reproduced")


def _synthetic_deep(draws: int = 12) -> dict[str, dict[str, np.ndarray]]:
    """The five 10 x 500 nets with known per-layer values; the logits' layer (index 10) is made extreme so that
    a statistic that reads it by mistake shows."""
    rng = np.random.default_rng(5)

    def net(h_first: float, h_last: float, dW: list[float], g: list[float], saturated: float, zero: float):
        noise = np.exp(rng.normal(0, 0.01, (draws, 1)))
        h_std = np.geomspace(h_first, h_last, 10)[None, :] * noise
        sat = np.full((draws, 10, len(ia.CUTOFFS)), 0.2)
        sat[:, :, ia.SATURATION] = saturated
        return {"h_std": h_std, "dW_std": np.array(dW + [1e6])[None, :] * noise,
                "g_example": np.array(g + [1e6])[None, :] * noise, "s2": np.ones((draws, 11)),
                "saturated": sat, "zero": np.full((draws, 10), zero)}

    flat = [1.0] * 10
    return {"tanh, N(0, 0.01^2)": net(0.2, 2e-4, [1e-4] * 10, flat, 0.0, 0.0),          # spread 1e-3
            "tanh, N(0, 1)": net(1.0, 1.0, [50.0] + [1.0] * 9, flat, 0.7, 0.0),         # explode 50
            "tanh, Xavier N(0, 1/n_in)": net(1.0, 0.4, [1.0] * 9 + [1.5], flat, 0.001, 0.0),   # spread 0.4, range 1.5
            "ReLU, Xavier N(0, 1/n_in)": net(1.0, 0.04, flat, flat, 0.0, 0.5),
            "ReLU, He N(0, 2/n_in)": net(1.0, 1.0, [1.0] * 9 + [4.0], [1.0] * 9 + [1.3], 0.0, 0.5)}


def test_dd2424_claims_read_the_statistics_they_name():
    result = ia.Result("t", "t", "t", 12, False)
    ia._dd2424_claims(result, _synthetic_deep())
    got = [(c.estimate, c.direction, c.threshold, c.verdict) for c in result.claims]
    assert got == [
        (pytest.approx(1e-3 / 0.4, rel=0.01), "<", 0.5, "reproduced"),        # small / Xavier spread, paired
        (pytest.approx(1e-4, rel=0.01), "<", 0.5, "reproduced"),              # tiny gradients vs Xavier
        (pytest.approx(0.7), ">", 0.5, "reproduced"),                         # saturated at |tanh| > 0.99
        (pytest.approx(50, rel=0.01), ">", 2.0, "reproduced"),                # dW_1 / dW_10, not the logits'
        (pytest.approx(0.4, rel=0.01), ">", 0.5, "not reproduced"),           # Xavier tanh spread
        (pytest.approx(1.5, rel=0.01), "<", 2.0, "reproduced"),               # Xavier tanh gradient range
        (pytest.approx(1.3, rel=0.01), "<", 2.0, "reproduced")]               # He per-example range, not dW_std's 4
