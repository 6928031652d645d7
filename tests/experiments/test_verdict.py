"""The verdict rule: intervals computed right, and each of the three verdicts reachable."""

import math

import numpy as np
import pytest

from mlplab.experiments.verdict import Claim, decide, mean_ci95, t_quantile_975, wilson_ci95


@pytest.mark.parametrize("df", [1, 2, 4, 9, 29, 200])
def test_t_quantile_matches_scipy(df):
    stats = pytest.importorskip("scipy.stats")
    assert t_quantile_975(df) == pytest.approx(stats.t.ppf(0.975, df), rel=1e-9)


def test_mean_interval_is_the_t_interval():
    x = np.array([1.0, 2.0, 4.0, 7.0])
    mean, low, high = mean_ci95(x)
    half = t_quantile_975(3) * x.std(ddof=1) / 2
    assert (mean, low, high) == pytest.approx((3.5, 3.5 - half, 3.5 + half), rel=1e-12)


def test_wilson_interval_of_a_proportion():
    p, low, high = wilson_ci95(3, 10)
    # Wilson's interval for 3/10 at 95%: 0.1078..0.6032 (the textbook value)
    assert p == 0.3 and low == pytest.approx(0.1078, abs=1e-4) and high == pytest.approx(0.6032, abs=1e-4)
    assert wilson_ci95(0, 5)[1] == 0.0 and wilson_ci95(5, 5)[2] == 1.0


@pytest.mark.parametrize("low, high, direction, verdict", [
    (0.5, 2.0, ">", "reproduced"), (-2.0, -0.5, ">", "not reproduced"), (-0.5, 2.0, ">", "inconclusive"),
    (-2.0, -0.5, "<", "reproduced"), (0.5, 2.0, "<", "not reproduced"), (-0.5, 2.0, "<", "inconclusive")])
def test_each_verdict_is_reachable(low, high, direction, verdict):
    assert decide(low, high, 0.0, direction) == verdict


def test_paired_claims_use_per_seed_differences():
    a = np.array([10.0, 20.0, 30.0, 40.0])
    b = a - np.array([1.0, 1.1, 0.9, 1.0])            # arms far apart in level, one point apart per seed
    paired = Claim.from_paired("a beats b", "a - b", a, b, 0.5, ">")
    assert paired.verdict == "reproduced" and paired.estimate == pytest.approx(1.0)
    unpaired = Claim.from_samples("a beats b", "a - b", a - b.mean(), 0.5, ">")
    assert unpaired.verdict == "inconclusive"       # the seeds' spread swamps an unpaired comparison


def test_ratios_on_the_log_scale():
    claim = Claim.from_paired("x", "a / b", [4.0, 8.0, 16.0], [1.0, 2.0, 4.0], 2.0, ">", log=True)
    assert claim.estimate == pytest.approx(4.0) and claim.ci95 == pytest.approx([4.0, 4.0])
    assert claim.verdict == "reproduced"


def test_record_has_exactly_the_contract_keys():
    claim = Claim.from_samples("c", "s", [1.0, 2.0, 3.0], 0.0, ">", baseline="b learned 90%")
    assert list(claim.record()) == ["claim", "statistic", "estimate", "ci95", "threshold", "direction", "n",
                                    "verdict"]


@pytest.mark.parametrize("bad, match", [([1.0], "at least 2"), ([1.0, math.nan], "finite")])
def test_too_few_or_nan_replicates_are_refused(bad, match):
    with pytest.raises(ValueError, match=match):
        Claim.from_samples("c", "s", bad, 0.0, ">")


def test_bad_direction_is_refused():
    with pytest.raises(ValueError, match="direction must be"):
        decide(0.0, 1.0, 0.0, ">=")


def test_summary_intervals_match_the_per_seed_ones():
    x = np.array([1.0, 2.0, 4.0, 7.0])
    from_values = Claim.from_samples("c", "s", x, 0.0, ">")
    from_summary = Claim.from_summary("c", "s", x.mean(), x.std(ddof=1), 4, 0.0, ">")
    assert from_summary.ci95 == pytest.approx(from_values.ci95, rel=1e-12)


def test_welch_interval_matches_scipy():
    stats = pytest.importorskip("scipy.stats")
    a, b = np.array([5.0, 6.0, 7.5]), np.array([1.0, 3.0, 2.0, 2.5])
    claim = Claim.from_summaries("c", "s", (a.mean(), a.std(ddof=1), 3), (b.mean(), b.std(ddof=1), 4), 0.0, ">")
    expected = stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    assert claim.ci95 == pytest.approx([expected.low, expected.high], rel=1e-8)
    assert claim.n == 7 and claim.verdict == "reproduced"
