"""The Trainer: a network, an optimizer and a loss, put through the loop (:mod:`mlplab.train.loop`)."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from mlplab.losses import LOSSES
from mlplab.network import Sequential
from mlplab.optim import Optimizer, Schedule
from mlplab.train import checkpoint as ckpt
from mlplab.train.evaluate import evaluate_batches
from mlplab.train.events import Callback
from mlplab.train.inputs import Split, prepare_split
from mlplab.train.loop import Loop
from mlplab.train.plan import BatchPlan
from mlplab.train.state import EarlyStopping, LoopState
from mlplab.train.update import SupervisedUpdate
from mlplab.validation import check_choice, check_number, check_positive_int


class Trainer:
    """Train ``net`` with ``optimizer`` on integer-labelled data.

    ``loss`` is ``"softmax_cross_entropy"`` (the default) or any function
    ``(outputs, labels) -> (loss, doutputs)``.  ``l2``/``l1`` add DD2424 lecture 4's weight penalty.
    ``schedule(step) -> lr`` sets the rate before every update.  ``patience`` turns on early
    stopping on the validation loss (the best weights are restored at the end).
    ``checkpoint_path``, when given, is rewritten atomically after every epoch.
    ``transform(X_batch) -> array`` preprocesses each batch on the fly, so a dataset can stay
    in its compact raw form (60,000 uint8 images: 47 MiB instead of 188 MiB as float32).
    ``freeze`` lists layer indices whose params are never updated (e.g. pre-trained layers
    while the output layer is fine-tuned) nor penalised; their batch norm statistics still move.
    """

    def __init__(self, net: Sequential, optimizer: Optimizer, *, loss: str | Callable = "softmax_cross_entropy",
                 batch_size: int = 100, epochs: int = 10, l2: float = 0.0, l1: float = 0.0,
                 schedule: Schedule | Callable[[int], float] | None = None, seed: int = 0,
                 callbacks: Iterable[Callback] = (), patience: int | None = None,
                 checkpoint_path: str | os.PathLike | None = None, eval_batch_size: int = 2000,
                 transform: Callable[[Any], Any] | None = None, freeze: Iterable[int] = ()) -> None:
        if not isinstance(net, Sequential):
            raise TypeError(f"net must be a Sequential, got {type(net).__name__}")
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"optimizer must be an mlplab optimizer, got {type(optimizer).__name__}")
        self.net, self.optimizer = net, optimizer
        self.loss_fn = loss if callable(loss) else LOSSES[check_choice("loss", loss, LOSSES)]
        self.batch_size = check_positive_int("batch_size", batch_size)
        self.epochs = check_positive_int("epochs", epochs)
        self.l2, self.l1 = check_number("l2", l2, low=0.0), check_number("l1", l1, low=0.0)
        self.schedule = schedule
        self.callbacks = list(callbacks)
        patience = None if patience is None else check_positive_int("patience", patience)
        self.checkpoint_path = None if checkpoint_path is None else os.fspath(checkpoint_path)
        self.eval_batch_size = check_positive_int("eval_batch_size", eval_batch_size)
        if transform is not None and not callable(transform):
            raise TypeError(f"transform must be callable, got {type(transform).__name__}")
        self.transform = transform
        self.frozen = set()
        for index in freeze:
            if not isinstance(index, (int, np.integer)) or not 0 <= index < len(net.layers):
                raise ValueError(f"freeze must list layer indices in [0, {len(net.layers)}), got {index!r}")
            self.frozen.add(int(index))
        self.update = SupervisedUpdate(net, optimizer, self.loss_fn, self.l2, self.l1, self.frozen)
        self.state = LoopState(seed)                     # the loop's position: epoch, step, history
        self.early = EarlyStopping(net, patience)
        self.plan: BatchPlan | None = None               # set by fit from the training set

    # -- the loop's state, read by callbacks and callers -------------------------------------
    epoch = property(lambda self: self.state.epoch, doc="Epochs completed.")
    step = property(lambda self: self.state.step, doc="Updates done.")
    history = property(lambda self: self.state.history, doc="The metrics of every epoch.")
    train_seconds = property(lambda self: self.state.train_seconds, doc="Seconds spent in training epochs.")
    seed = property(lambda self: self.state.seed, doc="The batch order's seed.")
    stopped_early = property(lambda self: self.early.stopped, doc="Whether early stopping ended the run.")
    classifies = property(lambda self: self.update.classifies,
                          doc="Whether the loss is the classification one (integer labels, accuracy).")

    @property
    def steps_per_epoch(self) -> int:
        """Updates an epoch (the plan's; 0 before ``fit`` has seen the training set)."""
        return 0 if self.plan is None else self.plan.updates_per_epoch

    # -- data and evaluation --------------------------------------------------------------------
    def _prepare(self, name: str, split: Split | None) -> Split | None:
        return prepare_split(name, split, self.net, self.transform, self.classifies)

    def evaluate(self, X: Any, y: Any) -> tuple[float, float]:
        """Mean loss and accuracy in test mode, in batches of ``eval_batch_size``."""
        return self._evaluate(*self._prepare("evaluate", (X, y)))

    def _evaluate(self, X: Any, y: Any) -> tuple[float, float]:
        return evaluate_batches(self.net, X, y, self.loss_fn, self.eval_batch_size, self.transform)

    # -- training -------------------------------------------------------------------------------
    def fit(self, X: Any, y: Any, *, val: Split | None = None, test: Split | None = None,
            resume_from: str | os.PathLike | None = None) -> list[dict[str, float]]:
        """Train until ``epochs`` are done (or early stopping); returns the metrics history."""
        train = self._prepare("train", (X, y))
        plan = BatchPlan.for_network(train[0].shape[0], self.batch_size, self.net)
        if self.batch_size > plan.n:
            raise ValueError(f"batch_size {self.batch_size} is larger than the {plan.n} training examples")
        if plan.drop_single and self.batch_size == 1:
            raise ValueError("batch_size 1 with batch norm: it needs at least 2 examples per training batch "
                             "(its variance over one example is 0)")
        self.plan = plan
        splits = {name: self._prepare(name, split) for name, split in (("val", val), ("test", test))}
        if self.early.patience is not None and splits["val"] is None:
            raise ValueError("patience (early stopping) needs a validation split: pass val=(X_val, y_val)")
        if resume_from is not None:
            self.load_checkpoint(resume_from)

        def evaluate() -> dict[str, float]:
            metrics = {}
            for name, split in splits.items():
                if split is not None:
                    metrics[f"{name}_loss"], metrics[f"{name}_accuracy"] = self._evaluate(*split)
            return metrics

        save = None if self.checkpoint_path is None else (lambda: self.save_checkpoint(self.checkpoint_path))
        Loop(self.update, plan, self.state, epochs=self.epochs, owner=self, schedule=self.schedule,
             callbacks=self.callbacks, early=self.early, checkpoint_path=self.checkpoint_path, save=save,
             transform=self.transform, evaluate=evaluate).run(*train, resumed=resume_from is not None)
        self.early.restore_best()
        for callback in self.callbacks:
            callback.on_train_end(self)
        return self.history

    # -- checkpoints: the union of the parts' states ------------------------------------------------
    def save_checkpoint(self, path: str | os.PathLike) -> None:
        """Network, optimizer, schedule plan, dropout generators and loop state, written atomically."""
        plan = None if self.plan is None else dataclasses.asdict(self.plan)
        ckpt.save_checkpoint(path, self.net, self.optimizer, self.schedule,
                             {"loop": self.state.state_dict(), "best": self.early.state_dict(), "plan": {"plan": plan}})

    def load_checkpoint(self, path: str | os.PathLike) -> None:
        """Restore everything :meth:`save_checkpoint` wrote into this trainer and its network.  An epoch
        stopped midway continues at its batch index, so it must resume with the same batch plan."""
        header = ckpt.load_checkpoint(path, self.net, self.optimizer, {"loop": self.state, "best": self.early})
        saved, now = header.get("plan"), None if self.plan is None else dataclasses.asdict(self.plan)
        if self.state.partial and saved is not None and now is not None and saved != now:
            raise ValueError(f"checkpoint {os.fspath(path)!r} stopped in the middle of epoch {self.state.epoch + 1} "
                             f"with batches of {saved['batch_size']} from {saved['n']} examples; it can only "
                             f"continue that epoch with the same (got batches of {now['batch_size']} from "
                             f"{now['n']} examples)")
