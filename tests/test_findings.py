"""mlplab.findings and ``mlplab diagnose``: runs built to show each pathology are diagnosed with it,
naming its layers; healthy runs (and the demo recipe, shortened) get no severe finding."""

import json
import math
import re
import subprocess
import sys

import pytest

from mlplab.config import read_toml, resolve
from mlplab.data import find_idx_folder
from mlplab.experiments import MODULES
from mlplab.findings import CODES, SEVERE, Finding, diagnose, diagnose_run
from mlplab.recipes import find
from mlplab.remedies import advice as remedy
from mlplab.run import train_run
from mlplab.train import TrainingDiverged


def run(tmp_path, name, recipe=None, **values):
    """Train a small run (a shipped recipe's values, then ``values``) in ``tmp_path/name``; returns
    its findings by code and its summary."""
    base = read_toml(find(recipe)) if recipe else {}
    config = resolve(base, {"out": str(tmp_path / name), "report": False, **values})
    summary = train_run(config, progress=False)
    findings = diagnose_run(tmp_path / name)
    assert summary["findings"] == [f.record() for f in findings]        # summary.json holds the same
    assert json.loads((tmp_path / name / "summary.json").read_text())["findings"] == summary["findings"]
    return {f.code: f for f in findings}, summary


def hidden(*numbers):
    return [f"hidden {n}" for n in numbers]


# -- the Done-when recipes, with default flags ---------------------------------------------------
def test_the_vanishing_tanh_recipe_is_diagnosed_with_vanishing_activations_and_gradients(tmp_path):
    found, _ = run(tmp_path, "tanh", "vanishing-tanh", epochs=3)       # the recipe's 10 epochs learn nothing more
    vanishing = found["vanishing-activations"]
    # std 0.039 at hidden 1, shrinking ~4.5x per layer: hidden 5 on is below 1e-2 of it
    assert set(hidden(5, 6, 7, 8)) <= set(vanishing.layers) <= set(hidden(*range(4, 11)))
    assert re.search(r"from 0\.039 \(hidden 1\) to [0-9.e-]+ \(hidden \d+\)", vanishing.measured), vanishing.measured
    assert "judged against the first hidden layer" in vanishing.threshold
    assert "mlplab experiment init-activations" in vanishing.advice and "xavier_normal" in vanishing.advice
    # the backward signal: |dJ/dh| at hidden 1 is ~1e-6 of hidden 10's
    assert "hidden 1" in found["vanishing-gradients"].layers
    assert "hidden 10" not in found["vanishing-gradients"].layers       # the reference itself
    assert set(hidden(*range(1, 11))) <= set(found["update-ratio-low"].layers)     # ratios ~1e-9
    assert not {"saturation", "dead-units", "diverged", "not-zero-centred"} & set(found)
    assert vanishing.headline().startswith(f"hidden {vanishing.layers[0].split()[1]}-")


def test_the_dead_relu_recipe_is_diagnosed_with_dead_units_or_divergence(tmp_path):
    found, _ = run(tmp_path, "dead", "dead-relu")                     # SGD at lr 2, ReLU 100-100, 10 epochs
    assert {"dead-units", "diverged"} & set(found)
    if "dead-units" in found:
        dead = found["dead-units"]
        assert dead.layers and set(dead.layers) <= set(hidden(1, 2))
        shares = [int(s) for s in re.findall(r"(\d+)% \(hidden \d\)", dead.measured.split(";")[0])]
        assert shares and min(shares) >= 40, dead.measured
        assert "mlplab experiment dead-relu" in dead.advice and "learning rate is set too high" in dead.advice
    # the first step at lr 2 moves the output layer by ~half its norm: the cause, named beside the effect
    high = found["update-ratio-high"]
    assert "output" in high.layers and "first step" in high.measured


def test_the_saturated_sigmoid_recipe_is_diagnosed_with_saturation(tmp_path):
    found, _ = run(tmp_path, "sat", "saturated-sigmoid")              # N(0, 1) weights, 3 x 256 sigmoid
    saturation = found["saturation"]
    assert set(hidden(2, 3)) <= set(saturation.layers)                # 60-80% of outputs < 0.01 or > 0.99
    assert re.search(r"\d+% \(hidden 2\)", saturation.measured) and "before training" in saturation.measured
    assert "mlplab experiment" in saturation.advice and "CS7015 lecture 9, module 9.3" in saturation.advice
    # sigmoid outputs have mean ~0.5 against std < 0.5: not zero-centred, with tanh as the remedy
    centred = found["not-zero-centred"]
    assert "hidden 1" in centred.layers and "Sigmoid" in centred.measured
    assert "--activation tanh" in centred.advice and "mlplab experiment activations" in centred.advice
    assert not centred.severe and saturation.severe


def test_the_demo_recipe_shortened_has_no_severe_finding(tmp_path):
    try:
        find_idx_folder("fashion-mnist")
    except FileNotFoundError as err:
        pytest.skip(reason=f"Fashion-MNIST is not installed (apt install dataset-fashion-mnist): {err}")
    found, summary = run(tmp_path, "demo", "fashion-mnist", train_limit=6000, epochs=3)
    assert summary["test_accuracy"] > 0.75                             # it learns
    assert not SEVERE & set(found), [found[c].headline() for c in SEVERE & set(found)]


# -- the other pathologies -----------------------------------------------------------------------
def test_healthy_relu_and_tanh_nets_get_no_severe_finding(tmp_path):
    relu, summary = run(tmp_path, "relu", data="digits", hidden="64,64", epochs=10)   # He (auto), lr 0.05
    assert summary["test_accuracy"] > 0.9
    assert not SEVERE & set(relu)
    assert "not-zero-centred" not in relu                              # ReLU's |mean|/std stays below 1
    tanh, _ = run(tmp_path, "tanh", data="digits", hidden="100,100,100", activation="tanh", epochs=5)
    assert not SEVERE & set(tanh) and "not-zero-centred" not in tanh


def test_large_weights_in_a_relu_net_explode_forward_and_backward(tmp_path):
    # N(0, 1) weights, fan-in 100: each ReLU layer multiplies the std by ~sqrt(100 / 2) = 7; a rate of
    # 1e-9 keeps the net as initialised
    found, _ = run(tmp_path, "big", data="digits", hidden="100,100,100,100", init="normal:1", lr=1e-9, epochs=1)
    assert "hidden 4" in found["exploding-activations"].layers
    assert "hidden 1" not in found["exploding-activations"].layers    # the reference
    assert "hidden 1" in found["exploding-gradients"].layers
    assert "hidden 4" not in found["exploding-gradients"].layers
    assert re.search(r"grows from [0-9.]+ \(hidden 1\) to [0-9.e+]+ \(hidden 4\)",
                     found["exploding-activations"].measured)
    assert "he_normal" in found["exploding-activations"].advice       # the rectifier's remedy
    assert "update-ratio-low" in found                                 # lr 1e-9


def test_a_diverged_run_says_so_in_its_summary(tmp_path):
    out = tmp_path / "boom"
    config = resolve({}, {"data": "moons", "hidden": "8", "epochs": 2, "schedule": "constant", "lr": 1e30,
                          "out": str(out), "report": False})
    with pytest.raises(TrainingDiverged):
        train_run(config, progress=False)
    summary = json.loads((out / "summary.json").read_text())
    assert [f["code"] for f in summary["findings"]][:1] == ["diverged"]
    diverged = summary["findings"][0]
    assert diverged["layers"] == [] and f"epoch {summary['diverged']['epoch']}" in diverged["measured"]
    assert "mlplab experiment batchnorm" in diverged["advice"]
    assert [f.record() for f in diagnose_run(out)] == summary["findings"]


def test_overfitting_is_found_from_the_curve_even_without_diagnostics(tmp_path):
    # a constant rate for 30 epochs on 1,295 digits: the validation loss turns up after epoch ~15
    found, _ = run(tmp_path, "over", data="digits", hidden="64,64", schedule="constant", epochs=30,
                   diagnostics="off")
    assert not (tmp_path / "over" / "diagnostics.json").exists()
    assert set(found) == {"overfitting"}
    overfitting = found["overfitting"]
    assert overfitting.layers == [] and overfitting.headline().startswith("whole run: overfitting")
    rise = re.search(r"rose from ([0-9.]+) \(epoch (\d+)\) to ([0-9.]+) \(epoch 30\), \+(\d+)%", overfitting.measured)
    assert rise and float(rise[3]) >= 1.1 * float(rise[1]) and int(rise[2]) < 30, overfitting.measured
    assert "mlplab experiment hidden-units" in overfitting.advice and "--l2" in overfitting.advice


# -- the pure function ---------------------------------------------------------------------------
def rows(val_losses, train_losses):
    return [{"epoch": e + 1, "lr": 0.1, "train_loss": t, "val_loss": v, "train_accuracy": 0.9, "val_accuracy": 0.8}
            for e, (v, t) in enumerate(zip(val_losses, train_losses))]


def test_overfitting_needs_the_validation_loss_up_by_the_margin_while_training_loss_falls():
    codes = lambda history: [f.code for f in diagnose(None, history, {})]     # noqa: E731
    assert codes(rows([1.0, 0.5, 0.56], [1.0, 0.4, 0.3])) == ["overfitting"]  # +12%, training falls
    assert codes(rows([1.0, 0.5, 0.54], [1.0, 0.4, 0.3])) == []               # +8%: noise
    assert codes(rows([1.0, 0.5, 0.56], [1.0, 0.4, 0.45])) == []              # training loss rose too
    assert codes(rows([1.0, 0.5, 0.4], [1.0, 0.4, 0.3])) == []                # still improving


def test_a_loss_that_is_not_a_number_is_divergence_and_no_curve_means_no_findings():
    history = rows([1.0, math.nan], [1.0, math.inf])
    found = diagnose(None, history, {})
    assert [f.code for f in found] == ["diverged"] and "train loss is inf at epoch 2" in found[0].measured
    assert diagnose(None, [], {}) == []


def test_every_code_has_a_title_advice_citing_a_lecture_and_an_experiment_that_exists():
    assert SEVERE < set(CODES) and len(CODES) == 11
    for code in CODES:
        for types in (["ReLU"], ["Tanh"], ["Sigmoid"]):
            advice = remedy(code, types)
            assert re.search(r"(CS7015 lecture 9|DD2424 lecture 4|Balasubramanian lecture 30)", advice), code
            named = re.findall(r"mlplab experiment ([a-z-]+)", advice)
            assert named and set(named) <= set(MODULES), (code, named)
    finding = Finding("dead-units", ["hidden 1", "hidden 2", "hidden 3"], "m", "t", "a")
    assert finding.record() == {"code": "dead-units", "layers": ["hidden 1", "hidden 2", "hidden 3"],
                                "measured": "m", "threshold": "t", "advice": "a"}
    assert finding.headline() == "hidden 1-3: units are dead [dead-units, severe]"


# -- the command ---------------------------------------------------------------------------------
def diagnose_command(*args):
    return subprocess.run([sys.executable, "-m", "mlplab.cli", "diagnose", *map(str, args)], capture_output=True,
                          text=True, timeout=120)


def test_mlplab_diagnose_prints_findings_json_and_refuses_a_folder_that_is_not_a_run(tmp_path):
    run(tmp_path, "dead", "dead-relu")
    text = diagnose_command(tmp_path / "dead")
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert re.match(r".*dead: \d+ findings?, \d+ severe$", lines[0])
    assert "hidden 1-2: units are dead [dead-units, severe]" in lines or \
        "training diverged" in text.stdout
    for label in ("measured:", "threshold:", "advice:"):
        assert any(line.startswith(f"    {label}") for line in lines), label
    as_json = diagnose_command(tmp_path / "dead", "--json")
    assert as_json.returncode == 0, as_json.stderr
    records = json.loads(as_json.stdout)
    assert records == json.loads((tmp_path / "dead" / "summary.json").read_text())["findings"]
    assert all(set(r) == {"code", "layers", "measured", "threshold", "advice"} for r in records)

    run(tmp_path, "fine", data="digits", hidden="64,64", epochs=10)
    healthy = diagnose_command(tmp_path / "fine")
    assert healthy.returncode == 0 and healthy.stdout.strip().endswith("no findings"), healthy.stdout

    (tmp_path / "empty").mkdir()
    for folder in (tmp_path / "empty", tmp_path / "missing"):
        refused = diagnose_command(folder)
        assert refused.returncode == 2 and refused.stdout == ""
        assert refused.stderr.count("\n") == 1 and "is not an mlplab run folder" in refused.stderr, refused.stderr
    (tmp_path / "fine" / "summary.json").write_text("{half a summ")
    broken = diagnose_command(tmp_path / "fine")
    assert broken.returncode == 2 and broken.stderr.count("\n") == 1 and "summary.json' is not JSON" in broken.stderr
