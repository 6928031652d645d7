"""Issue 19's optimizers and schedule across a checkpoint: a run stopped and resumed ends with the
weights, optimizer slots and losses of a run never stopped, bit for bit (NAdam's mu_product rebuilt
from the step count, AMSGrad's v_max saved as a slot, the warm restarts a function of the update
count); and ``mlplab train`` builds them from the config and resumes them as planned."""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest

import mlplab as ml
from mlplab.builders import build_optimizer, describe_run
from mlplab.cli import main
from mlplab.config import RunConfig, resolve
from mlplab.data import Preprocessor, load_dataset
from mlplab.lr_plan import build_schedule, resume_schedule
from mlplab.train import Trainer

OPTIMIZERS = {
    "nadam": lambda: ml.optim.NAdam(lr=0.01, weight_decay=0.001),
    "adam-amsgrad": lambda: ml.optim.Adam(lr=0.01, amsgrad=True),
    "adamw-amsgrad": lambda: ml.optim.AdamW(lr=0.01, amsgrad=True, max_grad_norm=1.0),
}


def _setup(make_optimizer, epochs: int, checkpoint):
    d = load_dataset("spirals", seed=0)
    pre = Preprocessor("standardize").fit(d.X_train)
    X, Xt = pre.transform(d.X_train), pre.transform(d.X_test)
    net = ml.mlp(2, [16, 16], 2, batchnorm=True, dropout=0.2, seed=1)
    # 25 updates an epoch: restarts at updates 20 and 60, so the resume at 50 is inside the second cycle
    schedule = ml.optim.CosineWarmRestarts(0.01, T_0=20, T_mult=2, min_lr=1e-4)
    trainer = Trainer(net, make_optimizer(), batch_size=32, epochs=epochs, schedule=schedule, seed=5,
                      checkpoint_path=checkpoint)
    return trainer, (X, d.y_train), (Xt, d.y_test)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_resume_with_the_2016_17_optimizers_is_bit_identical(name, tmp_path):
    make = OPTIMIZERS[name]
    straight, train, val = _setup(make, 4, tmp_path / "a.npz")
    straight.fit(*train, val=val)
    first, train, val = _setup(make, 2, tmp_path / "b.npz")
    first.fit(*train, val=val)
    second, train, val = _setup(make, 4, tmp_path / "b.npz")        # as a fresh process would
    second.fit(*train, val=val, resume_from=tmp_path / "b.npz")
    assert second.step == straight.step == 100
    for key, value in straight.net.params.items():
        np.testing.assert_array_equal(second.net.params[key], value, err_msg=key)
    ours, theirs = second.optimizer.state_arrays(), straight.optimizer.state_arrays()
    assert ours.keys() == theirs.keys() and any(k.endswith("|v_max") for k in ours) == ("amsgrad" in name)
    for key, value in theirs.items():
        np.testing.assert_array_equal(ours[key], value, err_msg=key)
    if name == "nadam":
        assert second.optimizer.mu_product == straight.optimizer.mu_product
    assert [h["val_loss"] for h in second.history] == [h["val_loss"] for h in straight.history]


def test_the_config_builds_nadam_and_amsgrad_and_says_so():
    config = RunConfig.defaults().replace(optimizer="adamw", amsgrad=True, lr=0.003, beta2=0.99)
    adamw = build_optimizer(config)
    assert type(adamw) is ml.optim.AdamW and adamw.amsgrad and (adamw.lr, adamw.beta2) == (0.003, 0.99)
    assert "adamw amsgrad lr 0.003" in describe_run(config, 2, 2, 100)
    with pytest.raises(ValueError, match="config key 'amsgrad' is not read by optimizer 'nadam'"):
        config.replace(optimizer="nadam")                  # NAdam has no AMSGrad: refused, not ignored
    nadam = build_optimizer(config.replace(optimizer="nadam", amsgrad=False))
    assert type(nadam) is ml.optim.NAdam and (nadam.lr, nadam.beta2) == (0.003, 0.99)
    assert "amsgrad" not in describe_run(config.replace(optimizer="nadam", amsgrad=False), 2, 2, 100)


FAST = ["--data", "moons", "--hidden", "8", "--diagnostics", "off", "--no-report", "--quiet"]
SPE = 8                  # moons: 720 training rows after the validation split, batches of 100


def _rates(out):
    with open(out / "metrics.csv") as f:
        return [float(row["lr"]) for row in csv.DictReader(f)]


def test_cosine_restarts_from_the_command_line_restart_on_epoch_boundaries_and_resume_as_planned(tmp_path, capsys):
    """T_0 is --step-epochs epochs of updates, each cycle --t-mult times the last; another --epochs on
    resume changes nothing of the plan (the rate is a function of the update count) and says so."""
    out = tmp_path / "r"
    assert main(["train", *FAST, "--optimizer", "nadam", "--lr", "0.01", "--schedule", "cosine_restarts",
                 "--step-epochs", "1", "--t-mult", "2", "--lr-min", "0.001", "--epochs", "2", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["train", "--resume", str(out), "--epochs", "4", "--quiet"]) == 0
    err = capsys.readouterr().err
    assert err.startswith("mlplab: resume at epoch 2 (update 16) with epochs 2 -> 4: the cosine_restarts schedule "
                          "does not depend on the epoch count and goes on as planned (rate "), err
    # the rate of each epoch's last update (metrics.csv): cycles of 8 updates, then 16, then 32
    planned = ml.optim.CosineWarmRestarts(0.01, T_0=SPE, T_mult=2, min_lr=0.001)
    assert _rates(out) == [planned(epoch * SPE - 1) for epoch in range(1, 5)]
    assert planned(SPE) == planned(3 * SPE) == planned(0) == pytest.approx(0.01)     # restarts: updates 8, 24
    assert _rates(out)[2] == pytest.approx(0.001 + 0.009 * (1 + math.cos(math.pi * 15 / 16)) / 2, rel=1e-12)


def test_a_plan_saved_before_t_mult_existed_resumes_as_the_same_schedule():
    """Checkpoints written before issue 19 have no ``t_mult`` in their plan: it reads as 1 (the only
    value there was), so their resume is not mistaken for a change of schedule."""
    config = resolve({"epochs": 4, "schedule": "step", "step_epochs": 1, "gamma": 0.5}, {})
    old_plan = {k: v for k, v in build_schedule(config, SPE).plan.items() if k != "t_mult"}
    schedule, note = resume_schedule(config, SPE, {"step": 16, "epoch": 2, "schedule_plan": old_plan}, config)
    assert note is None and schedule(16) == pytest.approx(0.0125)
    _, note = resume_schedule({**config, "t_mult": 2}, SPE, {"step": 16, "epoch": 2, "schedule_plan": old_plan},
                              config)
    assert note.startswith("resume at update 16: the schedule's settings changed (t_mult)")
