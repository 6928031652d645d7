"""What recording diagnostics every epoch costs (the target: <= 10% slower training).

    .venv/bin/python benchmarks/diagnostics_cost.py [--rounds 3] [--epochs 3] [--probe 1000]

Trains the demo network (784-1000-500-250-10, BN, ReLU, dropout 0.2, SGD momentum 0.9,
batch 100) on Fashion-MNIST with and without a DiagnosticsRecorder (every epoch, probe of
``--probe`` examples), alternating, each in a fresh process, and writes the table into
``benchmarks/DIAGNOSTICS.md``.  The time compared is the whole ``fit`` (the update loops
plus the records, which are made after each epoch's loop), with no validation or test split.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import statistics
import subprocess
import sys
import time


def worker(with_diagnostics: bool, epochs: int, probe_size: int) -> dict[str, float]:
    import numpy as np

    import mlplab as ml
    from mlplab.data import Preprocessor, load_dataset
    from mlplab.diagnostics import DiagnosticsRecorder
    from mlplab.train import Trainer
    d = load_dataset("fashion-mnist")
    pre = Preprocessor("scale", d.pixel_max).fit(d.X_train)
    net = ml.mlp(784, [1000, 500, 250], 10, batchnorm=True, dropout=0.2, seed=0)
    transform = functools.partial(pre.transform, dtype=net.dtype)
    chosen = np.sort(np.random.default_rng(1).permutation(d.X_train.shape[0])[:probe_size])
    callbacks = [DiagnosticsRecorder(transform(d.X_train[chosen]), d.y_train[chosen], every=1)] \
        if with_diagnostics else []
    trainer = Trainer(net, ml.optim.SGD(lr=0.05, momentum=0.9), epochs=epochs, transform=transform,
                      callbacks=callbacks)
    started = time.perf_counter()
    trainer.fit(d.X_train, d.y_train)
    return {"fit_seconds": time.perf_counter() - started, "loop_seconds": trainer.train_seconds,
            "records": len(callbacks[0].records) if callbacks else 0}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--worker", choices=["on", "off"])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--probe", type=int, default=1000)
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "DIAGNOSTICS.md"))
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker == "on", args.epochs, args.probe)))
        return 0
    results: dict[str, list[dict[str, float]]] = {"off": [], "on": []}
    for round_number in range(args.rounds):
        for mode in ("off", "on"):
            done = subprocess.run([sys.executable, __file__, "--worker", mode, "--epochs", str(args.epochs),
                                   "--probe", str(args.probe)], capture_output=True, text=True, check=True)
            results[mode].append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(f"round {round_number + 1} diagnostics {mode:3s} {results[mode][-1]}", flush=True)
    fit = {mode: [r["fit_seconds"] / args.epochs for r in rows] for mode, rows in results.items()}
    median = {mode: statistics.median(values) for mode, values in fit.items()}
    overhead = median["on"] / median["off"] - 1.0
    lines = [
        "# What diagnostics cost",
        "",
        f"`.venv/bin/python benchmarks/diagnostics_cost.py --rounds {args.rounds} --epochs {args.epochs} "
        f"--probe {args.probe}` on {platform.machine()}, {os.cpu_count()} cores, {time.strftime('%Y-%m-%d')}.",
        "",
        "Demo network (784-1000-500-250-10, BN, ReLU, dropout 0.2, SGD momentum 0.9, batch 100), Fashion-MNIST "
        "60,000 images; seconds per epoch of the whole `fit` (loops + records), each run a fresh process, "
        "the two modes alternating.",
        "",
        "| diagnostics | median s/epoch | min | max | records per run |",
        "|---|---|---|---|---|",
    ]
    for mode, label in (("off", "off"), ("on", f"every epoch, probe {args.probe}")):
        lines.append(f"| {label} | {median[mode]:.2f} | {min(fit[mode]):.2f} | {max(fit[mode]):.2f} | "
                     f"{results[mode][0]['records']} |")
    verdict = "met" if overhead <= 0.10 else "**missed**"
    lines += ["", f"Overhead: **{100 * overhead:+.1f}%** (target <= +10%: {verdict}). A record before training is "
                  "included in every run with diagnostics on.", ""]
    with open(args.out, "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
