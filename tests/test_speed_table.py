"""benchmarks/speed_table.py: the targets' verdicts come out either way, the lowest possible epoch is
the products at the best measured peak, and RESULTS.md's targets are what RESULTS.json says."""

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def table():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import speed_table
        yield speed_table
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))


def _results(**epochs):
    """framework -> one run of three equal epochs (and the floor for mlplab)."""
    found = {}
    for framework, seconds in epochs.items():
        run = {"epoch_seconds": [seconds] * 3, "inference_seconds": seconds / 10, "peak_rss_mib": 100.0}
        if framework == "mlplab":
            run["floor_seconds"] = 0.9 * seconds
        found[(framework.replace("_at_", "@"), "main")] = [run]
    return found


def test_the_lowest_epoch_is_the_products_at_the_best_peak(table):
    seconds, library, peak = table.lowest_epoch({"numpy": [190.0, 200.0, 210.0], "pytorch": [100.0]})
    assert (library, peak) == ("numpy", 200.0)
    assert seconds == pytest.approx(table.flops_per_epoch(60000) / 200e9)
    assert table.lowest_epoch({}) is None


def test_each_target_can_be_met_or_missed_and_out_of_reach_says_so(table):
    bound = (0.8, "numpy", 200.0)
    met = table.targets(_results(mlplab=1.0, jax=2.0, pytorch=3.0, mlplab_at_abc=1.0), None, None, bound)
    assert all(row.endswith("| met |") for row in met[2:]), met
    missed = table.targets(_results(mlplab=1.9, jax=2.0, pytorch=1.5, mlplab_at_abc=1.0), None, None, bound)
    by_name = {row.split(" | ")[0].lstrip("| "): row for row in missed[2:]}
    assert by_name["main: epoch time vs PyTorch"].endswith("**missed** (out of reach here) |")   # 0.8 / 1.5 > 0.5
    assert by_name["main: epoch time vs JAX"].endswith("| **missed** |")                          # 0.8 / 2.0 < 0.8
    assert by_name["main: epoch vs mlplab@abc, no regression"].endswith("**missed** |")           # 1.9x
    assert by_name["main: floor / mlplab epoch"].endswith("| met |")                               # 90%


def test_the_targets_in_results_md_are_recomputed_from_results_json(table):
    raw = json.loads((ROOT / "benchmarks" / "RESULTS.json").read_text())
    results = {tuple(key.split("|")): runs for key, runs in raw["results"].items()}
    rows = table.targets(results, raw["shared"], None, table.lowest_epoch(raw["library_peaks"]))
    page = (ROOT / "benchmarks" / "RESULTS.md").read_text()
    assert len(rows) > 8
    for row in rows:
        assert row in page, row
