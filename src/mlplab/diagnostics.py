"""Per-layer statistics of activations and gradients, recorded while a network trains.

What the lecture notes plot (DD2424 lecture 4: histograms of each layer's activations and of its
gradients, y-axis logarithmic; CS7015 lecture 9: saturated sigmoids, dead ReLUs; Ioffe &
Szegedy 2015, Figure 1: the {15, 50, 85}th percentiles of a unit's input over training),
measured on a fixed *probe batch*:

- forward with batch norm on the probe's own batch statistics, as training sees them (its
  running statistics are put back afterwards) and dropout off, so a record is deterministic
  and recording never changes the training that follows;
- backward from the mean loss on the probe, giving ``dJ/dW`` of every weight layer and
  ``dJ/dh`` of every activation layer's output.

For every activation layer (``Sigmoid``, ``Tanh``, ``ReLU``, ``LeakyReLU``, ``PReLU``, ``ELU``,
``Maxout``) the record holds, for its input ``pre`` (the pre-activation) and its output ``act``:
mean, std, the 15/50/85th percentiles, the fraction of exact zeros and a histogram; for ``act``
also the fraction saturated (sigmoid < 0.01 or > 0.99; |tanh| > 0.99; NaN for the others)
and the fraction of dead units (output exactly 0 for every probe example).  For its output
gradient ``act_grad`` and for every weight layer's ``dW``: L2 norm, std, a histogram of the
non-zero values; for ``dW`` also the update-to-weight ratio ``||W_after - W_before|| /
||W_before||`` of one real optimizer step (the first step for the record before training,
the epoch's last step for the others).

Histograms have ``BINS`` equal bins over a range shared by all layers of one record (the
seeds' figures: vanishing and exploding show as narrowing and widening panels); sigmoid and
tanh outputs use their fixed ranges [0, 1] and [-1, 1].  Stored in a run directory as
``diagnostics.npz`` (arrays named ``"<quantity>/<statistic>"``, first axis = record) plus
``diagnostics.json`` (the index: records, layers, and what each array holds); read both
back with :func:`read_diagnostics`.  Maxout has no single pre-activation: its ``pre`` rows are NaN.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from mlplab import backend as B
from mlplab.atomic import write_npz_atomic, write_text_atomic
from mlplab.layers import ELU, SELU, LeakyReLU, Maxout, PReLU, ReLU, Sigmoid, Tanh
from mlplab.losses import LOSSES
from mlplab.naming import block_names
from mlplab.network import Sequential, read_npz
from mlplab.train import Callback
from mlplab.validation import check_positive_int

FORMAT = "mlplab-diagnostics/1"
BINS = 50
PERCENTILES = (15, 50, 85)
ACTIVATIONS = (Sigmoid, Tanh, ReLU, LeakyReLU, PReLU, ELU, SELU, Maxout)


def has_weight(layer: Any) -> bool:
    """Whether ``layer`` has a weight matrix the diagnostics follow (``Layer.weight``; a ``WeightNormDense``'s is
    ``g v / ||v||``: its gradient and its update are those of the ``W`` the affine map uses, so the
    numbers compare with a plain ``Dense`` layer's)."""
    return layer.weight_grad() is not None         # weight() would compute weight norm's W to throw it away

FIXED_RANGES = {Sigmoid: (0.0, 1.0), Tanh: (-1.0, 1.0)}

VALUE_STATS = ("mean", "std", "p15", "p50", "p85", "zero_fraction")
GRAD_STATS = ("norm", "std")
DESCRIPTIONS = {
    "mean": "mean over the probe batch and the layer's units",
    "std": "standard deviation over the probe batch and the layer's units",
    "p15": "15th percentile", "p50": "median", "p85": "85th percentile",
    "zero_fraction": "fraction of entries exactly 0",
    "saturated": "fraction saturated: sigmoid < 0.01 or > 0.99, |tanh| > 0.99 (NaN for other activations)",
    "dead": "fraction of units that are 0 for every probe example",
    "norm": "L2 (Frobenius) norm",
    "update_ratio": "||W_after - W_before|| / ||W_before|| over one optimizer step",
    "hist": f"counts in {BINS} equal bins (non-zero values only for gradients)",
    "edges": f"the {BINS + 1} bin edges of each record, shared by its layers",
}
QUANTITIES = {"pre": "input of each activation layer (the pre-activation)", "act": "output of each activation layer",
              "act_grad": "dJ/d(output) of each activation layer", "dW": "dJ/dW of each weight layer"}


def parse_spec(spec: str) -> tuple[int, int] | None:
    """``"every=N[,probe=M]"`` -> ``(N, M)`` (M defaults to 1000); ``"off"`` -> None."""
    text = str(spec).strip().lower()
    if text in ("off", "none", "no", "0", ""):
        return None
    fields = {"every": 1, "probe": 1000}
    for part in text.split(","):
        name, sep, value = part.strip().partition("=")
        if not sep or name not in fields or not value.strip().isdigit() or int(value) < 1:
            raise ValueError(f"diagnostics must look like 'every=N' or 'every=N,probe=M' with positive integers, "
                             f"or 'off'; got {spec!r}")
        fields[name] = int(value)
    return fields["every"], fields["probe"]


@dataclass
class Probe:
    """What one forward and backward pass over the probe batch saw, layer by layer."""

    loss: float
    inputs: list[Any]            # inputs[i]: the input of layer i
    outputs: list[Any]           # outputs[i]: its output
    output_grads: list[Any]      # output_grads[i]: dJ/d outputs[i]
    weight_grads: dict[int, Any]  # layer index -> a copy of its dJ/dW


def probe(net: Sequential, x: Any, y: Any, loss: str | Callable = "softmax_cross_entropy") -> Probe:
    """Forward and backward over ``(x, y)``: batch norm on batch statistics, dropout off, no state changed."""
    loss_fn = loss if callable(loss) else LOSSES[loss]
    saved = {name: B.to_numpy(buffer).copy() for name, buffer in net.buffers.items()}
    inputs, outputs = [], []
    h = net.check_input(x)
    try:
        for layer in net.layers:
            inputs.append(h)
            h = layer.forward(h, train=not layer.stochastic)     # dropout off; batch norm on batch statistics
            outputs.append(h)
    finally:
        for name, value in saved.items():       # the running statistics are not the probe's business
            net.buffers[name][...] = B.asarray(value)
    value, dy = loss_fn(h, y)
    output_grads: list[Any] = [None] * len(net.layers)
    weight_grads = {}
    for i in range(len(net.layers) - 1, -1, -1):
        layer = net.layers[i]
        output_grads[i] = dy
        dy = layer.backward(dy)
        if has_weight(layer):
            weight_grads[i] = B.to_numpy(layer.weight_grad()).copy()
    return Probe(float(value), inputs, outputs, output_grads, weight_grads)


def value_statistics(values: Any, edges: np.ndarray) -> dict[str, Any]:
    """Mean, std, percentiles, zero fraction and histogram of all entries of ``values``."""
    v = np.asarray(B.to_numpy(values)).ravel()
    p15, p50, p85 = np.percentile(v, PERCENTILES)
    return {"mean": float(v.mean(dtype=np.float64)), "std": float(v.std(dtype=np.float64)), "p15": float(p15),
            "p50": float(p50), "p85": float(p85), "zero_fraction": float(np.count_nonzero(v == 0) / v.size),
            "hist": histogram(v, edges)}


def gradient_statistics(values: Any, edges: np.ndarray) -> dict[str, Any]:
    """L2 norm, std and the histogram of the non-zero entries of a gradient."""
    v = np.asarray(B.to_numpy(values)).ravel()
    return {"norm": float(np.sqrt(np.dot(v.astype(np.float64), v))), "std": float(v.std(dtype=np.float64)),
            "hist": histogram(v[v != 0], edges)}


def activation_statistics(layer: Any, out: Any) -> dict[str, float]:
    """Saturated and dead fractions of an activation layer's output ``out`` (shape (n, units))."""
    out = np.asarray(B.to_numpy(out))
    if isinstance(layer, Sigmoid):
        saturated = float(np.count_nonzero((out < 0.01) | (out > 0.99)) / out.size)
    elif isinstance(layer, Tanh):
        saturated = float(np.count_nonzero(np.abs(out) > 0.99) / out.size)
    else:
        saturated = math.nan
    dead = float(np.count_nonzero(~out.any(axis=0)) / out.shape[1])
    return {"saturated": saturated, "dead": dead}


def histogram(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts in the bins ``edges`` (values outside go to the end bins, so nothing is lost)."""
    lo, hi = float(edges[0]), float(edges[-1])
    if values.size == 0:
        return np.zeros(edges.size - 1, dtype=np.int64)
    index = ((values - lo) * ((edges.size - 1) / (hi - lo))).astype(np.int64)
    np.clip(index, 0, edges.size - 2, out=index)
    return np.bincount(index, minlength=edges.size - 1)


def shared_edges(arrays: list[Any], fixed: tuple[float, float] | None = None, symmetric: bool = False) -> np.ndarray:
    """``BINS + 1`` edges spanning every array (or the ``fixed`` range)."""
    if fixed is not None:
        lo, hi = fixed
    else:
        finite = [host for host in (np.asarray(B.to_numpy(a)) for a in arrays if a is not None) if host.size]
        lo = min((float(a.min()) for a in finite), default=-1.0)
        hi = max((float(a.max()) for a in finite), default=1.0)
        if symmetric:
            lo, hi = -max(abs(lo), abs(hi)), max(abs(lo), abs(hi))
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError(f"cannot histogram values that are not finite (range {lo}..{hi}): the network diverged")
    if hi <= lo:                       # every value equal (all-zero gradients, say)
        lo, hi = lo - 0.5, lo + 0.5
    return np.linspace(lo, hi, BINS + 1)


@dataclass
class Diagnostics:
    """Recorded statistics: ``index`` (records, layers, meanings) and ``arrays`` (name -> array)."""

    index: dict[str, Any]
    arrays: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def epochs(self) -> list[int]:
        return [record["epoch"] for record in self.index["records"]]

    def record_at(self, epoch: int | None = None) -> int:
        """The position of the record of ``epoch`` (None: the last one)."""
        if not self.index["records"]:
            raise ValueError("no diagnostics were recorded")
        if epoch is None:
            return len(self.index["records"]) - 1
        if epoch not in self.epochs:
            raise ValueError(f"epoch {epoch} was not recorded; recorded epochs: {self.epochs}")
        return self.epochs.index(epoch)

    def table(self, epoch: int | None = None) -> list[dict[str, Any]]:
        """One row per layer of the record at ``epoch``: activation layers, then weight layers."""
        r = self.record_at(epoch)
        rows = []
        for j, layer in enumerate(self.index["activation_layers"]):
            row: dict[str, Any] = {"layer": layer["index"], "type": layer["type"], "name": layer_name(layer)}
            for stat in ("mean", "std", "p15", "p50", "p85"):
                row[f"pre_{stat}"] = float(self.arrays[f"pre/{stat}"][r, j])
            for stat in (*VALUE_STATS, "saturated", "dead"):
                row[f"act_{stat}"] = float(self.arrays[f"act/{stat}"][r, j])
            row["grad_norm"] = float(self.arrays["act_grad/norm"][r, j])
            rows.append(row)
        for j, layer in enumerate(self.index["weight_layers"]):
            rows.append({"layer": layer["index"], "type": layer["type"], "name": layer_name(layer),
                         **{name: float(self.arrays[f"dW/{stat}"][r, j]) for name, stat in
                            (("dW_norm", "norm"), ("dW_std", "std"), ("update_ratio", "update_ratio"))}})
        return rows


def layer_name(layer: dict[str, Any]) -> str:
    """A recorded layer's student name ("hidden 2: Dense 1000→500, ReLU"); runs recorded before names
    were stored fall back to the layer's index and type."""
    return layer.get("name") or f"layer {layer['index']} ({layer['type']})"


def read_diagnostics(run_dir: str | os.PathLike) -> Diagnostics:
    """Read ``diagnostics.json`` and ``diagnostics.npz`` back from a run directory."""
    run_dir = Path(run_dir)
    index_path = run_dir / "diagnostics.json"
    if not index_path.is_file():
        raise FileNotFoundError(f"run_dir {str(run_dir)!r} holds no diagnostics.json "
                                f"(train with --diagnostics every=N to record them)")
    index = json.loads(index_path.read_text())
    if index.get("format") != FORMAT:
        raise ValueError(f"{str(index_path)!r} is not in format {FORMAT!r} (got {index.get('format')!r})")
    return Diagnostics(index, read_npz(run_dir / "diagnostics.npz", "diagnostics file"))


class DiagnosticsRecorder(Callback):
    """Records the statistics above before training and after every ``every``-th epoch.

    ``x_probe``/``y_probe`` is the fixed probe batch, already preprocessed.  With ``run_dir``
    the records are written there (atomically) after each one, and a resumed run continues them.
    """

    def __init__(self, x_probe: Any, y_probe: Any, every: int = 1, run_dir: str | os.PathLike | None = None,
                 loss: str | Callable = "softmax_cross_entropy") -> None:
        self.x_probe, self.y_probe = x_probe, y_probe
        self.every = check_positive_int("every", every)
        self.run_dir = None if run_dir is None else Path(run_dir)
        self.loss = loss
        self.records: list[dict[str, Any]] = []       # {"epoch", "step", "<quantity>/<stat>": array, ...}
        self._before: dict[int, Any] | None = None     # weights before the step being measured
        self._ratio: tuple[int, np.ndarray] | None = None   # (step count after it, ratios)
        # the network's layers by kind (indices), types and block names: read at the first record
        self.activation_layers: list[int] = []
        self.weight_layers: list[int] = []
        self.layer_types: list[str] = []
        self.layer_names: list[str] = []

    # -- the trainer's hooks -------------------------------------------------------------------
    def on_train_begin(self, trainer: Any) -> None:
        self._layers(trainer.net)
        if self.run_dir is not None and trainer.epoch > 0 and (self.run_dir / "diagnostics.json").is_file():
            self._reload(read_diagnostics(self.run_dir), trainer.epoch)
        if not self.records:
            self.record(trainer.net, trainer.epoch, trainer.step)

    def on_batch_begin(self, trainer: Any, step: int) -> None:
        if self._measures(trainer, step):
            self._before = {i: B.xp.asarray(trainer.net.layers[i].weight(), copy=True) for i in self.weight_layers}

    def on_batch_end(self, trainer: Any, step: int, loss: float) -> None:
        if self._before is None:
            return
        ratios = np.array([float(np.linalg.norm(B.to_numpy(trainer.net.layers[i].weight() - before))
                                 / max(float(np.linalg.norm(B.to_numpy(before))), 1e-30))
                           for i, before in self._before.items()])
        self._before = None
        if step == 1 and self.records and self.records[0]["step"] == 0:
            self.records[0]["dW/update_ratio"] = ratios     # the first step belongs to the record before training
            self._write()
        else:
            self._ratio = (step, ratios)

    def on_epoch_end(self, trainer: Any, epoch: int, metrics: dict[str, float]) -> None:
        if self._records_epoch(trainer, epoch):
            self.record(trainer.net, trainer.epoch, trainer.step)

    def _records_epoch(self, trainer: Any, epoch: int) -> bool:
        return epoch % self.every == 0 or epoch == trainer.epochs

    def _measures(self, trainer: Any, step: int) -> bool:
        """Whether update ``step`` (0-based) is the one a record's update ratio comes from."""
        if step == 0 and self.records and self.records[0]["step"] == 0:
            return True
        per_epoch = trainer.steps_per_epoch
        return bool(per_epoch) and (step + 1) % per_epoch == 0 and self._records_epoch(trainer, (step + 1) // per_epoch)

    # -- recording -----------------------------------------------------------------------------
    def _layers(self, net: Sequential) -> None:
        self.activation_layers = [i for i, layer in enumerate(net.layers) if isinstance(layer, ACTIVATIONS)]
        self.weight_layers = [i for i, layer in enumerate(net.layers) if has_weight(layer)]
        self.layer_types = [type(layer).__name__ for layer in net.layers]
        self.layer_names = block_names(net.layers)

    def record(self, net: Sequential, epoch: int = 0, step: int = 0) -> dict[str, Any]:
        """Probe ``net`` now and append a record for ``epoch`` (also usable without a trainer)."""
        if not self.layer_types:                        # recording without a trainer: read them now
            self._layers(net)
        seen = probe(net, self.x_probe, self.y_probe, self.loss)
        record = collect(net, seen, self.activation_layers, self.weight_layers)
        record.update(epoch=int(epoch), step=int(step), probe_loss=seen.loss)
        measured = self._ratio is not None and self._ratio[0] == step
        record["dW/update_ratio"] = self._ratio[1] if measured else np.full(len(self.weight_layers), np.nan)
        self._ratio = None
        self.records.append(record)
        self._write()
        return record

    def diagnostics(self) -> Diagnostics:
        """The records so far, in the form :func:`read_diagnostics` returns."""
        arrays: dict[str, np.ndarray] = {}
        for name in self.records[0] if self.records else ():
            if "/" in name:
                arrays[name] = np.stack([np.asarray(record[name]) for record in self.records])
        layers = lambda indices: [{"index": i, "type": self.layer_types[i],  # noqa: E731
                                   "name": self.layer_names[i]} for i in indices]
        index = {"format": FORMAT, "bins": BINS, "percentiles": list(PERCENTILES), "every": self.every,
                 "probe_size": int(self.x_probe.shape[0]),
                 "records": [{"epoch": r["epoch"], "step": r["step"], "probe_loss": r["probe_loss"]}
                             for r in self.records],
                 "activation_layers": layers(self.activation_layers), "weight_layers": layers(self.weight_layers),
                 "quantities": QUANTITIES, "statistics": DESCRIPTIONS,
                 "arrays": {name: list(array.shape) for name, array in arrays.items()}}
        return Diagnostics(index, arrays)

    def _write(self) -> None:
        if self.run_dir is None:
            return
        found = self.diagnostics()
        write_npz_atomic(self.run_dir / "diagnostics.npz", found.arrays)
        write_text_atomic(self.run_dir / "diagnostics.json", json.dumps(found.index, indent=1) + "\n")

    def _reload(self, found: Diagnostics, epoch: int) -> None:
        """Continue the records of an interrupted run (dropping any made after its checkpoint)."""
        for r, meta in enumerate(found.index["records"]):
            if meta["epoch"] <= epoch:
                self.records.append({**meta, **{name: array[r] for name, array in found.arrays.items()}})


def collect(net: Sequential, seen: Probe, activation_layers: list[int], weight_layers: list[int]) -> dict[str, Any]:
    """The statistics of one probe, as ``"<quantity>/<statistic>" -> per-layer array``."""
    layers = net.layers
    # an affine activation (Maxout) computes its pre-activations itself: its input is not one
    pre = [None if layers[i].affine else seen.inputs[i] for i in activation_layers]
    act = [seen.outputs[i] for i in activation_layers]
    act_grad = [seen.output_grads[i] for i in activation_layers]
    dW = [seen.weight_grads[i] for i in weight_layers]
    kinds = {type(layers[i]) for i in activation_layers}
    fixed = FIXED_RANGES.get(kinds.pop()) if len(kinds) == 1 else None
    edges = {"pre": shared_edges(pre), "act": shared_edges(act, fixed),
             "act_grad": shared_edges(act_grad, symmetric=True), "dW": shared_edges(dW, symmetric=True)}
    record: dict[str, Any] = {f"{name}/edges": e for name, e in edges.items()}
    nan_row = {**{stat: math.nan for stat in VALUE_STATS}, "hist": np.zeros(BINS, dtype=np.int64)}
    rows = {"pre": [nan_row if v is None else value_statistics(v, edges["pre"]) for v in pre],
            "act": [{**value_statistics(v, edges["act"]), **activation_statistics(layers[i], v)}
                    for i, v in zip(activation_layers, act)],
            "act_grad": [gradient_statistics(g, edges["act_grad"]) for g in act_grad],
            "dW": [gradient_statistics(g, edges["dW"]) for g in dW]}
    for quantity, per_layer in rows.items():
        for stat in per_layer[0] if per_layer else ():
            record[f"{quantity}/{stat}"] = np.array([row[stat] for row in per_layer])
    return record
