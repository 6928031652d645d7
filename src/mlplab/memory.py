"""Will the network fit?  An estimate of a training run's memory, checked before anything is allocated.

``mlplab train --hidden 100000000`` would otherwise die somewhere inside NumPy with a MemoryError
traceback (or, with the kernel's overcommit, get killed later).  The estimate counts what training
holds at once: the parameters, their gradients, the optimizer's state (momentum: one array per
parameter, Adam: two), and the activations a batch leaves cached for the backward pass, plus one
evaluation batch; it leaves out what is already loaded (the data) and small change.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from mlplab.diagnostics import parse_spec

GIB = 2 ** 30
EVAL_BATCH = 2000            # Trainer's eval_batch_size: validation and test rows per forward pass


class NetworkTooLarge(ValueError):
    """The estimated memory of a training run exceeds what the machine has available."""


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes a training run needs at its peak, by part."""

    parameters: int
    gradients: int
    optimizer_state: int
    batch_activations: int           # cached by a training batch for the backward pass
    eval_activations: int            # one evaluation batch's forward pass
    batch: int
    eval_batch: int
    batch_is: str = ""               # what sets the batch when it is not batch_size ("the diagnostics probe")

    @property
    def total(self) -> int:
        return (self.parameters + self.gradients + self.optimizer_state + self.batch_activations
                + self.eval_activations)

    def describe(self) -> str:
        what = f" ({self.batch_is})" if self.batch_is else ""
        evaluation = f" and of an evaluation batch of {self.eval_batch:,}" if self.eval_batch else ""
        return (f"about {self.total / GIB:,.1f} GiB (parameters, gradients, optimizer state, activations of a batch "
                f"of {self.batch:,}{what}{evaluation})")


def _norm(norm: str | None, batchnorm: bool) -> str:
    return "batch" if batchnorm and norm in (None, "none") else (norm or "none")


def parameter_count(n_in: int, hidden: Sequence[int], n_out: int, *, maxout_pieces: int | None = None,
                    batchnorm: bool = False, norm: str | None = None) -> int:
    """The number of trainable values of :func:`mlplab.mlp` ``(n_in, hidden, n_out, norm=norm)``: every
    affine map's weights and biases (``pieces`` of them per maxout unit), batch or layer norm's gamma and
    beta, weight norm's ``g`` (one per unit; its ``v`` stands in for ``W``).  ``batchnorm=True``: norm "batch"."""
    norm = _norm(norm, batchnorm)
    per_unit = {"batch": 2, "layer": 2, "weight": 1}.get(norm, 0)
    count, width = 0, int(n_in)
    for size in hidden:
        count += (width * size + size) * (maxout_pieces or 1) + per_unit * int(size)
        width = int(size)
    return count + width * int(n_out) + int(n_out)


def estimate(n_in: int, hidden: Sequence[int], n_out: int, *, batch_size: int, optimizer_slots: int = 1,
             dtype: Any = "float32", maxout_pieces: int | None = None, batchnorm: bool = False,
             dropout: bool = False, eval_batch: int = EVAL_BATCH, batch_is: str = "",
             norm: str | None = None) -> MemoryEstimate:
    """What training :func:`mlplab.mlp` ``(n_in, hidden, n_out)`` holds at once, in bytes of ``dtype``.

    ``optimizer_slots``: arrays of state per parameter (plain SGD 0; momentum and AdaGrad 1; RMSProp 1,
    2 with momentum; Adam, AdamW and NAdam 2, 3 with AMSGrad).  A hidden block of width ``w`` caches, per example, its affine output and its activation
    (batch or layer norm two more, dropout its output, maxout its ``pieces`` pre-activations); the
    backward pass adds two arrays the size of the widest layer; an evaluation batch (no caches) needs
    the input and two arrays of the widest layer per row.  Weight norm also holds each hidden layer's
    ``W = g v / ||v||`` and its ``dJ/dW`` (counted with the gradients)."""
    item = np.dtype(dtype).itemsize
    norm = _norm(norm, batchnorm)
    params = parameter_count(n_in, hidden, n_out, maxout_pieces=maxout_pieces, norm=norm)
    widest = max([int(n_in), int(n_out), *map(int, hidden)])
    widths = [int(n_in), *map(int, hidden)]
    derived = 2 * sum(a * b for a, b in zip(widths, widths[1:])) if norm == "weight" else 0
    per_block = 2 + (2 if norm in ("batch", "layer") else 0) + (1 if dropout else 0) + (
        (maxout_pieces - 1) if maxout_pieces else 0)
    per_example = int(n_in) + 2 * int(n_out) + per_block * sum(int(h) for h in hidden) + 2 * widest
    per_eval_row = int(n_in) + 2 * widest
    return MemoryEstimate(parameters=params * item, gradients=(params + derived) * item,
                          optimizer_state=params * item * int(optimizer_slots),
                          batch_activations=batch_size * per_example * item,
                          eval_activations=eval_batch * per_eval_row * item, batch=int(batch_size),
                          eval_batch=int(eval_batch), batch_is=batch_is)


def optimizer_slots(config: dict[str, Any]) -> int:
    """Arrays of state per parameter that the config's optimizer keeps (see :mod:`mlplab.optim`)."""
    name = config["optimizer"]
    if name in ("adam", "adamw"):
        return 3 if config["amsgrad"] else 2          # m, v (and AMSGrad's running maximum of v)
    if name == "nadam":
        return 2
    if name == "rmsprop":
        return 1 + (1 if config["momentum"] else 0)
    if name == "adagrad":
        return 1
    return 1 if config["momentum"] else 0


def config_estimate(config: dict[str, Any], n_in: int, n_out: int, n_eval: int) -> MemoryEstimate:
    """The estimate for a run config (``mlplab train``): its network, optimizer and batch size; the
    diagnostics probe (a train-mode batch of its own) counts when it is larger than the batch."""
    diagnostics = parse_spec(config["diagnostics"])
    probe = diagnostics[1] if diagnostics else 0
    batch = max(config["batch_size"], probe)
    return estimate(n_in, config["hidden"], n_out, batch_size=batch, optimizer_slots=optimizer_slots(config),
                    dtype=config["dtype"], maxout_pieces=config["maxout_pieces"] if config["activation"] == "maxout"
                    else None, norm=config["norm"], dropout=config["dropout"] > 0,
                    eval_batch=min(EVAL_BATCH, n_eval),
                    batch_is="the diagnostics probe" if probe > config["batch_size"] else "")


def available_bytes() -> int | None:
    """Memory this process may still take: the kernel's MemAvailable (or free pages from
    ``os.sysconf``), capped by the cgroup's limit in a container; None when nothing tells."""
    found: list[int] = []
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                found.append(int(line.split()[1]) * 1024)
    except (OSError, ValueError, IndexError):
        pass
    if not found:
        try:
            found.append(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (ValueError, OSError, AttributeError):
            pass
    for limit_file, usage_file in (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
                                   ("/sys/fs/cgroup/memory/memory.limit_in_bytes",
                                    "/sys/fs/cgroup/memory/memory.usage_in_bytes")):
        try:
            limit, usage = Path(limit_file).read_text().strip(), Path(usage_file).read_text().strip()
            if limit != "max" and int(limit) < 2 ** 60:        # "max" or v1's near-2**63: no limit
                found.append(max(int(limit) - int(usage), 0))
        except (OSError, ValueError):
            pass
    return min(found) if found else None


def check_fits(needed: MemoryEstimate, what: str) -> None:
    """Refuse (:class:`NetworkTooLarge`, a ValueError) when ``needed`` exceeds the available memory;
    ``what`` names the argument to change (``"hidden 100000000"``).  Where the available memory
    cannot be read, nothing is refused."""
    available = available_bytes()
    if available is not None and needed.total > available:
        # a smaller batch is advice only where the training batch, not the network, is what does not fit
        batch_heavy = needed.batch_activations > needed.total / 2
        smaller = " or a smaller " + (needed.batch_is.removeprefix("the ") if needed.batch_is else "batch")
        raise NetworkTooLarge(f"{what}: the network needs {needed.describe()}; this machine has "
                              f"{available / GIB:,.1f} GiB available; use fewer or smaller hidden layers"
                              + (smaller if batch_heavy else ""))
