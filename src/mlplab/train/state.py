"""The loop's own state, kept apart from the network's and the optimizer's: where it is, what it saw.

Each part has ``state_dict()`` / ``load_state_dict()`` (PyTorch's idea): a JSON-able dict (arrays, if
any, under ``"arrays"``).  A checkpoint is their union with the network's, the optimizer's, the
schedule's and the dropout generators' (:mod:`mlplab.train.checkpoint`).
"""

from __future__ import annotations

import math
from typing import Any

from mlplab import backend as B


class LoopState:
    """Epochs and updates done, the metrics history, time spent, and an epoch stopped midway
    (``partial``: the next batch and the sums so far) by Ctrl-C.  ``seed`` fixes the batch order."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = int(seed)
        self.epoch = 0                 # epochs completed
        self.step = 0                  # updates done
        self.history: list[dict[str, float]] = []
        self.train_seconds = 0.0
        self.partial: dict[str, float] | None = None

    def state_dict(self) -> dict[str, Any]:
        return {"epoch": self.epoch, "step": self.step, "seed": self.seed, "history": self.history,
                "train_seconds": self.train_seconds, "partial_epoch": self.partial}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.epoch, self.step, self.seed = int(state["epoch"]), int(state["step"]), int(state["seed"])
        self.history, self.train_seconds = state["history"], state["train_seconds"]
        self.partial = state.get("partial_epoch")


class EarlyStopping:
    """Stop after ``patience`` epochs without a better validation loss (``None``: never), keeping a
    copy of the best weights and buffers of ``net`` to restore at the end."""

    def __init__(self, net: Any, patience: int | None) -> None:
        self.net, self.patience = net, patience
        self.best_val_loss = math.inf
        self.bad_epochs = 0
        self.best_params: dict[str, Any] | None = None
        self.stopped = False

    def update(self, metrics: dict[str, float]) -> None:
        """Take an epoch's metrics into account (its ``val_loss``)."""
        if self.patience is None:
            return
        if metrics["val_loss"] < self.best_val_loss:
            self.best_val_loss = metrics["val_loss"]
            self.bad_epochs = 0
            self.best_params = {k: B.to_numpy(v).copy() for k, v in {**self.net.params, **self.net.buffers}.items()}
        else:
            self.bad_epochs += 1
            self.stopped = self.bad_epochs >= self.patience

    def restore_best(self) -> None:
        """Put the best epoch's weights and buffers back into the network, if one was kept."""
        if self.best_params is not None:
            for key, value in self.best_params.items():
                self.net.params.get(key, self.net.buffers.get(key))[...] = B.asarray(value)

    def state_dict(self) -> dict[str, Any]:
        return {"best_val_loss": self.best_val_loss if math.isfinite(self.best_val_loss) else None,
                "bad_epochs": self.bad_epochs, "stopped_early": self.stopped, "arrays": self.best_params or {}}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best_val_loss = math.inf if state["best_val_loss"] is None else state["best_val_loss"]
        self.bad_epochs, self.stopped = state["bad_epochs"], state["stopped_early"]
        self.best_params = dict(state.get("arrays") or {}) or None
