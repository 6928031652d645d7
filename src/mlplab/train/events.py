"""What the loop tells the outside: callbacks, and the two ways training stops before its end."""

from __future__ import annotations

from typing import Any


class TrainingDiverged(RuntimeError, FloatingPointError):
    """The loss became NaN or infinite; the message names where and at which learning rate.

    Also a ``FloatingPointError``, which pre-training raised before it ran through this loop."""

    def __init__(self, message: str, *, epoch: int, step: int, lr: float, loss: float) -> None:
        super().__init__(message)
        self.epoch, self.step, self.lr, self.loss = epoch, step, lr, loss


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C (SIGINT) arrived: the loop finished the update under way, saved a checkpoint when it
    has a path for one, and stopped.  A ``KeyboardInterrupt``, so code that knows only that still stops."""

    def __init__(self, message: str, checkpoint: str | None) -> None:
        super().__init__(message)
        self.checkpoint = checkpoint


class Callback:
    """Hooks the loop calls with its owner (the :class:`~mlplab.train.Trainer`); override the ones
    you need (diagnostics, progress bars, ...)."""

    def on_train_begin(self, trainer: Any) -> None: ...

    def on_batch_begin(self, trainer: Any, step: int) -> None:
        """Before update ``step`` (0-based: the number of updates done so far)."""

    def on_batch_end(self, trainer: Any, step: int, loss: float) -> None:
        """After it; ``step`` is now the number of updates done, ``loss`` the batch's objective."""

    def on_epoch_end(self, trainer: Any, epoch: int, metrics: dict[str, float]) -> None: ...

    def on_train_end(self, trainer: Any) -> None: ...
