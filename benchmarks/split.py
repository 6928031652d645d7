"""Where an epoch of mlplab goes, operation by operation (the split behind benchmarks/RESULTS.md).

    .venv/bin/python benchmarks/split.py [--bn] [--dropout 0.2]

Wraps each layer's forward/backward and the optimizer update with a timer (about 1 us of
overhead per call) and trains one epoch of 784-1000-500-250-10 ReLU on Fashion-MNIST.
The matrix products live inside Dense forward/backward, next to the bias add and db sum.
"""

from __future__ import annotations

import argparse
import functools
import time
from collections import defaultdict

import mlplab as ml
from mlplab.data import Preprocessor, load_dataset
from mlplab.train import Trainer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bn", action="store_true")
    parser.add_argument("--dropout", type=float, default=0.0)
    args = parser.parse_args()
    spent: dict[str, float] = defaultdict(float)

    def timed(owner, method: str, label: str) -> None:
        original = getattr(owner, method)

        @functools.wraps(original)
        def wrapper(self, *a, **k):
            started = time.perf_counter()
            try:
                return original(self, *a, **k)
            finally:
                spent[f"{type(self).__name__}.{label}"] += time.perf_counter() - started
        setattr(owner, method, wrapper)

    layers = ml.layers
    for cls in (layers.Dense, layers.ReLU, layers.BatchNorm, layers.Dropout):
        timed(cls, "forward", "forward")
    for cls in (layers.ReLU, layers.BatchNorm, layers.Dropout):
        timed(cls, "backward", "backward")
    timed(layers.Dense, "backward_params", "backward dW, db")
    original_backward = layers.Dense.backward
    layers.Dense.backward = lambda self, dy: (self.backward_params(dy), _timed_dx(self, dy, spent))[1]
    timed(ml.optim.SGD, "update", "update (the fused C loop)")

    d = load_dataset("fashion-mnist")
    pre = Preprocessor("scale", d.pixel_max).fit(d.X_train)
    net = ml.mlp(784, [1000, 500, 250], 10, batchnorm=args.bn, dropout=args.dropout, seed=0)
    make = lambda: Trainer(net, ml.optim.SGD(lr=0.05, momentum=0.9), epochs=1,   # noqa: E731
                           transform=functools.partial(pre.transform, dtype=net.dtype))
    make().fit(d.X_train[:6000], d.y_train[:6000])   # warm-up
    spent.clear()
    epoch = make().fit(d.X_train, d.y_train)[-1]["seconds"]
    print(f"epoch {epoch:.2f} s")
    for name, seconds in sorted(spent.items(), key=lambda kv: -kv[1]):
        print(f"  {name:32s} {seconds:6.3f} s  {100 * seconds / epoch:5.1f}%")
    print(f"  {'the rest (loss, batches, Python)':32s} {epoch - sum(spent.values()):6.3f} s  "
          f"{100 * (epoch - sum(spent.values())) / epoch:5.1f}%")
    layers.Dense.backward = original_backward


def _timed_dx(layer, dy, spent):
    started = time.perf_counter()
    dx = dy @ layer.W
    spent["Dense.backward dX"] += time.perf_counter() - started
    return dx


if __name__ == "__main__":
    main()
