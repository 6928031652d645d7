"""Speed on a GPU: mlplab's torch and CuPy backends beside PyTorch and JAX on the same card.

    python benchmarks/gpu.py [--epochs 3] [--out DIR]

The main configuration of benchmarks/speed.py (784-1000-500-250-10 ReLU, SGD with momentum 0.9,
batch 100, float32, 60,000 examples) on random data of Fashion-MNIST's shape: the device machines
here have no dataset, and an epoch's time does not depend on the pixel values.  Each framework runs
in a process of its own (JAX takes most of the card's memory at start); the data sits on the GPU,
the epoch's permutation is drawn on the host, as each framework's users do.  Writes gpu.md and
gpu.json to --out.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np

SIZES = [784, 1000, 500, 250, 10]
N, BATCH, LR, MOMENTUM = int(os.environ.get("GPU_BENCH_N", 60_000)), 100, 0.01, 0.9
DEVICE = os.environ.get("GPU_BENCH_DEVICE", "cuda")      # "cpu" only to try the script on a machine without one


def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.random((N, SIZES[0]), dtype=np.float32), rng.integers(0, 10, N)


def run_mlplab(backend: str, epochs: int) -> list[float]:
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
    import mlplab as ml
    from mlplab.train import Trainer
    X, y = data()
    with ml.backend.use(backend, device=DEVICE if backend == "torch" else None):
        net = ml.mlp(SIZES[0], SIZES[1:-1], SIZES[-1], seed=0)
        times = []

        class Clock(ml.train.Callback):
            def on_epoch_end(self, trainer, epoch, metrics):
                times.append(metrics["seconds"])

        Trainer(net, ml.optim.SGD(lr=LR, momentum=MOMENTUM), batch_size=BATCH, epochs=epochs + 1, seed=0,
                callbacks=[Clock()]).fit(X, y)
        return times[1:]                       # the first epoch warms the caches and the allocator


def run_pytorch(epochs: int) -> list[float]:
    import torch
    X, y = data()
    device = torch.device(DEVICE)
    Xt, yt = torch.from_numpy(X).to(device), torch.from_numpy(y).to(device)
    layers: list = []
    for i, (a, b) in enumerate(zip(SIZES, SIZES[1:])):
        layers += [torch.nn.Linear(a, b)] + ([torch.nn.ReLU()] if i < len(SIZES) - 2 else [])
    model = torch.nn.Sequential(*layers).to(device)
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    times = []
    for epoch in range(epochs + 1):
        order = torch.from_numpy(np.random.default_rng([0, epoch]).permutation(N)).to(device)
        sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
        sync()
        started = time.perf_counter()
        for start in range(0, N, BATCH):
            index = order[start:start + BATCH]
            opt.zero_grad(set_to_none=True)
            torch.nn.functional.cross_entropy(model(Xt[index]), yt[index]).backward()
            opt.step()
        sync()
        times.append(time.perf_counter() - started)
    return times[1:]


def run_jax(epochs: int) -> list[float]:
    import jax
    import jax.numpy as jnp
    X, y = data()
    Xj, yj = jax.device_put(X), jax.device_put(y)
    keys = jax.random.split(jax.random.PRNGKey(0), len(SIZES) - 1)
    params = [(jax.random.normal(k, (b, a)) * jnp.sqrt(2.0 / a), jnp.zeros(b))
              for k, a, b in zip(keys, SIZES, SIZES[1:])]
    velocity = jax.tree_util.tree_map(jnp.zeros_like, params)

    def loss(params, xb, yb):
        h = xb
        for i, (W, b) in enumerate(params):
            h = h @ W.T + b
            if i < len(params) - 1:
                h = jax.nn.relu(h)
        return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(h), yb[:, None], axis=1))

    @jax.jit
    def step(params, velocity, xb, yb):
        grads = jax.grad(loss)(params, xb, yb)
        velocity = jax.tree_util.tree_map(lambda v, g: MOMENTUM * v + g, velocity, grads)
        params = jax.tree_util.tree_map(lambda p, v: p - LR * v, params, velocity)
        return params, velocity

    times = []
    for epoch in range(epochs + 1):
        order = jax.device_put(np.random.default_rng([0, epoch]).permutation(N))
        started = time.perf_counter()
        for start in range(0, N, BATCH):
            index = order[start:start + BATCH]
            params, velocity = step(params, velocity, Xj[index], yj[index])
        jax.block_until_ready(params)
        times.append(time.perf_counter() - started)
    return times[1:]


RUNNERS = {"mlplab (torch, cuda)": lambda e: run_mlplab("torch", e),
           "mlplab (cupy)": lambda e: run_mlplab("cupy", e),
           "pytorch (cuda)": run_pytorch, "jax (jit, gpu)": run_jax}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs per framework (after one warm-up)")
    parser.add_argument("--out", default="benchmarks", help="folder for gpu.md and gpu.json")
    parser.add_argument("--only", help=argparse.SUPPRESS)        # the child process: one framework
    args = parser.parse_args()
    if args.only:
        print(json.dumps(RUNNERS[args.only](args.epochs)))
        return
    results = {}
    for name in RUNNERS:
        done = subprocess.run([sys.executable, __file__, "--only", name, "--epochs", str(args.epochs)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            results[name] = {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"}
        else:
            times = json.loads(done.stdout.strip().splitlines()[-1])
            results[name] = {"median_s": statistics.median(times), "min_s": min(times), "max_s": max(times)}
        print(name, results[name], flush=True)
    try:
        gpu = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"],
                             capture_output=True, text=True).stdout.strip()
    except FileNotFoundError:
        gpu = f"none ({DEVICE})"
    reference = results.get("pytorch (cuda)", {}).get("median_s")
    lines = [f"# Speed on a GPU: {gpu}", "",
             f"`python benchmarks/gpu.py --epochs {args.epochs}`, {time.strftime('%Y-%m-%d')}, Python "
             f"{platform.python_version()}. Network {'-'.join(map(str, SIZES))} ReLU, SGD momentum {MOMENTUM}, "
             f"batch {BATCH}, float32, {N:,} random examples of Fashion-MNIST's shape (no dataset on the GPU "
             f"machine), data on the GPU. Median of {args.epochs} epochs after one warm-up epoch.", "",
             "| framework | epoch median s | min | max | vs PyTorch |", "|---|---|---|---|---|"]
    for name, row in results.items():
        if "error" in row:
            lines.append(f"| {name} | failed: {row['error']} | | | |")
        else:
            ratio = f"{row['median_s'] / reference:.2f}x" if reference else ""
            lines.append(f"| {name} | {row['median_s']:.3f} | {row['min_s']:.3f} | {row['max_s']:.3f} | {ratio} |")
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "gpu.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(args.out, "gpu.json"), "w") as f:
        json.dump({"gpu": gpu, "epochs": args.epochs, "results": results}, f, indent=1)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
