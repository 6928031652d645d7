"""The --quick experiments: their robust claims (the analytic ones, and the direction of the
dead-ReLU and batch-norm effects) must come out reproduced, from the numbers they measure."""

import json

import numpy as np
import pytest

from mlplab.experiments import MODULES, run_experiment, write_page


def verdicts(result) -> dict[str, bool]:
    return {claim.claim: claim.reproduced for claim in result.claims}


def claim(result, start: str):
    found = [c for c in result.claims if c.claim.startswith(start)]
    assert len(found) == 1, [c.claim for c in result.claims]
    return found[0]


@pytest.fixture(scope="module")
def init_result(tmp_path_factory):
    return run_experiment("init-activations", tmp_path_factory.mktemp("init"), seeds=1, quick=True)


def test_init_activations_small_weights_vanish_and_large_ones_saturate(init_result):
    for start in ("tanh with N(0, 0.01^2) weights", "tanh with N(0, 1) weights", "Xavier initialisation keeps tanh",
                  "... but it shrinks ReLU", "He initialisation keeps ReLU"):
        assert claim(init_result, start).reproduced, claim(init_result, start)


def test_init_activations_measures_the_variance_prediction(init_result):
    """One seed of finite width wanders by a few % per layer, so the 10% verdict needs the seed
    mean; but a wrong formula (the ReLU factor 1/2 left out: 2^4.5 = 22x at layer 10) is far off."""
    table = next(t for t in init_result.tables if t.title.startswith("Pre-activation std"))
    errors = {(row[0], row[1]): row[-1] for row in table.rows}
    assert set(errors) == {("relu", label) for label in ("N(0, 0.01^2)", "N(0, 1)", "1/sqrt(n) (Xavier)",
                                                         "Glorot uniform", "He")} | {("tanh", "N(0, 0.01^2)")}
    assert max(errors.values()) < 0.3, errors
    assert errors[("tanh", "N(0, 0.01^2)")] < 0.1      # tanh(s) is a little below s even at std 0.2


def test_symmetry(tmp_path):
    result = run_experiment("symmetry", tmp_path, seeds=1, quick=True)
    assert all(verdicts(result).values()), result.claims
    saved = json.loads((tmp_path / "result.json").read_text())
    assert [c["verdict"] for c in saved["claims"]] == ["reproduced"] * 3
    assert "| claim | measured | verdict |" in (tmp_path / "README.md").read_text()


def test_depth_init(tmp_path):
    result = run_experiment("depth-init", tmp_path, seeds=1, quick=True)
    assert all(verdicts(result).values()), result.claims
    assert (tmp_path / "loss.png").is_file()


def test_dead_relu_direction(tmp_path):
    result = run_experiment("dead-relu", tmp_path, seeds=1, quick=True)
    for start in ("Too high a learning rate kills", "A large negative bias kills", "Leaky ReLU does not die"):
        assert claim(result, start).reproduced, claim(result, start)


def test_batchnorm_direction(tmp_path):
    result = run_experiment("batchnorm", tmp_path, seeds=1, quick=True)
    for start in ("With batch norm the network trains faster", "... and reaches a higher test accuracy"):
        assert claim(result, start).reproduced, claim(result, start)


def test_the_page_lists_every_result(tmp_path, init_result):
    page = tmp_path / "EXPERIMENTS.md"
    write_page([init_result], page, tmp_path / "figures")
    text = page.read_text()
    assert "| [`init-activations`](#init-activations) |" in text
    assert "figures/init-activations/activations.png" in text


def test_every_experiment_is_registered_with_a_title_and_source():
    from mlplab.experiments import experiment
    for name in MODULES:
        module = experiment(name)
        assert module.NAME == name and module.TITLE and module.SOURCE
    with pytest.raises(ValueError, match="unknown experiment 'dropout'; valid: activations"):
        experiment("dropout")
