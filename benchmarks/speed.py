"""Epoch time, throughput, memory and inference of mlplab beside PyTorch and scikit-learn.

    .venv/bin/python benchmarks/speed.py                 # everything (about 15 minutes on 2 cores)
    .venv/bin/python benchmarks/speed.py --quick         # the main configuration only

Every measurement runs in a fresh subprocess (so peak RSS is that job's own), and the
frameworks alternate round by round, so machine noise hits them alike.  mlplab and PyTorch
train the same architecture from the same initial weights on the same batches in the same
order (SGD, momentum 0.9, lr 0.05, Fashion-MNIST 60,000 images, pixels scaled to [0, 1]).
scikit-learn's MLPClassifier shuffles with its own generator (same epochs, same batch size).
The table goes to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

HIDDEN = [1000, 500, 250]
LR, MOMENTUM, SEED = 0.05, 0.9, 0
CONFIGS = {   # name: (batchnorm, dtype, batch size)
    "main": (False, "float32", 100),
    "bn": (True, "float32", 100),
    "float64": (False, "float64", 100),
    "batch32": (False, "float32", 32),
    "batch256": (False, "float32", 256),
}


def flops_per_epoch(n: int, batch: int, sizes: list[int]) -> float:
    """Matrix-product arithmetic of an epoch: forward, dW and dX (no dX for the first layer)."""
    pairs = list(zip(sizes[:-1], sizes[1:]))
    per_example = 2 * sum(i * o for i, o in pairs) * 2 + 2 * sum(i * o for i, o in pairs[1:])
    return per_example * n


def load_raw():
    from mlplab.data import Preprocessor, load_dataset
    d = load_dataset("fashion-mnist")
    return d, Preprocessor("scale", d.pixel_max).fit(d.X_train)


def load_data(dtype: str):
    """The whole set as float arrays: what a PyTorch or scikit-learn user holds."""
    import numpy as np
    d, pre = load_raw()
    return pre.transform(d.X_train, np.dtype(dtype)), d.y_train, pre.transform(d.X_test, np.dtype(dtype)), d.y_test


def batches(n: int, batch: int, epoch: int):
    import numpy as np
    order = np.random.default_rng([SEED, epoch]).permutation(n)
    return [order[i:i + batch] for i in range(0, n, batch) if order[i:i + batch].size > 1]


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- workers: one framework, one configuration, one fresh process ---------------------------------
def worker_mlplab(config: str, epochs: int) -> dict:
    import mlplab as ml
    from mlplab.train import Trainer
    import functools
    bn, dtype, batch = CONFIGS[config]
    d, pre = load_raw()          # mlplab keeps the uint8 images and scales each batch (as `mlplab train` does)
    X, y, yt = d.X_train, d.y_train, d.y_test
    net = ml.mlp(784, HIDDEN, 10, activation="relu", init="he_normal", batchnorm=bn, seed=SEED, dtype=dtype)
    trainer = Trainer(net, ml.optim.SGD(lr=LR, momentum=MOMENTUM), batch_size=batch, epochs=epochs, seed=SEED,
                      transform=functools.partial(pre.transform, dtype=net.dtype))
    history = trainer.fit(X, y)
    times = [h["seconds"] for h in history]
    Xt = pre.transform(d.X_test, net.dtype)
    infer = []
    for _ in range(7):
        started = time.perf_counter()
        predicted = net.predict(Xt)          # its default: batches of 1,000
        infer.append(time.perf_counter() - started)
    result = {"epoch_seconds": times, "test_accuracy": float((predicted == yt).mean()),
              "inference_seconds": statistics.median(infer), "peak_rss_mib": peak_rss_mib()}
    result["matmul_seconds"] = matmul_only_epoch(net, Xt, batch, X.shape[0] // batch)
    return result


def matmul_only_epoch(net, X, batch: int, steps: int) -> float:
    """The same matrix products as one epoch of training, and nothing else: the floor.

    The calls are the ones training makes: ``x @ W.T`` forward, ``dy @ W`` for dX, and for
    dW the GEMM that accumulates ``dy^T x`` into the momentum buffer (beta = momentum)."""
    import numpy as np
    from mlplab import blas
    dense = [layer for layer in net.layers if "W" in layer.params]
    rng = np.random.default_rng(0)
    acts = [X[:batch]] + [rng.random((batch, d.out_features), dtype=X.dtype) for d in dense]
    grads = [rng.random((batch, d.out_features), dtype=X.dtype) for d in dense]
    velocity = [np.zeros_like(d.W) for d in dense]
    started = time.perf_counter()
    for _ in range(steps):
        for i, d in enumerate(dense):
            acts[i] @ d.W.T
        for i, d in reversed(list(enumerate(dense))):
            blas.gemm_at_b(grads[i], acts[i], velocity[i], beta=MOMENTUM)
            if i:
                grads[i] @ d.W
    return time.perf_counter() - started


def worker_torch(config: str, epochs: int) -> dict:
    import torch
    import mlplab as ml
    torch.set_num_threads(os.cpu_count() or 1)
    bn, dtype, batch = CONFIGS[config]
    tdtype = torch.float64 if dtype == "float64" else torch.float32
    X, y, Xt, yt = load_data(dtype)
    ours = ml.mlp(784, HIDDEN, 10, activation="relu", init="he_normal", batchnorm=bn, seed=SEED, dtype=dtype)
    modules, sizes = [], [784] + HIDDEN + [10]
    for i, o in zip(sizes[:-1], sizes[1:]):
        modules.append(torch.nn.Linear(i, o, dtype=tdtype))
        if o != 10:
            modules += ([torch.nn.BatchNorm1d(o, dtype=tdtype)] if bn else []) + [torch.nn.ReLU()]
    model = torch.nn.Sequential(*modules)
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    dense = [layer for layer in ours.layers if "W" in layer.params]
    with torch.no_grad():              # the same initial weights
        for lin, d in zip(linears, dense):
            lin.weight.copy_(torch.from_numpy(d.W))
            lin.bias.copy_(torch.from_numpy(d.b))
    del ours
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    Xtorch, ytorch = torch.from_numpy(X), torch.from_numpy(y)
    times = []
    for epoch in range(epochs):
        started = time.perf_counter()
        model.train()
        for index in batches(X.shape[0], batch, epoch):
            idx = torch.from_numpy(index)
            opt.zero_grad(set_to_none=True)
            loss = torch.nn.functional.cross_entropy(model(Xtorch[idx]), ytorch[idx])
            loss.backward()
            opt.step()
        times.append(time.perf_counter() - started)
    model.eval()
    Xt_torch = torch.from_numpy(Xt)
    infer = []
    for _ in range(7):
        started = time.perf_counter()
        with torch.no_grad():
            predicted = model(Xt_torch).argmax(dim=1).numpy()
        infer.append(time.perf_counter() - started)
    return {"epoch_seconds": times, "test_accuracy": float((predicted == yt).mean()),
            "inference_seconds": statistics.median(infer), "peak_rss_mib": peak_rss_mib()}


def worker_sklearn(config: str, epochs: int) -> dict:
    import numpy as np
    from sklearn.neural_network import MLPClassifier
    _, dtype, batch = CONFIGS[config]
    X, y, Xt, yt = load_data(dtype)
    clf = MLPClassifier(hidden_layer_sizes=HIDDEN, solver="sgd", learning_rate_init=LR, momentum=MOMENTUM,
                        nesterovs_momentum=False, batch_size=batch, alpha=0.0, random_state=SEED)
    times = []
    for _ in range(epochs):
        started = time.perf_counter()
        clf.partial_fit(X, y, classes=np.arange(10))
        times.append(time.perf_counter() - started)
    started = time.perf_counter()
    predicted = clf.predict(Xt)
    return {"epoch_seconds": times, "test_accuracy": float((predicted == yt).mean()),
            "inference_seconds": time.perf_counter() - started, "peak_rss_mib": peak_rss_mib()}


def worker_peak() -> dict:
    import numpy as np
    a = np.random.default_rng(0).random((2048, 2048), dtype=np.float32)
    c = np.empty_like(a)
    np.matmul(a, a, out=c)
    runs = []
    for _ in range(10):
        started = time.perf_counter()
        np.matmul(a, a, out=c)
        runs.append(time.perf_counter() - started)
    return {"gflops": 2 * 2048 ** 3 / statistics.median(runs) / 1e9}


WORKERS = {"mlplab": worker_mlplab, "pytorch": worker_torch, "sklearn": worker_sklearn}


def run_worker(framework: str, config: str, epochs: int) -> dict:
    args = [sys.executable, __file__, "--worker", framework, "--config", config, "--epochs", str(epochs)]
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{framework}/{config} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- the driver ----------------------------------------------------------------------------------
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--worker", choices=[*WORKERS, "peak"])
    parser.add_argument("--config", default="main", choices=CONFIGS)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="main configuration only, two rounds")
    parser.add_argument("--configs", nargs="*", choices=list(CONFIGS), help="only these configurations")
    parser.add_argument("--no-sklearn", action="store_true")
    parser.add_argument("--render", action="store_true", help="rewrite the table from the saved .json, no runs")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "RESULTS.md"))
    args = parser.parse_args()
    if args.worker == "peak":
        print(json.dumps(worker_peak()))
        return 0
    if args.worker:
        print(json.dumps(WORKERS[args.worker](args.config, args.epochs)))
        return 0

    if args.render:
        with open(os.path.splitext(args.out)[0] + ".json") as f:
            raw = json.load(f)
        results = {tuple(k.split("|")): v for k, v in raw["results"].items()}
        configs = [c for c in CONFIGS if ("mlplab", c) in results]
        sys.argv = [sys.argv[0]] + raw["command"].split()[1:]
        write_table(args, configs, results, raw["peaks"])
        return 0
    configs = ["main"] if args.quick else (args.configs or list(CONFIGS))
    rounds = 2 if args.quick else args.rounds
    results: dict[tuple[str, str], list[dict]] = {}
    peaks = []
    for r in range(rounds):
        peaks.append(run_worker_peak())
        for config in configs:
            frameworks = ["mlplab", "pytorch"]
            if config == "main" and not args.no_sklearn and r < 2:
                frameworks.append("sklearn")
            for framework in frameworks:
                epochs = 2 if framework == "sklearn" else args.epochs
                result = run_worker(framework, config, epochs)
                results.setdefault((framework, config), []).append(result)
                print(f"round {r + 1} {config:9s} {framework:8s} epochs {['%.2f' % t for t in result['epoch_seconds']]}"
                      f" acc {result['test_accuracy']:.4f} rss {result['peak_rss_mib']:.0f} MiB", flush=True)
    raw = {"command": " ".join(["benchmarks/speed.py"] + sys.argv[1:]), "peaks": peaks,
           "results": {f"{f}|{c}": runs for (f, c), runs in results.items()}}
    with open(os.path.splitext(args.out)[0] + ".json", "w") as f:
        json.dump(raw, f, indent=1)
    write_table(args, configs, results, peaks)
    return 0


def run_worker_peak() -> float:
    done = subprocess.run([sys.executable, __file__, "--worker", "peak"], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)["gflops"]


BEGIN, END = "<!-- speed.py:begin -->", "<!-- speed.py:end -->"


def median_epoch(results, framework: str, config: str) -> float:
    return statistics.median(t for r in results[(framework, config)] for t in r["epoch_seconds"])


def targets(results) -> list[str]:
    """The issue's targets, each with its measured value and a verdict."""
    def row(name, value, goal, met):
        return f"| {name} | {value} | {goal} | {'met' if met else '**missed**'} |"
    rows = ["| target | measured | goal | |", "|---|---|---|---|"]
    main = median_epoch(results, "mlplab", "main") / median_epoch(results, "pytorch", "main")
    rows.append(row("epoch time vs PyTorch, no BN", f"{main:.2f}x", "<= 0.80x", main <= 0.80))
    if ("mlplab", "bn") in results:
        bn = median_epoch(results, "mlplab", "bn") / median_epoch(results, "pytorch", "bn")
        rows.append(row("epoch time vs PyTorch + BatchNorm1d", f"{bn:.2f}x", "<= 0.80x", bn <= 0.80))
        extra = median_epoch(results, "mlplab", "bn") / median_epoch(results, "mlplab", "main") - 1
        rows.append(row("what BN adds to mlplab's epoch", f"{100 * extra:+.0f}%", "<= 15%", extra <= 0.15))
    share = statistics.median(r["matmul_seconds"] for r in results[("mlplab", "main")]) / median_epoch(
        results, "mlplab", "main")
    rows.append(row("share of the epoch in matrix products", f"{100 * share:.0f}%", ">= 85%", share >= 0.85))
    rss = statistics.median(r["peak_rss_mib"] for r in results[("mlplab", "main")]) / statistics.median(
        r["peak_rss_mib"] for r in results[("pytorch", "main")])
    rows.append(row("peak RSS vs PyTorch", f"{rss:.2f}x", "<= 0.60x", rss <= 0.60))
    infer = [statistics.median(r["inference_seconds"] for r in results[(f, "main")]) for f in ("mlplab", "pytorch")]
    rows.append(row("inference, 10,000 test images", f"{infer[0]:.3f} s vs {infer[1]:.3f} s", "faster than "
                    "PyTorch's no_grad forward", infer[0] < infer[1]))
    return rows


def write_table(args, configs, results, peaks) -> None:
    peak = statistics.median(peaks)
    n_train = 60000
    lines = ["# Speed: mlplab beside PyTorch and scikit-learn", "",
             f"`{' '.join(['.venv/bin/python', 'benchmarks/speed.py'] + sys.argv[1:])}` on {platform.machine()}, "
             f"{os.cpu_count()} cores, {time.strftime('%Y-%m-%d')}; NumPy's OpenBLAS matrix-multiply peak measured "
             f"in the same run: **{peak:.0f} GFLOP/s** (2048x2048 float32, median of {len(peaks)}).", "",
             "Network 784-1000-500-250-10 ReLU, SGD momentum 0.9, Fashion-MNIST 60,000 images. Epoch times are "
             "over all epochs of all rounds (each round a fresh process per framework, frameworks alternating). "
             "GFLOP/s counts the matrix products only (forward, dW, and dX except for the first layer).", "",
             "| config | framework | epoch median s | min | max | vs PyTorch | GFLOP/s | % of peak | matmul share "
             "| peak RSS MiB | inference s (10k) | test acc |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for config in configs:
        bn, dtype, batch = CONFIGS[config]
        flops = flops_per_epoch(n_train, batch, [784] + HIDDEN + [10])
        torch_median = statistics.median(t for r in results[("pytorch", config)] for t in r["epoch_seconds"])
        for framework in ("mlplab", "pytorch", "sklearn"):
            runs = results.get((framework, config))
            if not runs:
                continue
            times = [t for r in runs for t in r["epoch_seconds"]]
            median = statistics.median(times)
            share = ""
            if framework == "mlplab":
                share = f"{100 * statistics.median(r['matmul_seconds'] for r in runs) / median:.0f}%"
            label = f"{config} (BN={'yes' if bn else 'no'}, {dtype}, batch {batch})"
            lines.append(f"| {label} | {framework} | {median:.2f} | {min(times):.2f} | {max(times):.2f} | "
                         f"{median / torch_median:.2f}x | {flops / median / 1e9:.0f} | "
                         f"{100 * flops / median / 1e9 / peak:.0f}% | {share} | "
                         f"{statistics.median(r['peak_rss_mib'] for r in runs):.0f} | "
                         f"{statistics.median(r['inference_seconds'] for r in runs):.3f} | "
                         f"{statistics.median(r['test_accuracy'] for r in runs):.4f} |")
    lines += ["", "Round by round (mlplab's median epoch / PyTorch's, each round's processes run back to back; "
              "a slow spell of the shared machine shows as a whole round moving):", "",
              "| config | " + " | ".join(f"round {r + 1}" for r in range(len(results[("mlplab", configs[0])])))
              + " |", "|---|" + "---|" * len(results[("mlplab", configs[0])])]
    for config in configs:
        ratios = [statistics.median(m["epoch_seconds"]) / statistics.median(t["epoch_seconds"])
                  for m, t in zip(results[("mlplab", config)], results[("pytorch", config)])]
        lines.append(f"| {config} | " + " | ".join(f"{r:.2f}x" for r in ratios) + " |")
    if "main" in configs:
        lines += ["", "## Targets", ""] + targets(results)
    block = BEGIN + "\n" + "\n".join(lines) + "\n" + END
    try:
        with open(args.out) as f:
            old = f.read()
    except FileNotFoundError:
        old = ""
    if BEGIN in old and END in old:      # keep the hand-written analysis around the generated block
        text = old[:old.index(BEGIN)] + block + old[old.index(END) + len(END):]
    else:
        text = block + "\n"
    with open(args.out, "w") as f:
        f.write(text)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    sys.exit(main())
