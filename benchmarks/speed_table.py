"""benchmarks/RESULTS.md's generated block: the table, the kernels that ran, two runs at once, the targets."""

from __future__ import annotations

import os
import platform
import statistics
import time

from speed_shared import shared_table, slowdown
from speed_workers import CONFIGS, flops_per_epoch

BEGIN, END = "<!-- speed.py:begin -->", "<!-- speed.py:end -->"
FRAMEWORKS = ("mlplab", "jax", "pytorch", "sklearn")
N_TRAIN = 60000
REGRESSION_ALLOWANCE = 1.05     # "no regression": within 5% of the reference (fixed before the runs; noise here)


def epochs_of(results, framework: str, config: str) -> list[float]:
    return [t for r in results.get((framework, config), []) for t in r["epoch_seconds"]]


def median_epoch(results, framework: str, config: str) -> float:
    return statistics.median(epochs_of(results, framework, config))


def median_of(results, framework: str, config: str, key: str) -> float:
    return statistics.median(r[key] for r in results[(framework, config)])


def floor_share(results, config: str) -> float | None:
    """The floor (the epoch's products alone) over mlplab's epoch: 100% would be nothing but products.
    None for results older than the floor (BASELINE.json)."""
    if not all("floor_seconds" in r for r in results[("mlplab", config)]):
        return None
    return median_of(results, "mlplab", config, "floor_seconds") / median_epoch(results, "mlplab", config)


def frameworks_of(results) -> list[str]:
    """The columns in table order: mlplab, its reference (``mlplab@SHA``), then the peers."""
    names = {framework for framework, _ in results}
    references = sorted(name for name in names if name.startswith("mlplab@"))
    return [name for name in ("mlplab", *references, *FRAMEWORKS[1:]) if name in names]


def reference_of(results) -> str | None:
    return next((name for name in frameworks_of(results) if name.startswith("mlplab@")), None)


def lowest_epoch(library_peaks: dict[str, list[float]]) -> tuple[float, str, float] | None:
    """The fastest any float32 epoch could be here: its matrix products at the best peak measured of
    NumPy, PyTorch and JAX (median over rounds), and nothing else. Returns (seconds, library, GFLOP/s)."""
    if not library_peaks:
        return None
    library, peak = max(((lib, statistics.median(runs)) for lib, runs in library_peaks.items()), key=lambda kv: kv[1])
    return flops_per_epoch(N_TRAIN) / peak / 1e9, library, peak


def kernel_lines(kernels: dict[str, list[dict]]) -> list[str]:
    """Which BLAS (and which kernel of it) each framework's process had loaded, as threadpoolctl reports."""
    lines = ["| framework | library | version | kernel | threads |", "|---|---|---|---|---|"]
    for framework, entries in kernels.items():
        for e in entries:
            library = (e.get("internal_api") or "?") + (f" ({e['prefix']})" if e.get("prefix") else "")
            lines.append(f"| {framework} | {library} | {e.get('version') or ''} | {e.get('architecture') or ''} | "
                         f"{e.get('num_threads') or ''} |")
    return lines


def targets(results, shared: dict | None, baseline: dict | None, bound: tuple[float, str, float] | None) -> list[str]:
    """The issue's targets, each with its measured value, the best this machine allows, and a verdict."""
    def row(name, value, goal, met, reach=""):
        verdict = "met" if met else "**missed**" + (" (out of reach here)" if reach.startswith("**") else "")
        return f"| {name} | {value} | {goal} | {reach.strip('*')} | {verdict} |"
    rows = ["| target | measured | goal | the best possible here | |", "|---|---|---|---|---|"]
    ours = median_epoch(results, "mlplab", "main")

    def ratio_target(peer: str, label: str, goal: float) -> None:
        theirs = median_epoch(results, peer, "main")
        reach = ""
        if bound:
            best = bound[0] / theirs
            reach = f"{best:.2f}x (products alone at {bound[2]:.0f} GFLOP/s)"
            reach = f"**{reach}**" if best > goal else reach
        rows.append(row(f"main: epoch time vs {label}", f"{ours / theirs:.2f}x", f"<= {goal:.2f}x",
                        ours / theirs <= goal, reach))
    if ("jax", "main") in results:
        ratio_target("jax", "JAX", 0.80)
    ratio_target("pytorch", "PyTorch", 0.50)
    share = floor_share(results, "main")
    if share is not None:
        rows.append(row("main: floor / mlplab epoch", f"{100 * share:.0f}%", ">= 85%", share >= 0.85, "100%"))
    reference = reference_of(results)
    if reference:          # the same run, the same rounds: mlplab now over mlplab before
        for config in ("main", "bn", "float64", "batch32"):
            if ("mlplab", config) in results and (reference, config) in results:
                now = median_epoch(results, "mlplab", config) / median_epoch(results, reference, config)
                rows.append(row(f"{config}: epoch vs {reference}, no regression", f"{now:.2f}x",
                                f"<= {REGRESSION_ALLOWANCE:.2f}x", now <= REGRESSION_ALLOWANCE))
        for key, name in (("inference_seconds", "inference"), ("peak_rss_mib", "peak memory")):
            if (reference, "main") in results:
                now = median_of(results, "mlplab", "main", key) / median_of(results, reference, "main", key)
                rows.append(row(f"main: {name} vs {reference}, no regression", f"{now:.2f}x",
                                f"<= {REGRESSION_ALLOWANCE:.2f}x", now <= REGRESSION_ALLOWANCE))
    elif baseline:
        for config in ("bn", "float64", "batch32"):
            if (("mlplab", config) in results and ("mlplab", config) in baseline
                    and ("pytorch", config) in baseline):
                now = median_epoch(results, "mlplab", config) / median_epoch(results, "pytorch", config)
                then = median_epoch(baseline, "mlplab", config) / median_epoch(baseline, "pytorch", config)
                rows.append(row(f"{config}: epoch vs PyTorch, no regression", f"{now:.2f}x (was {then:.2f}x)",
                                f"<= {REGRESSION_ALLOWANCE * then:.2f}x", now <= REGRESSION_ALLOWANCE * then))
        for key, name in (("inference_seconds", "inference"), ("peak_rss_mib", "peak memory")):
            if ("mlplab", "main") in baseline and ("pytorch", "main") in baseline:
                now = median_of(results, "mlplab", "main", key) / median_of(results, "pytorch", "main", key)
                then = median_of(baseline, "mlplab", "main", key) / median_of(baseline, "pytorch", "main", key)
                rows.append(row(f"main: {name} vs PyTorch, no regression", f"{now:.2f}x (was {then:.2f}x)",
                                f"<= {REGRESSION_ALLOWANCE * then:.2f}x", now <= REGRESSION_ALLOWANCE * then))
    if shared and shared["results"].get("mlplab"):
        worst = slowdown(shared["results"]["mlplab"])
        rows.append(row("two `mlplab train` at once: slowdown each", f"{worst:.1f}x", "<= 2.5x", worst <= 2.5))
    return rows


def main_table(configs, results, peak: float) -> list[str]:
    lines = ["| config | framework | epoch median s | min | max | vs PyTorch | GFLOP/s | % of peak | floor s "
             "| floor / mlplab epoch | peak RSS MiB | inference s (10k) | test acc |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for config in configs:
        bn, dtype, batch = CONFIGS[config]
        flops = flops_per_epoch(N_TRAIN)
        torch_median = median_epoch(results, "pytorch", config)
        for framework in frameworks_of(results):
            runs = results.get((framework, config))
            if not runs:
                continue
            times = epochs_of(results, framework, config)
            median = statistics.median(times)
            floor = share = ""
            if framework == "mlplab" and floor_share(results, config) is not None:
                floor = f"{median_of(results, 'mlplab', config, 'floor_seconds'):.2f}"
                share = f"{100 * floor_share(results, config):.0f}%"
            label = f"{config} (BN={'yes' if bn else 'no'}, {dtype}, batch {batch})"
            lines.append(f"| {label} | {framework} | {median:.2f} | {min(times):.2f} | {max(times):.2f} | "
                         f"{median / torch_median:.2f}x | {flops / median / 1e9:.0f} | "
                         f"{100 * flops / median / 1e9 / peak:.0f}% | {floor} | {share} | "
                         f"{median_of(results, framework, config, 'peak_rss_mib'):.0f} | "
                         f"{median_of(results, framework, config, 'inference_seconds'):.3f} | "
                         f"{median_of(results, framework, config, 'test_accuracy'):.4f} |")
    return lines


def round_lines(configs, results) -> list[str]:
    rounds = len(results[("mlplab", configs[0])])
    lines = ["| config | " + " | ".join(f"round {r + 1}" for r in range(rounds)) + " |", "|---|" + "---|" * rounds]
    for config in configs:
        ratios = [statistics.median(m["epoch_seconds"]) / statistics.median(t["epoch_seconds"])
                  for m, t in zip(results[("mlplab", config)], results[("pytorch", config)])]
        lines.append(f"| {config} | " + " | ".join(f"{r:.2f}x" for r in ratios) + " |")
    return lines


def render(command: str, configs, results, peaks, kernels, environment: dict, shared: dict | None,
           baseline: dict | None, library_peaks: dict[str, list[float]] | None = None) -> str:
    peak = statistics.median(peaks)
    bound = lowest_epoch(library_peaks or {})
    reference = reference_of(results)
    unset = [f"`{k}={v}`" for k, v in environment.items() if v is not None]
    lines = ["# Speed: mlplab beside JAX, PyTorch and scikit-learn", "",
             f"`.venv/bin/python {command}` on {platform.machine()}, {os.cpu_count()} cores, {time.strftime('%Y-%m-%d')}; NumPy's "
             f"OpenBLAS matrix-multiply peak measured in the same run: **{peak:.0f} GFLOP/s** (2048x2048 float32, "
             f"median of {len(peaks)}). Environment: "
             + (", ".join(unset) + " set (**not** as a user's machine runs)" if unset else
                "no `OPENBLAS_CORETYPE`, `OPENBLAS_L2_SIZE` or thread-count variable set, as on a user's machine")
             + ".", "",
             "Network 784-1000-500-250-10 ReLU, SGD momentum 0.9, Fashion-MNIST 60,000 images. Epoch times are "
             "over all epochs of all rounds (each round a fresh process per framework, frameworks alternating). "
             "JAX runs one `jax.jit`-compiled step per batch (forward, softmax cross entropy, grad, momentum "
             "update; compiled before the first epoch). GFLOP/s counts the matrix products only (forward, dW, "
             "and dX except for the first layer); the floor is those products replayed alone with NumPy's "
             "matmul at the same shapes and dtype."
             + (f" `{reference}` is mlplab as it was at that commit (before issue 18), run by the same worker in "
                "the same rounds." if reference else ""), "",
             *(["Matrix-multiply peaks in the same run (2048x2048 float32, median over rounds): "
                + ", ".join(f"{lib} {statistics.median(v):.0f}" for lib, v in library_peaks.items())
                + f" GFLOP/s. So no float32 epoch of this network can take less than **{bound[0]:.2f} s** here: "
                f"its {flops_per_epoch(N_TRAIN) / 1e9:.0f} GFLOP of products at {bound[1]}'s peak, with nothing "
                "else.", ""] if bound else []),
             *main_table(configs, results, peak), "",
             "Round by round (mlplab's median epoch / PyTorch's, each round's processes run back to back; "
             "a slow spell of the shared machine shows as a whole round moving):", "",
             *round_lines(configs, results), "",
             "## The BLAS that ran", "",
             "As threadpoolctl reports it in each framework's process ('kernel' is OpenBLAS's core type, "
             "torch's CPU capability, XLA's device):", "", *kernel_lines(kernels)]
    if shared:
        lines += ["", "## Two runs at once", "", *shared_table(shared)]
    if "main" in configs:
        lines += ["", "## Targets", "", *targets(results, shared, baseline, bound)]
    return BEGIN + "\n" + "\n".join(lines) + "\n" + END


def write(path: str, block: str) -> None:
    """Replace the generated block of ``path``, keeping the hand-written analysis around it."""
    try:
        with open(path) as f:
            old = f.read()
    except FileNotFoundError:
        old = ""
    if BEGIN in old and END in old:
        text = old[:old.index(BEGIN)] + block + old[old.index(END) + len(END):]
    else:
        text = block + "\n"
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)
    print(f"wrote {path}")
