"""Every experiment's --quick run against the stored full run (docs/experiments/NAME).

The quick run makes the same claims as the full one (matched by their text). It asserts only the
claims whose stored quick verdict agrees with the stored full verdict (the page marks the others);
for those, a fresh quick run must give that verdict again."""

from pathlib import Path

import pytest

from mlplab.experiments import MODULES, experiment, load_result, run_experiment, write_page
from mlplab.experiments.verdict import Claim, decide

STORED = Path(__file__).resolve().parents[2] / "docs" / "experiments"


@pytest.mark.parametrize("name", list(MODULES))
def test_stored_full_result_follows_the_verdict_rule(name):
    result = load_result(STORED / name)
    assert not result.quick and result.seeds >= 5 and result.claims
    for claim in result.claims:
        assert list(claim.record()) == list(Claim.KEYS)
        assert claim.ci95[0] <= claim.estimate <= claim.ci95[1], claim
        assert claim.verdict == decide(*claim.ci95, claim.threshold, claim.direction), claim
        assert claim.n >= 5, claim


@pytest.mark.parametrize("name", list(MODULES))
def test_quick_run_agrees_with_the_stored_full_run(name, tmp_path):
    full = load_result(STORED / name)
    stored_quick = load_result(STORED / name / "quick")
    quick_verdicts = {c.claim: c.verdict for c in stored_quick.claims}
    agreeing = {c.claim: c.verdict for c in full.claims if quick_verdicts.get(c.claim) == c.verdict}
    fresh = run_experiment(name, tmp_path, quick=True)
    assert fresh.quick and fresh.seeds == experiment(name).QUICK_SEEDS
    assert [c.claim for c in fresh.claims] == [c.claim for c in full.claims]
    for claim in fresh.claims:
        assert claim.verdict == decide(*claim.ci95, claim.threshold, claim.direction)
        if claim.claim in agreeing:
            assert claim.verdict == agreeing[claim.claim], claim
    assert (tmp_path / "result.json").is_file() and (tmp_path / "README.md").is_file()
    for file, caption in fresh.figures:
        assert (tmp_path / file).is_file() and caption


def test_the_page_is_rebuilt_from_the_stored_results(tmp_path):
    """EXPERIMENTS.md is exactly what --render makes of docs/experiments (no hand edits, nothing stale)."""
    page = tmp_path / "EXPERIMENTS.md"
    results = [load_result(STORED / name) for name in MODULES]
    write_page(results, page, STORED)
    committed = (STORED.parents[1] / "EXPERIMENTS.md").read_text()
    rebuilt = page.read_text().replace(str(STORED.resolve()), "docs/experiments")
    assert rebuilt == committed


def test_every_experiment_is_registered_with_a_title_source_and_seeds():
    for name in MODULES:
        module = experiment(name)
        assert module.NAME == name and module.TITLE and module.SOURCE
        assert module.SEEDS >= 5 and 2 <= module.QUICK_SEEDS <= module.SEEDS
    with pytest.raises(ValueError, match="unknown experiment 'dropout'; valid: activations, batchnorm"):
        experiment("dropout")
