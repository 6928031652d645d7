"""Pre-training's mini-batches run through the training loop (:class:`mlplab.train.Loop`), so they get
the same batch plan, divergence message, checkpoints and Ctrl-C as supervised training.

The task differs: an unsupervised ``model`` (a :class:`LayerAutoencoder`, an :class:`RBM`, a whole
deep autoencoder) whose ``step_loss(batch)`` returns the objective and fills ``model.grads``, and one
optimizer step on ``model.params``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from mlplab.optim import Optimizer
from mlplab.train import BatchPlan, Callback, Loop, LoopState


class ObjectiveUpdate:
    """One pre-training update: ``model.step_loss(x)`` (forward, objective, backward), then
    ``optimizer.step(model.params, model.grads)`` unless the objective is not finite."""

    classifies = False

    objective = "the objective"

    def __init__(self, model: Any, optimizer: Optimizer, phase: str = "") -> None:
        self.model, self.optimizer, self.phase = model, optimizer, phase

    def step(self, xb: Any, yb: Any) -> tuple[float, float, int]:
        loss = float(self.model.step_loss(xb))
        if math.isfinite(loss):
            self.optimizer.step(self.model.params, self.model.grads)
        return loss, 0.0, 0


class _EpochReport(Callback):
    """Calls ``on_epoch(epoch, mean objective)`` after each epoch."""

    def __init__(self, on_epoch: Callable[[int, float], None]) -> None:
        self.on_epoch = on_epoch

    def on_epoch_end(self, trainer: Any, epoch: int, metrics: dict[str, float]) -> None:
        self.on_epoch(epoch, metrics["train_loss"])


def fit_unsupervised(model: Any, X: Any, epochs: int, optimizer: Optimizer, batch_size: int, seed: int,
                     on_epoch: Callable[[int, float], None] | None = None, *, state: LoopState | None = None,
                     save: Callable[[], None] | None = None, checkpoint_path: str | None = None,
                     phase: str = "") -> list[float]:
    """Mini-batch descent on ``model.step_loss(batch)`` for ``epochs`` epochs (seeded order per epoch);
    returns the mean objective of every epoch.  A ``state`` from a checkpoint continues where it
    stopped; ``save()`` writes a checkpoint to ``checkpoint_path`` after every epoch and on Ctrl-C;
    ``phase`` (``"pre-training block 2, "``) says where in messages."""
    state = LoopState(seed) if state is None else state
    # a last batch of one example is skipped, as pre-training always has (batch norm in a block needs two)
    plan = BatchPlan(X.shape[0], batch_size, drop_single=True)
    loop = Loop(ObjectiveUpdate(model, optimizer, phase), plan, state, epochs=epochs, owner=model,
                callbacks=[] if on_epoch is None else [_EpochReport(on_epoch)], checkpoint_path=checkpoint_path,
                save=save)
    loop.run(X, None, resumed=state.step > 0)
    return [metrics["train_loss"] for metrics in state.history]
