"""A training run from a config: data, network, optimizer, schedule, and what it writes.

:func:`train_run` is what ``mlplab train`` does: it builds the data, network and optimizer the
config asks for (:mod:`mlplab.builders`), trains, and fills the run directory.  The folder itself (its
files, how they are written and read back: ``load_run``, ``prepare_output``, ...) is
:mod:`mlplab.rundir`; both modules' names are re-exported here, where callers have always imported them.
"""

from __future__ import annotations

import csv
import functools
import json
import shutil
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import TqdmWarning, tqdm

import mlplab
from mlplab import backend
from mlplab.config import RunConfig, dumps_toml
from mlplab.data import Dataset, Preprocessor, load_dataset, stratified_split
from mlplab.diagnostics import DiagnosticsRecorder, parse_spec
from mlplab.findings import diagnose_run
from mlplab.memory import check_fits, config_estimate
from mlplab.atomic import write_npz_atomic, write_text_atomic
from mlplab.network import Sequential, save
from mlplab.notebook import in_notebook
from mlplab.pretrain import hidden_blocks, pretrain
from mlplab.report import write_report       # matplotlib itself loads when a figure is drawn
from mlplab.runlock import RunLock
from mlplab.tensorboard import TensorBoardWriter, require   # tensorboardX itself loads when it is asked for
from mlplab.threads import CoreShare
# the run directory's names are re-exported (__all__): `from mlplab.run import load_run` keeps working
from mlplab.rundir import (CHECKPOINT, PRETRAIN_CHECKPOINT, RUN_FILES, RunDirectoryWriter, load_run, prepare_output, remove_run_files,
                           remove_stale_temporaries, write_csv)
from mlplab.builders import LSUV_BATCH, build_network, build_optimizer, describe_run, resolved_init
from mlplab.lr_plan import build_schedule, resume_schedule
from mlplab.train import BatchPlan, Callback, Trainer, TrainingDiverged, checkpoint_state


@dataclass
class PreparedData:
    X_train: np.ndarray
    y_train: np.ndarray
    val: tuple[np.ndarray, np.ndarray] | None
    test: tuple[np.ndarray, np.ndarray]
    preprocessor: Preprocessor
    dataset: Dataset


def preprocess_mode(config: RunConfig | dict[str, Any], dataset: Dataset) -> str:
    if config["preprocess"] != "auto":
        return config["preprocess"]
    return "scale" if dataset.pixel_max else "standardize"


def prepare_data(config: RunConfig | dict[str, Any]) -> PreparedData:
    """Load, split off validation (stratified, seeded), fit preprocessing on training data only."""
    dataset = load_dataset(config["data"], config["data_dir"], seed=config["seed"],
                           label_column=config.get("label_column"))
    X, y = dataset.X_train, dataset.y_train
    if config["train_limit"]:
        keep = np.random.default_rng(config["seed"]).permutation(X.shape[0])[:config["train_limit"]]
        X, y = X[np.sort(keep)], y[np.sort(keep)]
    val = None
    if config["val_fraction"] > 0:
        X, y, X_val, y_val = stratified_split(X, y, config["val_fraction"], seed=config["seed"])
        val = (X_val, y_val)
    pre = Preprocessor(preprocess_mode(config, dataset), dataset.pixel_max).fit(X)
    # The features stay raw (uint8 images: a quarter of float32's memory); the trainer
    # preprocesses each batch with `pre` on the fly.
    return PreparedData(X, y, val, (dataset.X_test, dataset.y_test), pre, dataset)


class ProgressBar(Callback):
    """A tqdm bar per epoch with the running loss, then a line per epoch.  On when stderr is a terminal
    or in a Jupyter notebook, where the bar is tqdm's notebook display (``tqdm.auto``; tqdm's text bar
    when ipywidgets is missing) and the epoch lines go to stdout, not the notebook's red stderr."""

    def __init__(self, steps_per_epoch: int, enabled: bool | None = None) -> None:
        self.steps_per_epoch = steps_per_epoch
        self.notebook = in_notebook()
        self.enabled = (sys.stderr.isatty() or self.notebook) if enabled is None else enabled
        self.bar: Any = None

    def on_batch_end(self, trainer: Trainer, step: int, loss: float) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            self.bar = self._tqdm()(total=self.steps_per_epoch, desc=f"epoch {trainer.epoch + 1}/{trainer.epochs}",
                                    leave=False, file=None if self.notebook else sys.stderr)
        self.bar.update(1)
        if step % 20 == 0:
            self.bar.set_postfix(loss=f"{loss:.4f}")

    def _tqdm(self) -> Any:
        if not self.notebook:
            return tqdm
        with warnings.catch_warnings():           # without ipywidgets tqdm.auto falls back to the text bar,
            warnings.simplefilter("ignore", TqdmWarning)      # which is fine: no warning in the notebook
            from tqdm.auto import tqdm as auto
        return auto

    def on_epoch_end(self, trainer: Trainer, epoch: int, metrics: dict[str, float]) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        if self.enabled:
            parts = [f"epoch {epoch}/{trainer.epochs}", f"loss {metrics['train_loss']:.4f}",
                     f"acc {metrics['train_accuracy']:.4f}"]
            parts += [f"{k.split('_')[0]} acc {metrics[k]:.4f}" for k in ("val_accuracy", "test_accuracy")
                      if k in metrics]
            print("  ".join(parts) + f"  ({metrics['seconds']:.1f}s)", file=sys.stdout if self.notebook else sys.stderr)


def train_run(config: RunConfig | dict[str, Any], resume: bool = False, progress: bool | None = None,
              overwrite: bool = False, threads: int | None = None) -> dict[str, Any]:
    """Train as ``config`` (a :class:`RunConfig`, or a dict of its keys) says and fill its run directory;
    returns the summary.

    Everything that can refuse the config (values, data, network, memory) runs before any file is
    written; a run that fails before its first update leaves no folder behind.  ``out`` must be
    empty or new unless ``overwrite``, and no other process may be writing it: the run holds the
    folder's lock (:mod:`mlplab.runlock`) from its first write to its last.  If the loss becomes
    NaN/inf, :class:`TrainingDiverged` is raised after ``summary.json`` and the report record where;
    the last good checkpoint stays.  ``threads`` is the BLAS thread count (None: the cores shared with
    the other mlplab runs running now, :mod:`mlplab.threads`).
    """
    with RunLock() as lock, CoreShare(threads) as share:   # the lock is taken inside, before the first write
        return _train_run(config, resume, progress, overwrite, lock, share)


def _train_run(config: RunConfig | dict[str, Any], resume: bool, progress: bool | None, overwrite: bool,
               lock: RunLock, share: CoreShare) -> dict[str, Any]:
    started = time.perf_counter()
    config = RunConfig.of(config)                   # every value checked: the error names the key and the value
    if config.command != "train":
        raise ValueError(f"this is an {config.command} config (command = {config.command!r}): mlplab "
                         f"{config.command} runs it, not mlplab train")
    if config.tensorboard is not None:        # the optional extra, checked before anything is written
        require(config.tensorboard)
    out = Path(config["out"])
    if resume and not (out / "config.toml").is_file():
        raise ValueError(f"resume: {str(out)!r} is not an mlplab run folder (no config.toml)")
    data = prepare_data(config)
    config = fit_batch(config, data.X_train.shape[0])
    check_fits(config_estimate(config, data.X_train.shape[1], data.dataset.n_classes, data.test[0].shape[0]),
               "hidden " + ",".join(map(str, config["hidden"])))
    lsuv_rows = data.preprocessor.transform(data.X_train[:LSUV_BATCH], config["dtype"]) \
        if config["init"] == "lsuv" else None
    net = build_network(config, data.X_train.shape[1], data.dataset.n_classes, lsuv_rows)
    optimizer = build_optimizer(config)
    # the schedule is sized by the plan the Trainer's loop follows (one count of updates an epoch)
    steps_per_epoch = BatchPlan.for_network(data.X_train.shape[0], config["batch_size"], net).updates_per_epoch
    schedule, resume_note = build_schedule(config, steps_per_epoch), None
    saved = checkpoint_state(out / CHECKPOINT) if resume and (out / CHECKPOINT).is_file() else None
    if saved is not None:                           # what another --epochs does to the rate: mlplab.lr_plan
        schedule, resume_note = resume_schedule(config, steps_per_epoch, saved,
                                                RunConfig.from_toml(out / "config.toml"))
    diagnostics = parse_spec(config["diagnostics"])
    description = describe_run(config, data.X_train.shape[1], data.dataset.n_classes, data.X_train.shape[0])
    if resume:
        lock.acquire(out)
    created = False if resume else prepare_output(out, overwrite, lock)
    if resume:                             # half-written temporaries of a process that was killed
        remove_stale_temporaries(out)
    trainer: Trainer | None = None
    tensorboard = None
    kept_config = (out / "config.toml").read_text() if resume and (out / "config.toml").is_file() else None
    steps_before = 0 if saved is None else saved["step"]
    try:
        (out / CHECKPOINT.parent).mkdir(parents=True, exist_ok=True)
        notes = [description] + [resume_note] * bool(resume_note)
        write_text_atomic(out / "config.toml", dumps_toml(config.to_dict(), notes + (
            [f'init = "auto" resolved to "{resolved_init(config)}" for {config["activation"]}']
            if config["init"] == "auto" else [])))
        if progress is not False:                 # the run's first line: what is being trained
            print(description, flush=True)
        if resume_note:
            print(f"mlplab: {resume_note}", file=sys.stderr, flush=True)
        write_npz_atomic(out / "preprocess.npz", data.preprocessor.to_arrays())
        transform = functools.partial(data.preprocessor.transform, dtype=net.dtype)
        callbacks: list[Callback] = [RunDirectoryWriter(out), ProgressBar(steps_per_epoch, progress), share]
        if diagnostics is not None:
            every, probe_size = diagnostics
            chosen = np.sort(np.random.default_rng([config["seed"], 1]).permutation(data.X_train.shape[0])[:probe_size])
            callbacks.insert(0, DiagnosticsRecorder(transform(data.X_train[chosen]), data.y_train[chosen], every,
                                                    run_dir=out))
        if config.tensorboard is not None:    # after the recorder: it writes the recorder's records
            tensorboard = TensorBoardWriter(config.tensorboard, callbacks[0] if diagnostics is not None else None)
            callbacks.append(tensorboard)
        frozen: list[int] = []
        pretrain_summary = None
        if config["pretrain"] != "none":
            # a run stopped during pre-training resumes it; later, the weights come from the checkpoint
            stopped_in_pretraining = resume and (out / PRETRAIN_CHECKPOINT).is_file() and not (out / CHECKPOINT).is_file()
            if not resume or stopped_in_pretraining:
                pretrain_summary = pretrain_phase(config, net, transform(data.X_train), out, progress,
                                                  resume=stopped_in_pretraining)
            if config["freeze_pretrained"]:
                frozen = [i for block in hidden_blocks(net) for i in block]
        trainer = Trainer(net, optimizer, batch_size=config["batch_size"], epochs=config["epochs"],
                          l2=config["l2"], l1=config["l1"], schedule=schedule, seed=config["seed"],
                          patience=config["patience"] or None, checkpoint_path=out / CHECKPOINT,
                          callbacks=callbacks, transform=transform, freeze=frozen)
        checkpoint = out / CHECKPOINT
        trainer.fit(data.X_train, data.y_train, val=data.val, test=data.test if config["test_every_epoch"] else None,
                    resume_from=checkpoint if resume and checkpoint.is_file() else None)
    except TrainingDiverged as err:
        record_divergence(out, err, config)
        raise
    except Exception:
        if not resume and (trainer is None or trainer.step == 0):     # nothing worth keeping: leave no trace
            remove_run_files(out)
            if created:
                shutil.rmtree(out, ignore_errors=True)
        elif resume and kept_config is not None and (trainer is None or trainer.step <= steps_before):
            # a resume refused before its first update (another optimizer, say) leaves the run as it was,
            # so that a plain --resume still works
            write_text_atomic(out / "config.toml", kept_config)
        raise
    finally:
        if tensorboard is not None:
            tensorboard.close()
    save(net, out / "model.npz")
    test_loss, test_accuracy = trainer.evaluate(*data.test)
    summary = {"test_accuracy": test_accuracy, "test_loss": test_loss, "epochs": trainer.epoch,
               "train_seconds": trainer.train_seconds, "wall_seconds": time.perf_counter() - started,
               "stopped_early": trainer.stopped_early, "steps": trainer.step, "data": data.dataset.name,
               "n_train": int(data.X_train.shape[0]), "n_test": int(data.test[0].shape[0]),
               "mlplab_version": mlplab.__version__, "network": description, "init": resolved_init(config),
               "backend": backend.current().describe()}
    if data.val is not None and trainer.history:
        summary["val_accuracy"] = trainer.history[-1].get("val_accuracy")
    if pretrain_summary is not None:
        summary["pretrain"] = pretrain_summary
    analyse_run(out, summary, config)
    return summary


def analyse_run(out: Path, summary: dict[str, Any], config: RunConfig) -> None:
    """The findings, ``summary.json`` and the report, read from the run's files just written: on the
    host (NumPy), whatever backend trained, since the files are plain arrays and the analysis is small."""
    with backend.use("numpy"):
        summary["findings"] = [f.record() for f in diagnose_run(out, summary)]
        write_text_atomic(out / "summary.json", json.dumps(summary, indent=2) + "\n")
        if config["report"]:
            write_report(out)


def fit_batch(config: RunConfig | dict[str, Any], n_train: int) -> RunConfig:
    """The config with a batch the training set can fill: a set smaller than the batch trains on
    batches of the whole set, after a one-line notice (as scikit-learn's MLPClassifier does); batch
    norm refuses a batch of one (its variance over one example is 0)."""
    config = RunConfig.of(config)
    if config["batch_size"] > n_train:
        print(f"mlplab: note: batch_size {config['batch_size']} is larger than the {n_train} training examples; "
              f"training on batches of {n_train}, the whole set", file=sys.stderr, flush=True)
        config = config.replace(batch_size=n_train)
    if config.batchnorm and config.batch_size == 1:
        whole = " (the whole training set is one example)" if n_train == 1 else ""
        raise ValueError(f"batch_size 1 with batchnorm{whole}: batch norm needs at least 2 examples per training "
                         f"batch (its variance over one example is 0); use a larger batch or --no-batchnorm")
    return config


def record_divergence(out: Path, err: TrainingDiverged, config: RunConfig) -> None:
    """Say in ``summary.json`` (and the report) where the loss blew up; the checkpoint is untouched."""
    summary = {"diverged": {"epoch": err.epoch, "step": err.step, "lr": err.lr, "loss": str(err.loss),
                            "message": str(err)}, "mlplab_version": mlplab.__version__}
    analyse_run(out, summary, config)


def pretrain_phase(config: RunConfig, net: Sequential, X: np.ndarray, out: Path,
                   progress: bool | None, resume: bool = False) -> dict[str, Any]:
    """Greedy pre-training as ``config`` says; writes ``pretrain.csv`` (block, layers, epoch,
    reconstruction error) row by row and returns a summary.  Its progress is saved to
    ``PRETRAIN_CHECKPOINT`` after every epoch and on Ctrl-C; ``resume`` continues from there."""
    notebook = in_notebook()                    # as the progress bar: shown in a kernel too, on stdout there
    show = (sys.stderr.isatty() or notebook) if progress is None else progress
    stream = sys.stdout if notebook else sys.stderr
    path = out / "pretrain.csv"
    rows: list[dict[str, Any]] = []
    if resume and path.is_file():           # the epochs done before the stop
        with open(path, newline="") as f:
            rows = [{"block": int(r["block"]), "epoch": int(r["epoch"]),
                     "reconstruction_error": float(r["reconstruction_error"])} for r in csv.DictReader(f)]

    def on_epoch(block: int, epoch: int, error: float) -> None:
        rows[:] = [r for r in rows if (r["block"], r["epoch"]) != (block, epoch)]    # an epoch redone once
        rows.append({"block": block, "epoch": epoch, "reconstruction_error": error})
        write_csv(path, rows)
        if show:
            print(f"pre-training ({config['pretrain']}) block {block} epoch {epoch}/{config['pretrain_epochs']}: "
                  f"reconstruction error {error:.4f}", file=stream)

    started = time.perf_counter()
    (out / PRETRAIN_CHECKPOINT).parent.mkdir(parents=True, exist_ok=True)
    reports = pretrain(net, X, config["pretrain"], epochs=config["pretrain_epochs"], lr=config["pretrain_lr"],
                       optimizer=config["pretrain_optimizer"], batch_size=config["batch_size"],
                       tied=config["pretrain_tied"], corruption=config["pretrain_corruption"],
                       noise=config["pretrain_noise"], cd_k=config["cd_k"], seed=config["seed"], on_epoch=on_epoch,
                       checkpoint_path=out / PRETRAIN_CHECKPOINT,
                       resume_from=out / PRETRAIN_CHECKPOINT if resume else None)
    return {"method": config["pretrain"], "seconds": time.perf_counter() - started,
            "blocks": [{"layers": r.layers, "objective": r.loss, "first_error": r.errors[0],
                        "last_error": r.errors[-1]} for r in reports]}


__all__ = ["train_run", "PreparedData", "prepare_data", "preprocess_mode", "LSUV_BATCH", "build_network",
           "resolved_init", "describe_run", "build_optimizer", "ProgressBar", "fit_batch", "record_divergence",
           "pretrain_phase",
           # re-exported from mlplab.rundir and mlplab.builders, where they live
           "CHECKPOINT", "RUN_FILES", "RunDirectoryWriter", "write_csv", "prepare_output", "remove_run_files",
           "load_run"]
