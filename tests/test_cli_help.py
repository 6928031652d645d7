"""The command line helps with mistakes (issue 17, item 2): ``train --help`` in sections with every
key's valid values, a mistyped flag answered with its command's usage and the flag it was meant to be,
no prefix abbreviations, integers shown as integers, one folder per experiment, a closed pipe that
ends quietly, and ``predict --output`` saying where it wrote."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mlplab import cli, experiments, init
from mlplab.cli import main
from mlplab.cli_parser import TRAIN_USAGE, build_parser
from mlplab.config import GROUPS, KEYS
from mlplab.data import NAMES as DATASETS
from mlplab.validation import check_number, check_positive_int

TRAIN_USAGE_LINE = f"usage: {TRAIN_USAGE}"


def _command(*args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "mlplab.cli", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kwargs)


def _help_sections(capsys) -> dict[str, str]:
    """``mlplab train --help`` cut at its section titles, each section's text on one line."""
    with pytest.raises(SystemExit) as stop:
        main(["train", "--help"])
    assert stop.value.code == 0
    sections: dict[str, list[str]] = {}
    title = "usage"
    for line in capsys.readouterr().out.splitlines():
        if re.fullmatch(r"[a-z-]+:", line):
            title = line[:-1]
        sections.setdefault(title, []).append(line)
    return {title: " ".join(" ".join(lines).split()) for title, lines in sections.items()}


def test_every_key_belongs_to_a_section():
    assert {name: key.group for name, key in KEYS.items() if key.group not in GROUPS} == {}


def test_train_help_lists_each_flag_in_its_section_in_order(capsys):
    sections = _help_sections(capsys)
    assert list(sections) == ["usage", "options", *GROUPS]
    for name, key in KEYS.items():
        flag = "--" + name.replace("_", "-")
        entry = f" {flag}, --no-{flag[2:]} " if key.kind is bool else f" {flag} {name.upper()} "
        holding = [title for title, text in sections.items() if entry in text]
        assert holding == [key.group], (flag, holding)
    assert sections["options"].startswith("options: -h, --help show this help message and exit --config NAME_OR_FILE")


def test_train_help_lists_the_valid_values_of_every_choice(capsys):
    sections = _help_sections(capsys)
    for name, key in KEYS.items():
        if key.choices:
            assert f"valid: {', '.join(key.choices)} (default: {key.default})" in sections[key.group], name
    assert f"valid: {', '.join(DATASETS)}, PATH.npz, PATH.csv (default: fashion-mnist)" in sections["data"]
    assert f"valid: auto, lsuv, {', '.join(init.NAMES)} (default: auto)" in sections["network"]
    assert "normal:<std>" in sections["network"] and "mnist-5k" in sections["data"]
    from mlplab.norms import NORMS
    assert {"none", "batch", "layer", "weight"} <= set(NORMS)
    assert (f"--norm NORM normalization after each hidden affine map; valid: {', '.join(NORMS)} (default: none)"
            in sections["network"])
    assert "--batchnorm, --no-batchnorm batch normalization after each hidden affine map (the key runs record " \
        "beside norm: --batchnorm is --norm batch, --no-batchnorm --norm none) (default: off)" in sections["network"]
    assert "(default: None)" not in " ".join(sections.values())


@pytest.mark.parametrize("argv, line", [
    (["train", "--hiden", "32"], "mlplab train: error: unknown flag --hiden; did you mean --hidden?"),
    (["train", "--epoch", "2"], "mlplab train: error: unknown flag --epoch; did you mean --epochs?"),
    (["train", "--hid", "3"], "mlplab train: error: unknown flag --hid; did you mean --hidden?"),
    (["train", "--epoch=2"], "mlplab train: error: unknown flag --epoch; did you mean --epochs?"),
    (["train", "--no-batchnrom"], "mlplab train: error: unknown flag --no-batchnrom; did you mean --no-batchnorm?"),
    (["train", "--zzzz"], "mlplab train: error: unknown flag --zzzz; mlplab train --help lists the flags"),
    (["train", "stray"], "mlplab train: error: unrecognized argument: stray"),
])
def test_a_mistyped_train_flag_gets_trains_usage_and_a_suggestion(argv, line, tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        main([*argv, "--data", "moons", "--out", str(tmp_path / "r")])
    assert stop.value.code == 2
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [TRAIN_USAGE_LINE, line] and captured.out == ""
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("argv, usage, line", [
    (["predict", "RUN", "--inptu", "x.csv"], "usage: mlplab predict [-h] --input INPUT [--output OUTPUT] run_dir",
     "mlplab predict: error: unknown flag --inptu; did you mean --input?"),
    (["experiment", "symmetry", "--quik"], "usage: mlplab experiment [-h]",
     "mlplab experiment: error: unknown flag --quik; did you mean --quick?"),
    (["inspect", "RUN", "--ep", "2"], "usage: mlplab inspect [-h] [--epoch EPOCH] run_dir",
     "mlplab inspect: error: unknown flag --ep; did you mean --epoch?"),
    (["tran", "--epochs", "2"], "usage: mlplab [-h] [--version]",
     "mlplab: error: unknown command 'tran'; did you mean train?"),
])
def test_every_command_answers_a_typo_with_its_own_usage(argv, usage, line, capsys):
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(usage) and err[-1] == line


def test_no_parser_accepts_a_prefix_of_a_flag():
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
    assert parser.allow_abbrev is False and all(p.allow_abbrev is False for p in commands.values())
    with pytest.raises(SystemExit):
        parser.parse_args(["train", "--epoch", "2"])      # would be --epochs 2 with argparse's default
    assert parser.parse_args(["train", "--epochs", "2"]).epochs == "2"


def test_the_real_command_exits_2_on_a_prefix_and_writes_nothing(tmp_path):
    process = _command("train", "--data", "moons", "--epoch", "2", "--out", tmp_path / "r")
    out, err = process.communicate(timeout=120)
    assert process.returncode == 2 and out == ""
    assert err.splitlines() == [TRAIN_USAGE_LINE, "mlplab train: error: unknown flag --epoch; did you mean --epochs?"]
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("flag, value, message", [
    ("--batch-size", "0", "batch_size must be >= 1, got 0"),
    ("--epochs", "0", "epochs must be >= 1, got 0"),
    ("--train-limit", "-5", "train_limit must be >= 0, got -5"),
    ("--lr", "-0.5", "lr must be > 0, got -0.5"),
])
def test_integers_print_as_integers_in_messages(flag, value, message, tmp_path, capsys):
    assert main(["train", "--data", "moons", flag, value, "--out", str(tmp_path / "r")]) == 2
    assert capsys.readouterr().err == f"mlplab train: error: {message}\n"
    assert not (tmp_path / "r").exists()


def test_the_checks_show_numpy_numbers_as_python_ones():
    with pytest.raises(ValueError, match=r"^batch_size must be a positive integer, got 0$"):
        check_positive_int("batch_size", np.int64(0))
    with pytest.raises(ValueError, match=r"^epochs must be >= 1, got 0$"):
        check_number("epochs", np.int32(0), low=1)
    with pytest.raises(ValueError, match=r"^dropout must be < 1, got 1\.5$"):
        check_number("dropout", np.float64(1.5), high=1, high_open=True)


@pytest.fixture
def recorded_experiments(monkeypatch):
    """``run_experiment`` replaced by a recorder of the folders it is given (nothing runs)."""
    outs: list[Path] = []

    class Result:
        claims: list = []
        seconds = 0.0

        def counts(self) -> dict:
            return {}

    def record(name, out, seeds=None, quick=False):
        outs.append(Path(out))
        return Result()
    monkeypatch.setattr(cli, "run_experiment", record)        # the name the command calls
    return outs


def test_each_experiment_has_a_default_folder_of_its_own(recorded_experiments, capsys):
    assert main(["experiment", "init-activations"]) == 0 and main(["experiment", "symmetry"]) == 0
    assert recorded_experiments == [Path("runs/experiments/init-activations"), Path("runs/experiments/symmetry")]
    assert capsys.readouterr().out.splitlines()[-1] == "symmetry:  (0 s) -> runs/experiments/symmetry"


def test_experiment_out_keeps_its_meaning(recorded_experiments):
    assert main(["experiment", "symmetry", "--out", "mine"]) == 0              # one experiment: that folder
    assert main(["experiment", "all", "--out", "docs/experiments"]) == 0       # all: one sub-folder each
    assert main(["experiment", "all"]) == 0
    assert recorded_experiments == [Path("mine"), *(Path("docs/experiments") / name for name in experiments.MODULES),
                                    *(Path("runs/experiments") / name for name in experiments.MODULES)]


def test_a_listing_into_a_closed_pipe_ends_quietly():
    process = _command("experiment", "--list")
    process.stdout.close()                 # the reader is gone before the command writes (as after head -1)
    err = process.stderr.read()
    assert process.wait(timeout=120) == 141 and err == ""


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run") / "r"
    assert main(["train", "--data", "moons", "--hidden", "8", "--epochs", "1", "--diagnostics", "off",
                 "--no-report", "--quiet", "--out", str(out)]) == 0
    return out


def test_predictions_into_a_closed_pipe_end_quietly(finished_run, tmp_path):
    np.savetxt(tmp_path / "in.csv", np.random.default_rng(0).normal(size=(5000, 2)), delimiter=",")
    process = _command("predict", finished_run, "--input", tmp_path / "in.csv")
    process.stdout.close()
    err = process.stderr.read()
    assert process.wait(timeout=120) == 141 and err == ""


def test_predict_output_says_where_it_wrote_and_stdout_carries_only_that(finished_run, tmp_path, capsys):
    np.savetxt(tmp_path / "in.csv", np.array([[0.0, 1.0], [1.0, -0.5], [2.0, 0.3]]), delimiter=",")
    target = tmp_path / "p.csv"
    assert main(["predict", str(finished_run), "--input", str(tmp_path / "in.csv"), "--output", str(target)]) == 0
    captured = capsys.readouterr()
    assert captured.out == f"wrote 3 predictions to {target}\n" and captured.err == ""
    assert target.read_text().splitlines()[0] == "row,class,p0,p1" and len(target.read_text().splitlines()) == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "p.csv"]          # no temporary left
    assert main(["predict", str(finished_run), "--input", str(tmp_path / "in.csv")]) == 0
    assert capsys.readouterr().out == target.read_bytes().decode()      # without --output: the CSV itself, only
