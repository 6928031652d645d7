"""What ``mlplab train --resume RUN --epochs N`` does to the learning rate (mlplab.lr_plan): a cosine
goes on from its current rate down to lr_min at the new last epoch and never jumps back up; a run at
its floor stays there; schedules that do not depend on the epoch count go on as planned; one line says
which, on standard error and in config.toml."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest

from mlplab import run as run_module
from mlplab.cli import main
from mlplab.config import read_toml, resolve
from mlplab.lr_plan import build_schedule, resume_schedule, saved_schedule
from mlplab.train import checkpoint_state

FAST = ["--data", "moons", "--hidden", "8", "--diagnostics", "off", "--no-report", "--quiet"]
SPE = 8                  # moons: 720 training rows after the validation split, batches of 100


def _rates(out: Path) -> list[float]:
    with open(out / "metrics.csv") as f:
        return [float(row["lr"]) for row in csv.DictReader(f)]


def _stop_after_epoch(monkeypatch, epoch: int) -> None:
    """Ctrl-C right after ``epoch`` is written (its checkpoint is saved before the callbacks run)."""
    write = run_module.RunDirectoryWriter.on_epoch_end

    def stop(self, trainer, done, metrics):
        write(self, trainer, done, metrics)
        if done == epoch:
            raise KeyboardInterrupt
    monkeypatch.setattr(run_module.RunDirectoryWriter, "on_epoch_end", stop)


def test_a_stopped_cosine_run_given_more_epochs_decays_on_from_its_current_rate(tmp_path, monkeypatch, capsys):
    out = tmp_path / "r"
    _stop_after_epoch(monkeypatch, 2)
    assert main(["train", *FAST, "--epochs", "4", "--out", str(out)]) == 130
    monkeypatch.undo()
    capsys.readouterr()
    assert main(["train", "--resume", str(out), "--epochs", "6", "--quiet"]) == 0
    line = ("mlplab: resume at epoch 2 (update 16) with epochs 4 -> 6: the cosine schedule is re-planned from its "
            "current rate 0.025 down to lr_min 0 at epoch 6; it does not jump back up")
    assert capsys.readouterr().err == line + "\n"
    rates = _rates(out)
    assert len(rates) == 6 and all(later < earlier for earlier, later in zip(rates, rates[1:])), rates
    # the rates of epochs 1-2 are the 4-epoch plan's; from update 16 a cosine from 0.025 over 32 updates
    assert rates[1] == pytest.approx(0.05 * 0.5 * (1 + math.cos(math.pi * 15 / 32)), rel=1e-12)
    for epoch in range(3, 7):
        assert rates[epoch - 1] == pytest.approx(0.025 * 0.5 * (1 + math.cos(math.pi * (epoch * SPE - 1 - 16) / 32)),
                                                 rel=1e-12)
    assert f"# {line[len('mlplab: '):]}" in (out / "config.toml").read_text()
    plan = checkpoint_state(out / "checkpoints" / "last.npz")["schedule_plan"]
    assert plan["epochs"] == 6 and plan["base_epochs"] == 4 and plan["segments"] == [[16, 0.025, 48]]
    followed = saved_schedule(out, resolve(read_toml(out / "config.toml"), {}), SPE)     # what a report redraws
    assert [followed(epoch * SPE - 1) for epoch in range(1, 7)] == rates


def test_a_finished_cosine_run_stays_at_its_floor_and_says_so(tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["train", *FAST, "--epochs", "2", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["train", "--resume", str(out), "--epochs", "3", "--quiet"]) == 0
    assert capsys.readouterr().err == ("mlplab: resume at epoch 2 (update 16) with epochs 2 -> 3: the cosine schedule "
                                       "had reached its floor lr_min 0, and epochs 3-3 train at that rate (a rate of "
                                       "0 changes no weight)\n")
    rates = _rates(out)
    assert rates[2] == 0.0 and rates[1] > 0          # before: a cosine over 3 epochs, back up to 0.0125
    assert main(["train", "--resume", str(out), "--epochs", "3", "--quiet"]) == 0      # the same count: silent
    assert capsys.readouterr().err == ""


def test_a_schedule_of_the_update_count_goes_on_as_planned(tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["train", *FAST, "--epochs", "2", "--schedule", "step", "--step-epochs", "1", "--gamma", "0.5",
                 "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["train", "--resume", str(out), "--epochs", "3", "--quiet"]) == 0
    assert capsys.readouterr().err == ("mlplab: resume at epoch 2 (update 16) with epochs 2 -> 3: the step schedule "
                                       "does not depend on the epoch count and goes on as planned (rate 0.0125 now)\n")
    assert _rates(out) == [0.05, 0.025, 0.0125]


def test_a_plan_survives_its_checkpoint_and_a_second_resume_continues_it():
    config = resolve({"epochs": 4}, {})
    first, note = resume_schedule({**config, "epochs": 6}, SPE, {"step": 16, "epoch": 2,
                                                                 "schedule_plan": build_schedule(config, SPE).plan},
                                  config)
    again = build_schedule({**config, "epochs": 6}, SPE, json.loads(json.dumps(first.plan)))
    assert [again(t) for t in range(60)] == [first(t) for t in range(60)]
    second, note = resume_schedule({**config, "epochs": 8}, SPE, {"step": 24, "epoch": 3,
                                                                  "schedule_plan": again.plan}, config)
    rates = [second(t) for t in range(64)]
    assert rates[:24] == [first(t) for t in range(24)]           # the updates already made keep their rates
    assert all(b <= a for a, b in zip(rates, rates[1:])) and second(64) == 0.0
    assert note.startswith("resume at epoch 3 (update 24) with epochs 6 -> 8: the cosine schedule is re-planned")


def test_another_rate_on_resume_is_followed_and_said(tmp_path, capsys):
    config = resolve({"epochs": 4}, {})
    schedule, note = resume_schedule({**config, "lr": 0.1}, SPE, {"step": 16, "epoch": 2, "schedule_plan":
                                                                   build_schedule(config, SPE).plan}, config)
    assert schedule(16) == pytest.approx(0.05) and note == ("resume at update 16: the schedule's settings changed "
                                                            "(lr), so the rate follows the new ones from here: "
                                                            "0.025 -> 0.05")


def test_a_checkpoint_without_a_plan_is_read_with_the_previous_config():
    config = resolve({"epochs": 4}, {})                   # a run trained before plans were saved
    schedule, note = resume_schedule({**config, "epochs": 6}, SPE, {"step": 16, "epoch": 2}, config)
    assert schedule(16) == pytest.approx(0.025) and "re-planned from its current rate 0.025" in note


def test_the_saved_schedule_of_a_run_folder(tmp_path):
    config = resolve({"epochs": 4}, {})
    assert saved_schedule(tmp_path, config, SPE)(16) == pytest.approx(0.025)      # no checkpoint: the config's
