"""The mini-batch loop of DD2424 lecture 4: for each epoch, for each batch of the plan, one update.

It owns nothing of what it trains: the update is a *task* (:mod:`mlplab.train.update`; pre-training
brings its own), the batches come from a :class:`~mlplab.train.plan.BatchPlan`, where it is lives in
a :class:`~mlplab.train.state.LoopState`.  What it adds: the schedule's rate before every update,
callbacks, a NaN/inf loss stopping with where and at which rate, a checkpoint after every epoch,
and Ctrl-C, which finishes the update under way, saves (mid-epoch too) and stops.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from mlplab import backend as B
from mlplab.interrupt import DeferredInterrupt
from mlplab.train.events import Callback, TrainingDiverged, TrainingInterrupted
from mlplab.train.plan import BatchPlan
from mlplab.train.state import EarlyStopping, LoopState
from mlplab.train.update import Task


def take_rows(X: Any, index: np.ndarray) -> Any:
    """Rows ``X[index]`` of an array on any backend (``index``: host integers)."""
    return B.ops().take_rows(X, index)


class Loop:
    """Run ``task`` over ``plan`` until ``epochs`` epochs are done (or ``early`` stops it).

    ``owner`` is what callbacks receive (the Trainer); ``save()`` writes a checkpoint to
    ``checkpoint_path`` (both or neither); ``evaluate()`` adds the epoch's val/test metrics.
    """

    def __init__(self, task: Task, plan: BatchPlan, state: LoopState, *, epochs: int, owner: Any,
                 schedule: Callable[[int], float] | None = None, callbacks: Iterable[Callback] = (),
                 early: EarlyStopping | None = None, checkpoint_path: str | None = None,
                 save: Callable[[], None] | None = None, transform: Callable[[Any], Any] | None = None,
                 evaluate: Callable[[], dict[str, float]] | None = None) -> None:
        self.task, self.plan, self.state, self.epochs, self.owner = task, plan, state, epochs, owner
        self.schedule, self.callbacks, self.early = schedule, callbacks, early
        self.checkpoint_path, self.save, self.transform, self.evaluate = checkpoint_path, save, transform, evaluate
        self._ctrl_c = DeferredInterrupt()        # Ctrl-C waits for the end of the update under way

    def run(self, X: Any, y: Any, resumed: bool = False) -> list[dict[str, float]]:
        """Train on ``X`` (and targets ``y``, or None for an objective of ``X`` alone); returns the history."""
        state = self.state
        with self._ctrl_c:
            if not resumed and self.save is not None and state.step == 0:
                self.save()                              # a run killed in its first epoch can resume too
            for callback in self.callbacks:
                callback.on_train_begin(self.owner)
            self._stop_if_interrupted()
            while state.epoch < self.epochs and not (self.early is not None and self.early.stopped):
                metrics = self._epoch(X, y)
                if self.evaluate is not None:
                    metrics.update(self.evaluate())
                state.epoch += 1
                state.history.append(metrics)
                if self.early is not None:
                    self.early.update(metrics)
                if self.save is not None:
                    self.save()
                for callback in self.callbacks:
                    callback.on_epoch_end(self.owner, state.epoch, metrics)
                self._stop_if_interrupted()
        return state.history

    def _epoch(self, X: Any, y: Any) -> dict[str, float]:
        state, task = self.state, self.task
        started = time.perf_counter()
        partial, state.partial = state.partial or {}, None       # resuming an epoch stopped midway
        loss_sum, correct, seen = partial.get("loss_sum", 0.0), int(partial.get("correct", 0)), \
            int(partial.get("seen", 0))
        last = self.plan.updates_per_epoch - 1
        with np.errstate(over="ignore", invalid="ignore"):   # divergence is reported below, not warned about
            for batch, index in self.plan.batches(state.seed, state.epoch, int(partial.get("batch", 0))):
                for callback in self.callbacks:
                    callback.on_batch_begin(self.owner, state.step)
                loss, hits = self._update(self._rows(X, index), None if y is None else take_rows(y, index))
                loss_sum += loss * index.size
                correct += hits
                seen += index.size
                if self._ctrl_c.requested and batch < last:
                    state.partial = {"batch": batch + 1, "loss_sum": loss_sum, "correct": correct, "seen": seen,
                                     "seconds": partial.get("seconds", 0.0) + time.perf_counter() - started}
                    state.train_seconds += time.perf_counter() - started
                    self._stop_if_interrupted()
        seconds = time.perf_counter() - started + partial.get("seconds", 0.0)
        state.train_seconds += time.perf_counter() - started
        return {"epoch": state.epoch + 1, "step": state.step, "lr": task.optimizer.lr,
                "train_loss": loss_sum / max(seen, 1),
                "train_accuracy": correct / max(seen, 1) if task.classifies else math.nan, "seconds": seconds}

    def _rows(self, X: Any, index: np.ndarray) -> Any:
        """The batch ``X[index]`` on the backend (a ``transform`` runs on the host rows first)."""
        if self.transform is None:
            return take_rows(X, index)
        return B.asarray(self.transform(X[index]))

    def _update(self, xb: Any, yb: Any) -> tuple[float, int]:
        state, task = self.state, self.task
        if self.schedule is not None:
            task.optimizer.lr = float(self.schedule(state.step))
        loss, penalty, hits = task.step(xb, yb)
        if not math.isfinite(loss):
            lr = float(task.optimizer.lr)
            kept = f"; the last good checkpoint {self.checkpoint_path!r} is kept" if self.checkpoint_path else ""
            raise TrainingDiverged(f"{task.objective} became {loss} at {task.phase}epoch {state.epoch + 1}, "
                                   f"step {state.step + 1} (learning rate {lr:g}){kept}",
                                   epoch=state.epoch + 1, step=state.step + 1, lr=lr, loss=loss)
        state.step += 1
        for callback in self.callbacks:
            callback.on_batch_end(self.owner, state.step, loss + penalty)
        return loss, hits

    def _stop_if_interrupted(self) -> None:
        if not self._ctrl_c.requested:
            return
        if self.save is not None:
            self.save()
        state = self.state
        where = f"{self.task.phase}epoch {state.epoch + 1 if state.partial else state.epoch}, after update {state.step}"
        raise TrainingInterrupted(f"interrupted in {where}; " + (f"checkpoint saved to {self.checkpoint_path!r}"
                                                                 if self.save is not None
                                                                 else "no checkpoint path was given"),
                                  self.checkpoint_path if self.save is not None else None)
