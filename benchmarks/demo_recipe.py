"""Measure the demo recipe (and the alternatives it was picked from) on Fashion-MNIST.

    .venv/bin/python benchmarks/demo_recipe.py [--only default] [--out benchmarks/DEMO_RECIPE.md]

Each recipe trains through ``mlplab.run.train_run`` (the same code as ``mlplab train``) and is
reported with its training time (the epochs' update loops, not data loading or evaluation)
and its test accuracy.  Target: >= 89% test accuracy in <= 120 s of training on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time

from mlplab.config import KEYS, read_toml, resolve
from mlplab.recipes import find

BASE = read_toml(find("fashion-mnist"))      # the demo recipe (recipes/fashion-mnist.toml)
RECIPES: dict[str, dict] = {
    "default": {},   # the demo recipe itself
    "15-epochs": {"epochs": 15},
    "small-512-256-bn": {"hidden": [512, 256], "epochs": 25},
    "bn-adam": {"optimizer": "adam", "lr": 0.001},
    "no-bn": {"batchnorm": False},
    "bn-no-dropout": {"dropout": 0.0},
    "constant-lr": {"schedule": "constant"},
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="*", choices=sorted(RECIPES), help="recipes to run (default: all)")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "DEMO_RECIPE.md"))
    args = parser.parse_args()
    from mlplab.run import train_run
    rows = []
    for name in args.only or RECIPES:
        overrides = RECIPES[name]
        with tempfile.TemporaryDirectory() as tmp:
            config = resolve({}, {**{k: v for k, v in BASE.items() if k in KEYS}, **overrides, "out": tmp})
            started = time.perf_counter()
            summary = train_run(config, progress=False)
            wall = time.perf_counter() - started
        rows.append((name, overrides, summary, wall))
        print(f"{name:20s} test acc {summary['test_accuracy']:.4f}  train {summary['train_seconds']:.1f}s  "
              f"wall {wall:.1f}s", flush=True)
    lines = ["# Demo recipe on Fashion-MNIST", "",
             f"Command: `.venv/bin/python benchmarks/demo_recipe.py` on {platform.machine()}, "
             f"{os.cpu_count()} cores, Python {platform.python_version()}, {time.strftime('%Y-%m-%d')}.", "",
             "Train time = the epochs' update loops; wall = everything (loading, evaluation, files).", "",
             "| recipe | changes from the defaults | epochs | train s | wall s | val acc | test acc | target met |",
             "|---|---|---|---|---|---|---|---|"]
    for name, overrides, s, wall in rows:
        met = s["test_accuracy"] >= 0.89 and s["train_seconds"] <= 120
        change = ", ".join(f"{k}={v}" for k, v in overrides.items()) or "(the defaults)"
        lines.append(f"| {name} | {change} | {s['epochs']} | {s['train_seconds']:.1f} | {wall:.1f} | "
                     f"{s.get('val_accuracy', float('nan')):.4f} | {s['test_accuracy']:.4f} | {'yes' if met else 'no'} |")
    with open(args.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
