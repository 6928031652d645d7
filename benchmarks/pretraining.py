"""Greedy pre-training then fine-tuning, beside random initialisation (recorded, not judged).

    .venv/bin/python benchmarks/pretraining.py [--seeds 3]

Deep sigmoid networks without batch norm (where pre-training mattered in 2006), on the 8x8
digits and on MNIST-5k: random initialisation (xavier_normal) against autoencoder, denoising
and RBM pre-training (3 epochs per layer, Adam 1e-3), each fine-tuned with the same SGD
(momentum 0.9) for the same epochs and seeds.  Writes ``benchmarks/PRETRAINING.md``.  Whether
pre-training *helps* is the experiment of its own (issue 7); this table only records the runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import mlplab as ml
from mlplab.data import Preprocessor, load_dataset
from mlplab.pretrain import pretrain
from mlplab.train import Trainer, accuracy

SETS = {"digits": ([64, 64, 64], 60), "mnist-5k": ([500, 250, 100], 10)}     # hidden sizes, fine-tuning epochs
STARTS = ("random", "autoencoder", "denoising", "rbm")


def run(data: str, start: str, seed: int) -> tuple[float, float]:
    d = load_dataset(data, seed=0)
    pre = Preprocessor("scale", d.pixel_max).fit(d.X_train)
    X, Xt = pre.transform(d.X_train), pre.transform(d.X_test)
    hidden, epochs = SETS[data]
    net = ml.mlp(X.shape[1], hidden, d.n_classes, activation="sigmoid", seed=seed)
    started = time.perf_counter()
    if start != "random":
        pretrain(net, X, start, epochs=3, lr=1e-3, seed=seed)
    Trainer(net, ml.optim.SGD(lr=0.1, momentum=0.9), epochs=epochs, seed=seed).fit(X, d.y_train)
    return accuracy(net, Xt, d.y_test), time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "PRETRAINING.md"))
    args = parser.parse_args()
    lines = ["# Pre-training beside random initialisation", "",
             f"`.venv/bin/python benchmarks/pretraining.py --seeds {args.seeds}` "
             f"({time.strftime('%Y-%m-%d')}). Sigmoid networks, no batch norm or dropout; pre-training 3 epochs "
             "per hidden layer (Adam 1e-3); fine-tuning SGD lr 0.1 momentum 0.9, batch 100, for the epochs listed; "
             f"test accuracy, mean (min-max) over seeds 0..{args.seeds - 1}. Recorded, not judged: the comparison "
             "with its verdict is an experiment of its own.", "",
             "| data | hidden | epochs | start | test accuracy | seconds per run |", "|---|---|---|---|---|---|"]
    for data, (hidden, epochs) in SETS.items():
        for start in STARTS:
            results = [run(data, start, seed) for seed in range(args.seeds)]
            accs = [a for a, _ in results]
            lines.append(f"| {data} | {'-'.join(map(str, hidden))} | {epochs} | {start} | {statistics.mean(accs):.4f} "
                         f"({min(accs):.4f}-{max(accs):.4f}) | {statistics.mean(s for _, s in results):.1f} |")
            print(lines[-1], flush=True)
    with open(args.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
