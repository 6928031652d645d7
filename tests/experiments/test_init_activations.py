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
