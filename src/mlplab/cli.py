"""The ``mlplab`` command: ``train``, ``recipes``, ``evaluate``, ``predict``, ``inspect``, ``diagnose``,
``report``, ``compare``, ``autoencoder``, ``experiment``, ``sweep``, ``export``."""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np

from mlplab.atomic import write_text_atomic
from mlplab import backend
from mlplab.backend import to_numpy
from mlplab.cli_parser import build_parser
from mlplab.compare import compare_runs
from mlplab.config import RunConfig
from mlplab.data import load_dataset
from mlplab.data.csvdata import column_index
from mlplab.diagnostics import read_diagnostics
from mlplab.experiments import MODULES, experiment, load_result, run_experiment, write_page
from mlplab.export import export_run
from mlplab.findings import diagnose_run
from mlplab.naming import short_name
from mlplab.network import read_npz
from mlplab.recipes import find, recipes, shows
from mlplab.report import write_report
from mlplab.run import train_run
from mlplab.run_autoencoder import autoencoder_run
from mlplab.rundir import load_run
from mlplab.sweep import read_spec, run_sweep
from mlplab.train import TrainingDiverged, TrainingInterrupted, evaluate_batches


class UsageError(Exception):
    """A problem with what the user asked for: printed as one line, exit status 2."""


def config_from_args(args: argparse.Namespace, command: str) -> RunConfig:
    """The command's defaults, under a resumed run's ``config.toml``, under ``--config`` (a file or a
    shipped recipe), under the flags given: each layer checked as it is laid on, naming its key."""
    config = RunConfig.defaults(command)
    if getattr(args, "resume", None):
        config = config.merge_file(Path(args.resume) / "config.toml")
    if args.config:
        config = config.merge_file(find(args.config))
    flags = {name: getattr(args, name) for name in RunConfig.accepted(command) if hasattr(args, name)}
    if getattr(args, "resume", None):
        flags["out"] = args.resume
    return config.merge(flags)


def cmd_train(args: argparse.Namespace) -> int:
    config = config_from_args(args, "train")
    with backend.use(args.backend, args.device):
        summary = train_run(config, resume=bool(args.resume), progress=False if args.quiet else None,
                            overwrite=args.overwrite, threads=args.threads)
    print(f"test accuracy {summary['test_accuracy']:.4f}  test loss {summary['test_loss']:.4f}  "
          f"epochs {summary['epochs']}  train time {summary['train_seconds']:.1f}s  -> {config.out}")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    config, net, pre = load_run(args.run_dir)
    data = args.data or config["data"]
    label_column = config.get("label_column") if str(data).endswith(".csv") else None   # the run's own choice
    dataset = load_dataset(data, args.data_dir or config["data_dir"], seed=config["seed"], label_column=label_column)
    X = net.check_input(pre.transform(dataset.X_test, net.dtype))
    loss, acc = evaluate_batches(net, X, dataset.y_test)
    print(json.dumps({"test_accuracy": acc, "test_loss": loss, "n_test": int(X.shape[0]), "data": dataset.name}))
    return 0


def _read_features(path: str, n_features: int, label_column: int | str | None = None) -> np.ndarray:
    """The rows to predict: an .npz's X, or a .csv's numbers; a CSV with one column too many has a label
    column, the one the run was trained with (``label_column``; default the last), which is dropped."""
    if path.endswith(".npz"):
        arrays = read_npz(path, "input")
        key = next((k for k in ("X", "X_test", "X_train") if k in arrays), None)
        if key is None:
            raise UsageError(f"input {path!r} must hold an array X (or X_test); found {sorted(arrays)}")
        X = arrays[key].reshape(arrays[key].shape[0], -1)
    elif path.endswith(".csv"):
        with open(path, newline="") as f:
            rows = [row for row in csv.reader(f) if row]
        header = None
        try:
            float(rows[0][0])
        except (ValueError, IndexError):
            header, rows = rows[0], rows[1:]
        try:
            X = np.array(rows, dtype=np.float64)
        except ValueError as err:
            raise UsageError(f"input {path!r}: every row must be numbers ({err})") from None
        if X.ndim == 2 and X.shape[1] == n_features + 1:
            try:
                label = column_index(Path(path), label_column, header, X.shape[1])
            except ValueError as err:
                raise UsageError(f"input {path!r}: {err}") from None
            X = np.delete(X, label, axis=1)       # the label column
    else:
        raise UsageError(f"input {path!r} must end in .npz or .csv")
    if X.ndim != 2 or X.shape[1] != n_features:
        raise UsageError(f"input {path!r} has rows of {X.shape[1:] or 'no'} features; the model expects {n_features}")
    return X


def cmd_predict(args: argparse.Namespace) -> int:
    config, net, pre = load_run(args.run_dir)
    X = pre.transform(_read_features(args.input, net.in_features, config.get("label_column")), net.dtype)
    proba = to_numpy(net.predict_proba(X))
    out = io.StringIO(newline="") if args.output else sys.stdout
    writer = csv.writer(out)
    writer.writerow(["row", "class"] + [f"p{k}" for k in range(proba.shape[1])])
    for i, row in enumerate(proba):
        writer.writerow([i, int(row.argmax())] + [f"{p:.6g}" for p in row])
    if args.output:                      # whole or not at all; the line goes where the CSV would have gone
        write_text_atomic(args.output, out.getvalue())
        print(f"wrote {proba.shape[0]} predictions to {args.output}")
    return 0


def cmd_inspect(args: argparse.Namespace) -> int:
    found = read_diagnostics(args.run_dir)
    r = found.record_at(args.epoch)
    meta = found.index["records"][r]
    rows = found.table(meta["epoch"])
    print(f"{args.run_dir}: epoch {meta['epoch']} (after {meta['step']} updates), probe of "
          f"{found.index['probe_size']} examples, probe loss {meta['probe_loss']:.4f}; recorded epochs "
          f"{', '.join(map(str, found.epochs))}")
    for name in dict.fromkeys(row["name"] for row in rows):
        print(f"  {name}")
    activation_rows = [row for row in rows if "act_mean" in row]
    columns = [("pre_mean", "pre mean"), ("pre_std", "pre std"), ("pre_p15", "pre p15"), ("pre_p50", "pre p50"),
               ("pre_p85", "pre p85"), ("act_mean", "act mean"), ("act_std", "act std"),
               ("act_saturated", "saturated"), ("act_dead", "dead"), ("act_zero_fraction", "zeros"),
               ("grad_norm", "|dJ/dh|")]
    _print_table(["layer", "type"] + [title for _, title in columns],
                 [[short_name(row["name"]), row["type"]] + [row[key] for key, _ in columns] for row in activation_rows])
    print()
    _print_table(["layer", "type", "|dJ/dW|", "std dJ/dW", "update/weight"],
                 [[short_name(row["name"]), row["type"], row["dW_norm"], row["dW_std"], row["update_ratio"]]
                  for row in rows if "dW_norm" in row])
    return 0


def cmd_autoencoder(args: argparse.Namespace) -> int:
    config = config_from_args(args, "autoencoder")
    summary = autoencoder_run(config, progress=False if args.quiet else None)
    print(f"test MSE per pixel: deep autoencoder {summary['test_mse']:.5f}, PCA ({config.code} components) "
          f"{summary['pca_test_mse']:.5f} -> {'autoencoder' if summary['beats_pca'] else 'PCA'} is better  "
          f"-> {config.out}")
    return 0


def cmd_experiment(args: argparse.Namespace) -> int:
    if args.list or not args.name:
        for name in MODULES:
            module = experiment(name)
            print(f"{name:18s} {module.TITLE}  [{module.SOURCE}]")
        return 0
    names = list(MODULES) if args.name == "all" else [args.name]
    if args.name != "all" and args.name not in MODULES:
        raise UsageError(f"unknown experiment {args.name!r}; valid: {', '.join(MODULES)}, all")
    # one folder per experiment, so that two never overwrite each other: --out itself for one named
    # experiment (as given), else runs/experiments/NAME; with 'all', NAME under --out (or runs/experiments)
    root = Path(args.out) if args.out else Path("runs") / "experiments"
    if args.render:
        if args.name != "all" or not args.page:
            raise UsageError("--render rebuilds the page of 'all': give 'all' and --page")
        results = [load_result(root / name) for name in names]
        for result in results:                     # their README.md too, in the current format
            (root / result.name / "README.md").write_text(result.markdown("."))
        write_page(results, Path(args.page), root)
        print(f"wrote {args.page}")
        return 0
    if args.seeds is not None and args.seeds < 2:
        raise UsageError(f"--seeds must be at least 2 (a confidence interval needs two replicates), got {args.seeds}")
    results = []
    for name in names:
        out = Path(args.out) if args.out and args.name != "all" else root / name
        result = run_experiment(name, out, seeds=args.seeds, quick=args.quick)
        if args.page and not args.quick:       # the quick run beside it, so the page can mark disagreements
            quick = run_experiment(name, out / "quick", quick=True)
            result.quick_verdicts = {c.claim: c.verdict for c in quick.claims}
        results.append(result)
        for claim in result.claims:
            print(f"{name}: {claim.verdict.upper():15s} {claim.claim}\n    {claim.statistic}: {claim.estimate:.4g} "
                  f"[{claim.ci95[0]:.4g}, {claim.ci95[1]:.4g}] (predicted {claim.direction} {claim.threshold:.4g}, "
                  f"n = {claim.n})")
        counts = result.counts()
        print(f"{name}: " + ", ".join(f"{k} {v}" for k, v in counts.items()) + f" ({result.seconds:.0f} s) -> {out}")
    if args.page:
        write_page(results, Path(args.page), root)
        print(f"wrote {args.page}")
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    out = args.out or str(Path("runs") / "sweeps" / read_spec(args.spec).get("name", Path(args.spec).stem))
    rows = run_sweep(args.spec, out, executor=args.executor, workers=args.workers, address=args.address,
                     log=lambda text: print(text, file=sys.stderr))
    print((Path(out) / "results.md").read_text(), end="")
    print(f"{len(rows)} configurations -> {out}/results.md")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    print(export_run(args.run_dir, args.output, args.format))
    return 0


def cmd_recipes(args: argparse.Namespace) -> int:

    for name, path in recipes().items():
        print(f"{name}  ({path})")
        print(textwrap.indent(textwrap.fill(shows(path), 96), "    "))
    print("\nrun one with: mlplab train --config NAME (flags override its values)")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    print(write_report(args.run_dir))
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    print(f"wrote {compare_runs(args.runs, args.out, epoch=args.epoch)}")
    return 0


def cmd_diagnose(args: argparse.Namespace) -> int:

    findings = diagnose_run(args.run_dir)
    if args.json:
        print(json.dumps([f.record() for f in findings], indent=1, ensure_ascii=False))
        return 0
    if not findings:
        print(f"{args.run_dir}: no findings")
        return 0
    severe = sum(f.severe for f in findings)
    print(f"{args.run_dir}: {len(findings)} finding{'s' * (len(findings) != 1)}, {severe} severe")
    for finding in findings:
        print(finding.headline())
        for label, text in (("measured", finding.measured), ("threshold", finding.threshold),
                            ("advice", finding.advice)):
            print(textwrap.fill(text, 100, initial_indent=f"    {label + ':':11s}", subsequent_indent=" " * 15,
                                break_on_hyphens=False))
    return 0


def _print_table(header: list[str], rows: list[list[Any]]) -> None:
    def cell(value: Any) -> str:
        if isinstance(value, float):
            return "-" if value != value else f"{value:.4g}"       # NaN: not defined for this layer
        return str(value)
    text = [header] + [[cell(v) for v in row] for row in rows]
    widths = [max(len(line[k]) for line in text) for k in range(len(header))]
    for line in text:
        print("  ".join(value.rjust(width) if k > 1 else value.ljust(width)
                        for k, (value, width) in enumerate(zip(line, widths))).rstrip())


def main(argv: list[str] | None = None) -> int:
    """Run the command in ``argv`` (default: the process's arguments); returns the exit status."""
    try:
        status = _run(argv)
        sys.stdout.flush()          # inside the try: a reader that went away is noticed here, not at exit
        return status
    except BrokenPipeError:
        return _reader_gone()


def _reader_gone() -> int:
    """Standard output's reader closed the pipe (``mlplab predict RUN --input X.csv | head -1``): stop
    quietly, without a traceback or an error line.  As Python's documentation of SIGPIPE advises,
    standard output is pointed at /dev/null first, so the interpreter's last flush cannot fail again.
    The status is 141, what a shell reports for ``cat``, ``seq`` or ``grep`` ended the same way (128 +
    SIGPIPE): a pipeline checked with ``set -o pipefail`` can still tell a cut-off output from a whole one."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return 141


def _run(argv: list[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handlers = {"train": cmd_train, "evaluate": cmd_evaluate, "predict": cmd_predict, "inspect": cmd_inspect,
                "report": cmd_report, "compare": cmd_compare, "recipes": cmd_recipes, "autoencoder": cmd_autoencoder,
                "diagnose": cmd_diagnose,
                "experiment": cmd_experiment, "sweep": cmd_sweep, "export": cmd_export}
    try:
        return handlers[args.command](args)
    except TrainingDiverged as err:
        print(f"mlplab: training stopped: {err}", file=sys.stderr)
        return 3
    except BrokenPipeError:                    # not the machine's fault: the reader of our output left
        raise
    except (UsageError, ValueError, TypeError, FileNotFoundError) as err:
        print(f"mlplab {args.command}: error: {err}", file=sys.stderr)
        return 2
    except ImportError as err:                 # an optional dependency (onnx, ray) is not installed
        print(f"mlplab {args.command}: error: {err}", file=sys.stderr)
        return 1
    except OSError as err:                     # the machine's fault (disk full, permissions), not the input's
        print(f"mlplab {args.command}: error: {err.strerror or err}", file=sys.stderr)
        return 1
    except TrainingInterrupted as err:
        run_dir = getattr(args, "out", None) or getattr(args, "resume", None)
        again = f"; continue with: mlplab train --resume {run_dir}" if err.checkpoint and run_dir else ""
        print(f"mlplab: {err}{again}", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("mlplab: interrupted; the last checkpoint is kept", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
