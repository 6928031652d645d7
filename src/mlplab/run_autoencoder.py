"""``mlplab autoencoder``: the deep autoencoder against PCA with the same code size, in one run.

Its keys are :class:`~mlplab.config.RunConfig`'s with ``command = "autoencoder"`` (the defaults and
the keys it reads are the config's).  The run directory holds ``config.json`` (the config's
:meth:`~mlplab.config.RunConfig.to_dict`), ``pretrain.csv`` (block, epoch, reconstruction error),
``metrics.csv`` (fine-tuning: epoch, objective, test MSE per pixel), ``model.npz``,
``summary.json`` (the autoencoder's and PCA's test MSE side by side) and
``figures/reconstructions.png`` (test images, the autoencoder's and PCA's reconstructions).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from mlplab.atomic import write_text_atomic
from mlplab.config import RunConfig
from mlplab.data import Preprocessor, load_dataset
from mlplab.network import save
from mlplab.pretrain import (deep_autoencoder, fine_tune_autoencoder, pca_reconstruction, pixel_mse,
                             pretrain_autoencoder, reconstruct)
from mlplab.report import pyplot
from mlplab.rundir import write_csv

# The autoencoder's defaults, as earlier versions named them (the config's own: RunConfig.defaults("autoencoder"))
DEFAULTS: dict[str, Any] = {k: v for k, v in RunConfig.defaults("autoencoder").to_dict().items() if k != "command"}


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' * (n != 1)}"


def autoencoder_run(options: RunConfig | dict[str, Any], progress: bool | None = None) -> dict[str, Any]:
    """Pre-train (unless ``pretrain`` is ``none``), fine-tune, compare with PCA; returns the summary.
    ``options``: an autoencoder :class:`RunConfig`, or a dict of its keys over its defaults."""
    config = options if isinstance(options, RunConfig) else RunConfig.from_dict(
        {k: v for k, v in options.items() if v is not None}, command="autoencoder")
    if config.command != "autoencoder":
        raise ValueError(f"this is a {config.command} config (command = {config.command!r}): mlplab "
                         f"{config.command} runs it, not mlplab autoencoder")
    code = config.code
    show = sys.stderr.isatty() if progress is None else progress
    started = time.perf_counter()
    dataset = load_dataset(config.data, config.data_dir, seed=config.seed)
    X = dataset.X_train
    if config.train_limit:
        X = X[np.sort(np.random.default_rng(config.seed).permutation(X.shape[0])[:config.train_limit])]
    pre = Preprocessor("scale" if dataset.pixel_max else "standardize", dataset.pixel_max).fit(X)
    X, X_test = pre.transform(X, config.dtype), pre.transform(dataset.X_test, config.dtype)
    loss = "bce" if dataset.pixel_max else "mse"           # sigmoid outputs for [0, 1] pixels
    model = deep_autoencoder([X.shape[1], *config.hidden, code], config.activation, seed=config.seed,
                             dtype=config.dtype)
    out = Path(config.out)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / "config.json", json.dumps(config.to_dict(), indent=2) + "\n")
    sizes = "-".join(str(n) for n in (X.shape[1], *config.hidden, code))
    if progress is not False:                     # the run's first line: what is being trained
        print(f"{dataset.name}: {sizes} autoencoder (mirrored decoder), {config.activation} units, init "
              f"xavier_normal, linear code, no batch norm, no dropout; pre-training {config.pretrain}"
              + (f" ({_count(config.pretrain_epochs, 'epoch')} per layer)" if config.pretrain != "none" else "")
              + f"; Adam lr {config.lr:g}, batch {config.batch_size}, {_count(config.epochs, 'epoch')} on "
              f"{X.shape[0]:,} images; PCA with {code} components for comparison", flush=True)

    def say(text: str) -> None:
        if show:
            print(text, file=sys.stderr)

    pretrain_rows: list[dict[str, Any]] = []
    if config.pretrain != "none":
        def on_pretrain_epoch(block: int, epoch: int, error: float) -> None:
            pretrain_rows.append({"block": block, "epoch": epoch, "reconstruction_error": error})
            write_csv(out / "pretrain.csv", pretrain_rows)
            say(f"pre-training block {block} epoch {epoch}: reconstruction error {error:.4f}")
        pretrain_autoencoder(model, X, config.pretrain, epochs=config.pretrain_epochs, lr=config.pretrain_lr,
                             batch_size=config.batch_size, seed=config.seed, on_epoch=on_pretrain_epoch)
    pretrained_mse = pixel_mse(X_test, reconstruct(model, X_test, loss))
    metrics: list[dict[str, Any]] = []

    def on_epoch(epoch: int, objective: float) -> None:
        metrics.append({"epoch": epoch, "train_objective": objective,
                        "test_mse": pixel_mse(X_test, reconstruct(model, X_test, loss))})
        write_csv(out / "metrics.csv", metrics)
        say(f"fine-tuning epoch {epoch}/{config.epochs}: objective {objective:.3f}, "
            f"test MSE {metrics[-1]['test_mse']:.5f}")

    tuning_started = time.perf_counter()
    fine_tune_autoencoder(model, X, config.epochs, lr=config.lr, batch_size=config.batch_size, loss=loss,
                          seed=config.seed, on_epoch=on_epoch)
    tuning_seconds = time.perf_counter() - tuning_started
    save(model, out / "model.npz")
    X_hat = reconstruct(model, X_test, loss)
    pca = pca_reconstruction(X, X_test, code)
    summary = {"data": dataset.name, "sizes": [X.shape[1], *config.hidden, code], "pretrain": config.pretrain,
               "test_mse": pixel_mse(X_test, X_hat), "pca_test_mse": pixel_mse(X_test, pca),
               "test_mse_before_fine_tuning": pretrained_mse, "epochs": config.epochs,
               "fine_tuning_seconds": tuning_seconds, "wall_seconds": time.perf_counter() - started,
               "n_train": int(X.shape[0]), "n_test": int(X_test.shape[0])}
    summary["beats_pca"] = summary["test_mse"] < summary["pca_test_mse"]
    write_text_atomic(out / "summary.json", json.dumps(summary, indent=2) + "\n")   # a sweep's "done" mark
    if dataset.pixel_max:
        _plot_reconstructions(X_test, np.asarray(X_hat), pca, out / "figures" / "reconstructions.png", code)
    return summary


def _plot_reconstructions(X: np.ndarray, X_hat: np.ndarray, pca: np.ndarray, path: Path, code: int) -> None:
    plt = pyplot()
    side = int(round(X.shape[1] ** 0.5))
    if side * side != X.shape[1]:
        return
    count = 10
    fig, axes = plt.subplots(3, count, figsize=(count * 1.1, 3.6))
    for row, (images, label) in enumerate(((X, "test image"), (X_hat, "autoencoder"), (pca, f"PCA ({code})"))):
        for col in range(count):
            ax = axes[row, col]
            ax.imshow(np.clip(images[col].reshape(side, side), 0, 1), cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[row, 0].set_ylabel(label, fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
