"""TensorBoard event files of a run (``mlplab train --tensorboard DIR``), for users who live in TensorBoard.

Written per epoch into ``DIR`` (point ``tensorboard --logdir`` at DIR, or at its parent to see
several runs side by side):

- scalars ``loss/train``, ``loss/val``, ``accuracy/train``, ``accuracy/val`` (``loss/test`` and
  ``accuracy/test`` with ``--test-every-epoch``) and ``lr``, at step = epoch (1, 2, ...);
- with diagnostics on, for every record (step = its epoch; 0 is before training) one histogram per
  layer, named as a student counts layers: ``activations/hidden 1``, ``pre-activations/hidden 1``,
  ``activation gradients/hidden 1`` (dJ/dh) and ``weight gradients/hidden 1`` (dJ/dW, ``output``
  included).  These are the histograms mlplab itself records (:mod:`mlplab.diagnostics`: the
  fixed probe batch, bins shared by the layers of one record), so TensorBoard shows what
  ``mlplab inspect`` and the report read, not a second measurement.

The writer is tensorboardX: a maintained, pure-Python writer (numpy + protobuf) of the same event
format as ``torch.utils.tensorboard``, which would make PyTorch a requirement of an optional extra
of a NumPy library.  It is optional (``pip install 'mlplab[tensorboard]'``); without it
``--tensorboard`` is refused before anything is written.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from mlplab.naming import short_name
from mlplab.train import Callback

EXTRA = "pip install 'mlplab[tensorboard]'"

# (diagnostics quantity, TensorBoard tag prefix, layers the quantity is recorded for)
HISTOGRAMS = (("act", "activations", "activation_layers"), ("pre", "pre-activations", "activation_layers"),
              ("act_grad", "activation gradients", "activation_layers"), ("dW", "weight gradients", "weight_layers"))
SPLITS = ("train", "val", "test")


def require(logdir: str | os.PathLike) -> None:
    """Refuse ``--tensorboard DIR`` (one line naming the extra) when tensorboardX is missing, and a DIR
    that is a file; called before a run writes anything."""
    try:
        import tensorboardX  # noqa: F401  (only whether it imports)
    except ImportError:
        raise ValueError(f"tensorboard {str(logdir)!r}: writing TensorBoard event files needs tensorboardX, "
                         f"the optional extra: {EXTRA}") from None
    if not str(logdir):
        raise ValueError("tensorboard must name a folder for the event files, got ''")
    if Path(logdir).exists() and not Path(logdir).is_dir():
        raise ValueError(f"tensorboard {str(logdir)!r} exists and is not a folder")


def histogram_arguments(counts: np.ndarray, edges: np.ndarray) -> dict[str, Any] | None:
    """``SummaryWriter.add_histogram_raw``'s arguments for one recorded histogram (``counts`` in the
    bins between ``edges``); None when it is empty (a maxout layer has no pre-activation).

    Empty bins at either end are dropped, as tensorboardX does for raw values: TensorBoard draws a
    bucket from the previous limit (``min`` for the first) to its own.  The recorder keeps counts,
    not values, so ``sum`` and ``sum_squares`` are taken at the bin centres."""
    counts = np.asarray(counts, dtype=np.float64)
    edges = np.asarray(edges, dtype=np.float64)
    filled = np.flatnonzero(counts)
    if filled.size == 0 or not np.isfinite(edges).all():
        return None
    first, last = int(filled[0]), int(filled[-1]) + 1
    kept, centres = counts[first:last], (edges[first:last] + edges[first + 1:last + 1]) / 2
    return {"min": float(edges[first]), "max": float(edges[last]), "num": int(kept.sum()),
            "sum": float(kept @ centres), "sum_squares": float(kept @ centres ** 2),
            "bucket_limits": edges[first + 1:last + 1].tolist(), "bucket_counts": kept.tolist()}


class TensorBoardWriter(Callback):
    """Writes a run's scalars each epoch, and the histograms of each new diagnostics record, to ``logdir``.

    ``recorder`` is the run's :class:`~mlplab.diagnostics.DiagnosticsRecorder` (None: scalars only);
    it must come before this callback in the trainer's list, so its record of an epoch exists when
    this one writes.  A fresh run tells TensorBoard to drop events a previous run left in ``logdir``
    (``purge_step=0``); a resumed run drops those past its checkpoint and does not rewrite the rest.
    """

    def __init__(self, logdir: str | os.PathLike, recorder: Any = None) -> None:
        require(logdir)
        self.logdir = Path(logdir)
        self.recorder = recorder
        self.writer: Any = None
        self.written = 0                   # recorder records already written

    def on_train_begin(self, trainer: Any) -> None:
        from tensorboardX import SummaryWriter
        self.logdir.mkdir(parents=True, exist_ok=True)
        # tensorboardX names the file by the second it opens; two runs within one second (a quick resume)
        # would share it and the later one would truncate it, so the nanoseconds follow as a suffix
        # (TensorBoard reads the files of a folder in name order: still the order they were written).
        self.writer = SummaryWriter(str(self.logdir), purge_step=trainer.epoch + 1 if trainer.epoch else 0,
                                    filename_suffix=f".{time.time_ns()}")
        if self.recorder is not None:      # a resumed run's earlier records are in the earlier event files
            self.written = sum(record["epoch"] <= trainer.epoch for record in self.recorder.records) \
                if trainer.epoch else 0
        self._write_records()

    def on_epoch_end(self, trainer: Any, epoch: int, metrics: dict[str, float]) -> None:
        if self.writer is None:
            return
        for split in SPLITS:
            for name in ("loss", "accuracy"):
                value = metrics.get(f"{split}_{name}")
                if value is not None and np.isfinite(value):
                    self.writer.add_scalar(f"{name}/{split}", value, epoch)
        self.writer.add_scalar("lr", metrics["lr"], epoch)
        self._write_records()

    def on_train_end(self, trainer: Any) -> None:
        self.close()

    def close(self) -> None:
        """Flush and close the event file (also after a run that stopped with an error)."""
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    def _write_records(self) -> None:
        if self.recorder is not None:
            records = self.recorder.records
            if len(records) > self.written:
                index = self.recorder.diagnostics().index
                for record in records[self.written:]:
                    self._write_record(record, index)
                self.written = len(records)
        self.writer.flush()                # a TensorBoard already watching sees each epoch as it ends

    def _write_record(self, record: dict[str, Any], index: dict[str, Any]) -> None:
        for quantity, prefix, layers in HISTOGRAMS:
            hist, edges = record.get(f"{quantity}/hist"), record.get(f"{quantity}/edges")
            if hist is None or edges is None:
                continue
            for j, layer in enumerate(index[layers]):
                found = histogram_arguments(hist[j], edges)
                if found is not None:
                    self.writer.add_histogram_raw(f"{prefix}/{short_name(layer['name'])}", global_step=record["epoch"],
                                                  **found)
