"""The mini-batch loop of DD2424 lecture 4: sample a batch, forward, loss, backward, update.

Epoch ``e`` visits the training set in the order ``default_rng([seed, e]).permutation(n)``,
so a run resumed from a checkpoint sees exactly the batches an uninterrupted run would.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from mlplab import backend as B
from mlplab.interrupt import DeferredInterrupt
from mlplab.losses import LOSSES, layer_weight_penalty, weight_penalty
from mlplab.atomic import write_npz_atomic
from mlplab.network import Sequential, assign_model_arrays, model_arrays, read_npz
from mlplab.optim import Optimizer, Schedule
from mlplab.validation import check_choice, check_float_array, check_labels, check_number, check_positive_int

Split = tuple[np.ndarray, np.ndarray]
METRIC_KEYS = ("epoch", "step", "lr", "train_loss", "train_accuracy", "val_loss", "val_accuracy",
               "test_loss", "test_accuracy", "seconds")


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite; the message names where and at which learning rate."""

    def __init__(self, message: str, *, epoch: int, step: int, lr: float, loss: float) -> None:
        super().__init__(message)
        self.epoch, self.step, self.lr, self.loss = epoch, step, lr, loss


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C (SIGINT) arrived: the trainer finished the update under way, saved a checkpoint when it
    has a path for one, and stopped.  A ``KeyboardInterrupt``, so code that knows only that still stops."""

    def __init__(self, message: str, checkpoint: str | None) -> None:
        super().__init__(message)
        self.checkpoint = checkpoint


class Callback:
    """Hooks the trainer calls; override the ones you need (diagnostics, progress bars, ...)."""

    def on_train_begin(self, trainer: "Trainer") -> None: ...

    def on_batch_begin(self, trainer: "Trainer", step: int) -> None:
        """Before update ``step`` (0-based: the number of updates done so far)."""

    def on_batch_end(self, trainer: "Trainer", step: int, loss: float) -> None:
        """After it; ``step`` is now the number of updates done, ``loss`` the batch's objective."""

    def on_epoch_end(self, trainer: "Trainer", epoch: int, metrics: dict[str, float]) -> None: ...

    def on_train_end(self, trainer: "Trainer") -> None: ...


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
    while the output layer is fine-tuned); their batch norm statistics still move.
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
        self.l2 = check_number("l2", l2, low=0.0)
        self.l1 = check_number("l1", l1, low=0.0)
        self.schedule = schedule
        self.seed = int(seed)
        self.callbacks = list(callbacks)
        self.patience = None if patience is None else check_positive_int("patience", patience)
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
        self.history: list[dict[str, float]] = []
        self.epoch = 0                 # epochs completed
        self.step = 0                  # updates done
        self.best_val_loss = math.inf
        self.bad_epochs = 0
        self.best_params: dict[str, np.ndarray] | None = None
        self.stopped_early = False
        self.train_seconds = 0.0
        self._penalty = 0.0
        self.steps_per_epoch = 0       # set by fit from the training set
        self.fold_gradients = True
        """False keeps every ``dJ/dW`` in the layers' ``grads`` (for callbacks that read them)."""
        self._layer_keys: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}
        self._partial: dict[str, float] | None = None   # an epoch stopped midway (Ctrl-C): where and its sums
        self._ctrl_c = DeferredInterrupt()        # Ctrl-C waits for the end of the update under way

    # -- data --------------------------------------------------------------------------------
    def _prepare(self, name: str, split: Split | None) -> Split | None:
        if split is None:
            return None
        X, y = split
        if self.transform is None:                   # one conversion (and finite check), never one per epoch
            X = np.ascontiguousarray(check_float_array(f"{name} X", X, dtype=self.net.dtype))
        if X.ndim != 2 or X.shape[0] == 0:
            raise ValueError(f"{name} X must be a non-empty 2-D array, got shape {X.shape}")
        # validated once here, so batches skip the check; untransformed X is checked already but for its width
        for start in range(0, X.shape[0] if self.transform is not None else 1, 10000):
            try:
                self.net.check_input(self._batch(X[start:start + 10000]))
            except ValueError as err:
                raise ValueError(f"{name} X rows from {start}: {err}") from None
        if not self.classifies:           # regression / reconstruction: float targets, one row per example
            y = check_float_array(f"{name} targets", y, dtype=self.net.dtype)
            if y.shape[0] != X.shape[0]:
                raise ValueError(f"{name} targets must have {X.shape[0]} rows to match X, got shape {y.shape}")
            return B.xp.asarray(X), B.xp.asarray(y)
        y = np.asarray(y)
        if y.ndim != 1 or y.shape[0] != X.shape[0]:
            raise ValueError(f"{name} labels must have shape ({X.shape[0]},) to match X, got shape {y.shape}")
        check_labels(f"{name} labels", y, X.shape[0], self._n_outputs())
        return B.xp.asarray(X), B.xp.asarray(y)

    @property
    def classifies(self) -> bool:
        """Whether the loss is the classification one (integer labels, accuracy); else targets are floats."""
        return self.loss_fn is LOSSES["softmax_cross_entropy"]

    def _n_outputs(self) -> int:
        last = next(layer for layer in reversed(self.net.layers) if hasattr(layer, "out_features"))
        return int(last.out_features)

    def _batch(self, X: Any) -> Any:
        return X if self.transform is None else self.transform(X)

    def evaluate(self, X: Any, y: Any) -> tuple[float, float]:
        """Mean loss and accuracy in test mode, in batches of ``eval_batch_size``."""
        return self._evaluate(*self._prepare("evaluate", (X, y)))

    def _evaluate(self, X: Any, y: Any) -> tuple[float, float]:
        return evaluate_batches(self.net, X, y, self.loss_fn, self.eval_batch_size, self.transform)

    # -- the loop ------------------------------------------------------------------------------
    def fit(self, X: Any, y: Any, *, val: Split | None = None, test: Split | None = None,
            resume_from: str | os.PathLike | None = None) -> list[dict[str, float]]:
        """Train until ``epochs`` are done (or early stopping); returns the metrics history."""
        train = self._prepare("train", (X, y))
        n, has_bn = train[0].shape[0], any("running_mean" in layer.buffers for layer in self.net.layers)
        if self.batch_size > n:
            raise ValueError(f"batch_size {self.batch_size} is larger than the {n} training examples")
        if has_bn and self.batch_size == 1:
            raise ValueError("batch_size 1 with batch norm: it needs at least 2 examples per training batch "
                             "(its variance over one example is 0)")
        # batch norm cannot train on one example: a last batch of one is skipped
        self.steps_per_epoch = -(-n // self.batch_size) - (1 if has_bn and n % self.batch_size == 1 else 0)
        val, test = self._prepare("val", val), self._prepare("test", test)
        if self.patience is not None and val is None:
            raise ValueError("patience (early stopping) needs a validation split: pass val=(X_val, y_val)")
        if resume_from is not None:
            self.load_checkpoint(resume_from)
        with self._ctrl_c:
            if resume_from is None and self.checkpoint_path and self.step == 0:
                self.save_checkpoint(self.checkpoint_path)      # a run killed in its first epoch can resume too
            for callback in self.callbacks:
                callback.on_train_begin(self)
            self._stop_if_interrupted()
            while self.epoch < self.epochs and not self.stopped_early:
                metrics = self._run_epoch(*train)
                for name, split in (("val", val), ("test", test)):
                    if split is not None:
                        metrics[f"{name}_loss"], metrics[f"{name}_accuracy"] = self._evaluate(*split)
                self.epoch += 1
                self.history.append(metrics)
                self._early_stopping(metrics)
                if self.checkpoint_path:
                    self.save_checkpoint(self.checkpoint_path)
                for callback in self.callbacks:
                    callback.on_epoch_end(self, self.epoch, metrics)
                self._stop_if_interrupted()
        if self.best_params is not None:
            for key, value in self.best_params.items():
                self.net.params.get(key, self.net.buffers.get(key))[...] = value
        for callback in self.callbacks:
            callback.on_train_end(self)
        return self.history

    def _stop_if_interrupted(self) -> None:
        if not self._ctrl_c.requested:
            return
        saved = None
        if self.checkpoint_path:
            self.save_checkpoint(self.checkpoint_path)
            saved = self.checkpoint_path
        where = f"epoch {self.epoch + 1 if self._partial else self.epoch}, after update {self.step}"
        raise TrainingInterrupted(f"interrupted in {where}; "
                                  + (f"checkpoint saved to {saved!r}" if saved else "no checkpoint path was given"),
                                  saved)

    def _run_epoch(self, X: Any, y: Any) -> dict[str, float]:
        n = X.shape[0]
        order = np.random.default_rng([self.seed, self.epoch]).permutation(n)
        started = time.perf_counter()
        partial, self._partial = self._partial or {}, None       # resuming an epoch stopped midway
        loss_sum, correct, seen = partial.get("loss_sum", 0.0), int(partial.get("correct", 0)), \
            int(partial.get("seen", 0))
        first = int(partial.get("batch", 0))
        with np.errstate(over="ignore", invalid="ignore"):   # divergence is reported below, not warned about
            for batch in range(first, self.steps_per_epoch):
                index = order[batch * self.batch_size:(batch + 1) * self.batch_size]
                for callback in self.callbacks:
                    callback.on_batch_begin(self, self.step)
                loss, hits = self._step(self._batch(X[index]), y[index])
                loss_sum += loss * index.size
                correct += hits
                seen += index.size
                if self._ctrl_c.requested and batch + 1 < self.steps_per_epoch:
                    self._partial = {"batch": batch + 1, "loss_sum": loss_sum, "correct": correct, "seen": seen,
                                     "seconds": partial.get("seconds", 0.0) + time.perf_counter() - started}
                    self.train_seconds += time.perf_counter() - started
                    self._stop_if_interrupted()
        seconds = time.perf_counter() - started + partial.get("seconds", 0.0)
        self.train_seconds += time.perf_counter() - started
        return {"epoch": self.epoch + 1, "step": self.step, "lr": self.optimizer.lr,
                "train_loss": loss_sum / max(seen, 1),
                "train_accuracy": correct / max(seen, 1) if self.classifies else math.nan, "seconds": seconds}

    def _step(self, xb: Any, yb: Any) -> tuple[float, int]:
        """One update: forward, loss, backward, penalty, optimizer step. Returns (loss, correct)."""
        net, opt = self.net, self.optimizer
        if self.schedule is not None:
            opt.lr = float(self.schedule(self.step))
        out = net.forward(xb, train=True, check=False)
        finite = bool(B.xp.isfinite(out).all())          # the loss would refuse NaN outputs
        loss, dout = self.loss_fn(out, yb) if finite else (math.nan, None)
        if not math.isfinite(loss):
            kept = f"; the last good checkpoint {self.checkpoint_path!r} is kept" if self.checkpoint_path else ""
            raise TrainingDiverged(f"loss became {loss} at epoch {self.epoch + 1}, step {self.step + 1} "
                                   f"(learning rate {opt.lr:g}){kept}", epoch=self.epoch + 1, step=self.step + 1,
                                   lr=float(opt.lr), loss=loss)
        if opt.max_grad_norm is None:      # update each layer as soon as its gradients exist
            opt.begin_step()
            self._penalty = 0.0
            bound = self._bind_gradient_sinks()
            try:
                net.backward(dout, input_grad=False, after_layer=self._update_layer)
            finally:
                for layer in bound:
                    layer.grad_sinks.clear()
            penalty = self._penalty
        else:                               # a global norm needs every gradient first
            net.backward(dout, input_grad=False)
            penalty = weight_penalty(net, self.l2, self.l1)
            if self.frozen:
                trained = {k for k in net.params if int(k.split(".", 1)[0]) not in self.frozen}
                opt.step({k: v for k, v in net.params.items() if k in trained},
                         {k: v for k, v in net.grads.items() if k in trained})
            else:
                opt.step(net.params, net.grads)
        self.step += 1
        for callback in self.callbacks:
            callback.on_batch_end(self, self.step, loss + penalty)
        return loss, int((out.argmax(axis=1) == yb).sum()) if self.classifies else 0

    def _bind_gradient_sinks(self) -> list[Any]:
        """Let layers accumulate gradients straight into the optimizer's buffers where it can take
        them (momentum SGD's velocity: one GEMM with beta instead of a GEMM and a pass).  Not with
        an L1/L2 penalty (it adds to ``grads``) or ``fold_gradients = False``."""
        if not self.fold_gradients or self.l2 or self.l1:
            return []
        bound = []
        for index, layer in enumerate(self.net.layers):
            if index in self.frozen:
                continue
            for name in layer.sinkable:
                sink = self.optimizer.gradient_sink(f"{index}.{name}", layer.params[name])
                if sink is not None:
                    layer.grad_sinks[name] = sink
                    bound.append(layer)
        return bound

    def _update_layer(self, index: int, layer: Any) -> None:
        if not layer.params or index in self.frozen:
            return
        if self.l2 or self.l1:
            self._penalty += layer_weight_penalty(layer, self.l2, self.l1)
        keyed = self._layer_keys.get(index)
        if keyed is None:              # the "i.name"-keyed views of the layer, built once
            prefix = f"{index}."
            keyed = self._layer_keys[index] = ({prefix + k: v for k, v in layer.params.items()},
                                               {prefix + k: v for k, v in layer.grads.items()})
        self.optimizer.update(*keyed)

    def _early_stopping(self, metrics: dict[str, float]) -> None:
        if self.patience is None:
            return
        if metrics["val_loss"] < self.best_val_loss:
            self.best_val_loss = metrics["val_loss"]
            self.bad_epochs = 0
            self.best_params = {k: B.to_numpy(v).copy() for k, v in {**self.net.params, **self.net.buffers}.items()}
        else:
            self.bad_epochs += 1
            self.stopped_early = self.bad_epochs >= self.patience

    # -- checkpoints ---------------------------------------------------------------------------
    def _rng_layers(self) -> list[tuple[int, Any]]:
        return [(i, layer.rng) for i, layer in enumerate(self.net.layers) if hasattr(layer, "rng")]

    def save_checkpoint(self, path: str | os.PathLike) -> None:
        """Model, optimizer state, dropout generators and loop state, written atomically."""
        state = {"epoch": self.epoch, "step": self.step, "seed": self.seed, "history": self.history,
                 "best_val_loss": self.best_val_loss if math.isfinite(self.best_val_loss) else None,
                 "bad_epochs": self.bad_epochs, "stopped_early": self.stopped_early,
                 "train_seconds": self.train_seconds, "optimizer": type(self.optimizer).__name__,
                 "optimizer_steps": self.optimizer.steps, "lr": self.optimizer.lr,
                 "rng_states": {str(i): rng.bit_generator.state for i, rng in self._rng_layers()},
                 "partial_epoch": self._partial,
                 # the learning-rate plan (mlplab.lr_plan), so that a resumed run continues it
                 "schedule_plan": getattr(self.schedule, "plan", None)}
        arrays = model_arrays(self.net)
        arrays["__trainer__"] = np.array(json.dumps(state))
        arrays.update({f"optim:{k}": B.to_numpy(v) for k, v in self.optimizer.state_arrays().items()})
        if self.best_params is not None:
            arrays.update({f"best:{k}": v for k, v in self.best_params.items()})
        write_npz_atomic(path, arrays)

    def load_checkpoint(self, path: str | os.PathLike) -> None:
        """Restore everything :meth:`save_checkpoint` wrote into this trainer and its network."""
        path = os.fspath(path)
        arrays = read_npz(path, "checkpoint")
        if "__trainer__" not in arrays:
            raise ValueError(f"path {path!r} is not an mlplab checkpoint (no '__trainer__' entry)")
        header = json.loads(str(arrays["__architecture__"]))
        if header["layers"] != self.net.architecture():
            raise ValueError(f"checkpoint {path!r} holds a different architecture than the network being trained")
        state = json.loads(str(arrays["__trainer__"]))
        if state["optimizer"] != type(self.optimizer).__name__:
            raise ValueError(f"checkpoint {path!r} was trained with {state['optimizer']}, "
                             f"not {type(self.optimizer).__name__}")
        assign_model_arrays(self.net, arrays, path)
        self.optimizer.load_state_arrays({k[len("optim:"):]: v for k, v in arrays.items() if k.startswith("optim:")},
                                         state["optimizer_steps"])
        self.optimizer.lr = state["lr"]
        for i, rng in self._rng_layers():
            rng.bit_generator.state = state["rng_states"][str(i)]
        best = {k[len("best:"):]: v for k, v in arrays.items() if k.startswith("best:")}
        self.best_params = best or None
        self.epoch, self.step, self.seed = state["epoch"], state["step"], state["seed"]
        self.history = state["history"]
        self.best_val_loss = math.inf if state["best_val_loss"] is None else state["best_val_loss"]
        self.bad_epochs, self.stopped_early = state["bad_epochs"], state["stopped_early"]
        self.train_seconds = state["train_seconds"]
        self._partial = state.get("partial_epoch")


def checkpoint_state(path: str | os.PathLike) -> dict[str, Any]:
    """The loop state a checkpoint of :meth:`Trainer.save_checkpoint` holds (``epoch``, ``step``,
    ``history``, ``schedule_plan``, ...), read without building a trainer."""
    arrays = read_npz(path, "checkpoint")
    if "__trainer__" not in arrays:
        raise ValueError(f"path {os.fspath(path)!r} is not an mlplab checkpoint (no '__trainer__' entry)")
    return json.loads(str(arrays["__trainer__"]))


def evaluate_batches(net: Sequential, X: Any, y: Any, loss_fn: Callable = LOSSES["softmax_cross_entropy"],
                     batch_size: int = 2000, transform: Callable[[Any], Any] | None = None) -> tuple[float, float]:
    """Mean loss and accuracy of ``net`` in test mode over already-validated data, in batches
    (each batch passed through ``transform`` first, when given)."""
    total_loss, correct, n = 0.0, 0, X.shape[0]
    for start in range(0, n, batch_size):
        xb, yb = X[start:start + batch_size], y[start:start + batch_size]
        out = net.forward(xb if transform is None else transform(xb), train=False, check=False)
        loss, _ = loss_fn(out, yb)
        total_loss += loss * xb.shape[0]
        if yb.ndim == 1:                 # class labels (float targets have no accuracy)
            correct += int((out.argmax(axis=1) == yb).sum())
    return total_loss / n, correct / n if y.ndim == 1 else math.nan


def accuracy(net: Sequential, X: Any, y: Sequence[int] | np.ndarray, batch_size: int = 2000) -> float:
    """Fraction of rows of ``X`` whose most probable class is ``y``."""
    return float((B.to_numpy(net.predict(X, batch_size)) == np.asarray(y)).mean())
