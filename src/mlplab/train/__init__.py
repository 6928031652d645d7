"""Training, made of parts (issue 18): the mini-batch loop of DD2424 lecture 4 and what it runs.

- :mod:`~mlplab.train.plan`: the batch plan, shared by the loop and whoever sizes a schedule;
- :mod:`~mlplab.train.update`: one update path (forward, loss, backward, penalty, optimizer step);
- :mod:`~mlplab.train.state`: the loop's position and early stopping, each with its ``state_dict``;
- :mod:`~mlplab.train.checkpoint`: a checkpoint as the union of every component's state;
- :mod:`~mlplab.train.loop`: epochs, callbacks, divergence, Ctrl-C;
- :mod:`~mlplab.train.trainer`: the :class:`Trainer` that puts a network through it.

Epoch ``e`` visits the training set in the order ``default_rng([seed, e]).permutation(n)``,
so a run resumed from a checkpoint sees exactly the batches an uninterrupted run would.
Pre-training (:mod:`mlplab.pretrain`) runs through the same loop with a task of its own.
"""

from mlplab.train.checkpoint import checkpoint_state
from mlplab.train.evaluate import accuracy, evaluate_batches
from mlplab.train.events import Callback, TrainingDiverged, TrainingInterrupted
from mlplab.train.inputs import Split
from mlplab.train.loop import Loop
from mlplab.train.plan import BatchPlan
from mlplab.train.state import EarlyStopping, LoopState
from mlplab.train.trainer import Trainer
from mlplab.train.update import SupervisedUpdate

METRIC_KEYS = ("epoch", "step", "lr", "train_loss", "train_accuracy", "val_loss", "val_accuracy",
               "test_loss", "test_accuracy", "seconds")

__all__ = ["Trainer", "Callback", "TrainingDiverged", "TrainingInterrupted", "evaluate_batches", "accuracy",
           "checkpoint_state", "BatchPlan", "Loop", "LoopState", "EarlyStopping", "SupervisedUpdate", "Split",
           "METRIC_KEYS"]
