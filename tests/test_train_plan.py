"""The batch plan: one count of updates an epoch, for the loop and for the schedule (issue 18)."""

import json
import subprocess
import sys

import numpy as np
import pytest

import mlplab as ml
from mlplab.train import BatchPlan, Callback, Trainer, checkpoint_state


def test_updates_per_epoch_drop_a_last_batch_of_one_only_for_batch_norm():
    assert BatchPlan(201, 20).updates_per_epoch == 11
    assert BatchPlan(201, 20, drop_single=True).updates_per_epoch == 10
    assert BatchPlan(202, 20, drop_single=True).updates_per_epoch == 11       # a last batch of 2 trains
    assert BatchPlan(5, 100).updates_per_epoch == 1
    assert BatchPlan.for_network(201, 20, ml.mlp(2, [4], 2, batchnorm=True)).drop_single
    assert not BatchPlan.for_network(201, 20, ml.mlp(2, [4], 2, batchnorm=False)).drop_single
    with pytest.raises(ValueError, match="batch_size must be a positive integer, got 0"):
        BatchPlan(10, 0)


def test_the_batches_are_the_seeded_permutation_and_the_loop_runs_exactly_them():
    plan = BatchPlan(21, 5, drop_single=True)
    batches = list(plan.batches(seed=3, epoch=1))
    order = np.random.default_rng([3, 1]).permutation(21)
    assert [b for b, _ in batches] == [0, 1, 2, 3]
    np.testing.assert_array_equal(np.concatenate([index for _, index in batches]), order[:20])
    assert [b for b, _ in plan.batches(3, 1, first=2)] == [2, 3]

    X = np.random.default_rng(0).normal(size=(21, 3))               # 21 % 5 == 1: batch norm skips the last
    seen = []

    class Count(Callback):
        def on_batch_end(self, trainer, step, loss):
            seen.append(step)

    trainer = Trainer(ml.mlp(3, [4], 2, batchnorm=True), ml.optim.SGD(lr=0.1), batch_size=5, epochs=2,
                      callbacks=[Count()])
    trainer.fit(X, (X[:, 0] > 0).astype(int))
    assert trainer.steps_per_epoch == 4 and seen == list(range(1, 9))


@pytest.mark.parametrize("batchnorm, per_epoch", [(True, 10), (False, 11)])
def test_the_cosine_schedule_of_a_run_is_sized_by_the_loops_plan(tmp_path, batchnorm, per_epoch):
    """201 examples in batches of 20: with batch norm the loop makes 10 updates an epoch, and the
    schedule must plan over exactly those (run.py once counted them on its own)."""
    out = tmp_path / "run"
    result = subprocess.run([sys.executable, "-m", "mlplab.cli", "train", "--data", "moons", "--train-limit", "201",
                             "--val-fraction", "0", "--hidden", "8", "--epochs", "2", "--batch-size", "20",
                             "--batchnorm" if batchnorm else "--no-batchnorm", "--dropout", "0", "--schedule", "cosine",
                             "--lr", "0.1", "--diagnostics", "off", "--no-report", "--quiet", "--out", str(out)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    summary = json.loads((out / "summary.json").read_text())
    plan = checkpoint_state(out / "checkpoints" / "last.npz")["schedule_plan"]
    assert summary["steps"] == 2 * per_epoch and plan["steps_per_epoch"] == per_epoch
    with open(out / "metrics.csv") as f:
        header, *rows = [line.strip().split(",") for line in f]
    last_lr = float(rows[-1][header.index("lr")])
    assert last_lr == pytest.approx(ml.optim.CosineLR(0.1, 2 * per_epoch)(2 * per_epoch - 1), rel=1e-12)


def test_an_epoch_stopped_midway_continues_only_with_its_own_batch_plan(tmp_path):
    """A checkpoint taken inside an epoch holds a batch index; another batch size would skip or repeat
    examples, so it is refused naming both plans; at an epoch boundary a new batch size is fine."""
    import mlplab as ml
    from mlplab.train import Trainer
    X = np.random.default_rng(0).normal(size=(100, 4))
    y = (X[:, 0] > 0).astype(int)

    def trainer(batch_size):
        return Trainer(ml.mlp(4, [8], 2, seed=0, dtype="float64"), ml.optim.SGD(lr=0.1), batch_size=batch_size,
                       epochs=2, seed=0)

    first = trainer(10)
    first.epochs = 1
    first.fit(X, y)
    at_boundary = tmp_path / "boundary.npz"
    first.save_checkpoint(at_boundary)
    trainer(20).fit(X, y, resume_from=at_boundary)                 # a new epoch may take new batches
    first.state.partial = {"batch": 3, "loss_sum": 1.0, "correct": 20, "seen": 30, "seconds": 0.1}
    midway = tmp_path / "midway.npz"
    first.save_checkpoint(midway)
    with pytest.raises(ValueError, match=r"stopped in the middle of epoch 2 with batches of 10 from 100 examples; "
                                         r"it can only continue that epoch with the same \(got batches of 20"):
        trainer(20).fit(X, y, resume_from=midway)
    assert trainer(10).fit(X, y, resume_from=midway)[-1]["epoch"] == 2
