"""Epoch time, throughput, memory and inference of mlplab beside JAX, PyTorch and scikit-learn, the
floor (the epoch's matrix products alone), and two runs at once.

Run it as a user's machine runs: without the variables these machines set to pin OpenBLAS to another
CPU's kernels (OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE), without a thread count pinned (not under
cpu-run), with nothing else running; the output warns about any of these variables that is set:

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python benchmarks/speed.py           # full: ~25 min on 2 cores
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python benchmarks/speed.py --quick   # short: < 2 min
    make bench                                                                                  # the full one

--quick is the main configuration, one round of one epoch per framework, and a short two-at-once
section; it checks that everything runs, its numbers are not the record.  The full run is every
configuration, three rounds of three epochs, and two rounds of two runs at once.

Every measurement runs in a fresh subprocess (so peak RSS is that job's own), and the frameworks
alternate round by round, so machine noise hits them alike.  mlplab, JAX and PyTorch train the same
architecture from the same initial weights on the same batches in the same order (SGD, momentum
0.9, lr 0.05, Fashion-MNIST 60,000 images, pixels scaled to [0, 1]); scikit-learn's MLPClassifier
shuffles with its own generator.  The table goes to benchmarks/RESULTS.md, the raw numbers to
RESULTS.json.

The no-regression targets compare with a column of its own, ``mlplab@REF``: mlplab as it was at
commit REF (``--reference``; by default the last commit before issue 18 changed the engine),
unpacked with ``git archive``, its C kernels built, and run by the same worker in the same rounds,
so both meet the same kernels and the same machine.  Each round also measures the matrix-multiply
peak of NumPy, PyTorch and JAX: the largest bounds any epoch from below (its products at that rate
and nothing else), which says whether a target is within reach on this machine at all.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

from speed_shared import run_shared
from speed_table import render, write
from speed_workers import CONFIGS, WORKERS, worker_peak

HERE = os.path.dirname(os.path.abspath(__file__))
REFERENCE = "bd31f1e"    # the last commit before issue 18's ops layer and trainer: the no-regression column
PEAK_LIBRARIES = ("numpy", "pytorch", "jax")
# The machines here set these: they make NumPy's OpenBLAS use Haswell's kernels on an AVX-512 CPU.
MACHINE_VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def environment_warnings() -> dict[str, str | None]:
    """Warn about every variable a user's machine does not set; returns them (None: unset)."""
    found = {name: os.environ.get(name) for name in MACHINE_VARIABLES + THREAD_VARIABLES}
    for name in MACHINE_VARIABLES:
        if found[name] is not None:
            print(f"speed.py: warning: {name}={found[name]} is set, so NumPy's OpenBLAS may not run this CPU's own "
                  "kernels; run with: env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE ...", file=sys.stderr)
    for name in THREAD_VARIABLES:
        if found[name] is not None:
            print(f"speed.py: warning: {name}={found[name]} is set: the libraries' thread counts are pinned, and "
                  "mlplab train's sharing of the cores is off", file=sys.stderr)
    return found


def run_worker(framework: str, config: str, epochs: int, source: str | None = None) -> dict:
    """One framework's job in a fresh process; ``source``: import mlplab from that ``src`` folder."""
    args = [sys.executable, __file__, "--worker", framework, "--config", config, "--epochs", str(epochs)]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [source, os.environ.get("PYTHONPATH")])))
    done = subprocess.run(args, capture_output=True, text=True, check=False, env=env if source else None)
    if done.returncode != 0:
        raise RuntimeError(f"{framework}/{config} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="the short run: main configuration, one round of one "
                        "epoch, a short two-at-once section (< 2 min)")
    parser.add_argument("--configs", nargs="*", choices=list(CONFIGS), help="only these configurations")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-sklearn", action="store_true")
    parser.add_argument("--no-jax", action="store_true")
    parser.add_argument("--no-shared", action="store_true", help="skip the two-runs-at-once section")
    parser.add_argument("--shared-rounds", type=int, default=2)
    parser.add_argument("--shared-limit", type=int, default=30000, help="training images per two-at-once run")
    parser.add_argument("--render", action="store_true", help="rewrite the table from the saved .json, no runs")
    parser.add_argument("--out", default=os.path.join(HERE, "RESULTS.md"))
    parser.add_argument("--reference", default=REFERENCE, help="a commit whose mlplab runs as a column of its own, "
                        f"for the no-regression targets (default {REFERENCE}, before issue 18)")
    parser.add_argument("--no-reference", action="store_true", help="skip the reference column")
    parser.add_argument("--baseline", default=os.path.join(HERE, "BASELINE.json"),
                        help="an earlier RESULTS.json, for the no-regression targets when there is no reference column")
    parser.add_argument("--worker", choices=[*WORKERS, "peak"], help=argparse.SUPPRESS)
    parser.add_argument("--config", default="main", choices=[*CONFIGS, *PEAK_LIBRARIES], help=argparse.SUPPRESS)
    parser.add_argument("--train-limit", type=int, default=0, help=argparse.SUPPRESS)
    return parser.parse_args()


def load_results(path: str) -> dict:
    with open(path) as f:
        raw = json.load(f)
    raw["results"] = {tuple(k.split("|")): v for k, v in raw["results"].items()}
    return raw


def main() -> int:
    args = parse_args()
    if args.worker == "peak":
        print(json.dumps(worker_peak(args.config)))
        return 0
    if args.worker:
        print(json.dumps(WORKERS[args.worker](args.config, args.epochs, args.train_limit)))
        return 0
    baseline = load_results(args.baseline)["results"] if os.path.isfile(args.baseline) else None
    json_path = os.path.splitext(args.out)[0] + ".json"
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    if args.render:
        raw = load_results(json_path)
    else:
        raw = measure(args)
        with open(json_path + ".tmp", "w") as f:
            json.dump({**raw, "results": {f"{f}|{c}": runs for (f, c), runs in raw["results"].items()}}, f, indent=1)
        os.replace(json_path + ".tmp", json_path)
    configs = [c for c in CONFIGS if ("mlplab", c) in raw["results"]]
    write(args.out, render(raw["command"], configs, raw["results"], raw["peaks"], raw.get("kernels", {}),
                           raw.get("environment", {}), raw.get("shared"), baseline, raw.get("library_peaks", {})))
    return 0


def measure(args: argparse.Namespace) -> dict:
    environment = environment_warnings()
    configs = ["main"] if args.quick else (args.configs or list(CONFIGS))
    rounds, epochs = (1, 1) if args.quick else (args.rounds, args.epochs)
    kernels: dict[str, list[dict]] = {}
    results: dict[tuple[str, str], list[dict]] = {}
    peaks, library_peaks = [], {}
    reference = None if args.no_reference else prepare_reference(args.reference)
    libraries = [lib for lib in PEAK_LIBRARIES if not (lib == "jax" and args.no_jax)]
    for r in range(rounds):
        for library in libraries:
            library_peaks.setdefault(library, []).append(run_worker_peak(library))
        peaks.append(library_peaks["numpy"][-1])
        for config in configs:
            jobs = [("mlplab", "mlplab", None)]
            if reference:
                jobs.append((reference[0], "mlplab", reference[1]))
            jobs += [(name, name, None) for name in ["jax"] * (not args.no_jax) + ["pytorch"]]
            if config == "main" and not args.no_sklearn and r < 2:
                jobs.append(("sklearn", "sklearn", None))
            for framework, worker, source in jobs:
                result = run_worker(worker, config, min(epochs, 2) if worker == "sklearn" else epochs, source)
                if source and not result.get("module", "").startswith(source):
                    raise RuntimeError(f"{framework} imported mlplab from {result.get('module')}, not from {source}")
                kernels.setdefault(framework, result.pop("kernels", []))
                results.setdefault((framework, config), []).append(result)
                print(f"round {r + 1} {config:9s} {framework:15s} epochs "
                      f"{['%.2f' % t for t in result['epoch_seconds']]} acc {result['test_accuracy']:.4f} "
                      f"rss {result['peak_rss_mib']:.0f} MiB", flush=True)
    for name, entries in kernels.items():
        for e in entries:
            print(f"kernel  {name:8s} {e.get('internal_api') or '?':9s} {e.get('version') or '':14s} "
                  f"{e.get('architecture') or ''} threads {e.get('num_threads') or ''}")
    shared = None
    if not args.no_shared:
        shared = run_shared(1 if args.quick else args.shared_rounds, 1 if args.quick else 2,
                            10000 if args.quick else args.shared_limit, log=lambda line: print(line, flush=True))
    return {"command": " ".join(["benchmarks/speed.py"] + sys.argv[1:]), "peaks": peaks, "kernels": kernels,
            "environment": environment, "shared": shared, "results": results, "library_peaks": library_peaks}


def run_worker_peak(library: str) -> float:
    done = subprocess.run([sys.executable, __file__, "--worker", "peak", "--config", library], capture_output=True,
                          text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])["gflops"]


def prepare_reference(ref: str) -> tuple[str, str]:
    """mlplab as it was at commit ``ref``, unpacked from git with its C kernels built (once, kept in the temp
    folder): returns the column's name ``mlplab@SHA`` and the ``src`` folder to import it from."""
    root = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=HERE, capture_output=True, text=True,
                          check=True).stdout.strip()
    sha = subprocess.run(["git", "rev-parse", "--short", ref], cwd=root, capture_output=True, text=True,
                         check=True).stdout.strip()
    folder = os.path.join(tempfile.gettempdir(), f"mlplab-reference-{sha}")
    ready = os.path.join(folder, ".built")
    if not os.path.isfile(ready):
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder)
        archive = subprocess.run(["git", "archive", sha, "src", "setup.py", "pyproject.toml"], cwd=root,
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", folder], input=archive, check=True)
        subprocess.run([sys.executable, "setup.py", "-q", "build_ext", "--inplace"], cwd=folder, check=True,
                       capture_output=True)
        open(ready, "w").close()
    print(f"reference: mlplab at {sha} in {folder}", flush=True)
    return f"mlplab@{sha}", os.path.join(folder, "src")


if __name__ == "__main__":
    sys.exit(main())
