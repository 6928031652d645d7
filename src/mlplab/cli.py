"""The ``mlplab`` command: ``train``, ``recipes``, ``evaluate``, ``predict``, ``inspect``, ``diagnose``,
``report``, ``compare``, ``autoencoder``, ``experiment``, ``sweep``, ``export``."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

import mlplab
from mlplab.config import KEYS, read_toml, resolve


class UsageError(Exception):
    """A problem with what the user asked for: printed as one line, exit status 2."""


def _add_config_flags(parser: argparse.ArgumentParser) -> None:
    for name, key in KEYS.items():
        flag = "--" + name.replace("_", "-")
        default = key.default if not isinstance(key.default, list) else ",".join(map(str, key.default))
        text = f"{key.help} (default: {default})"
        if key.kind is bool:
            parser.add_argument(flag, dest=name, action=argparse.BooleanOptionalAction, default=argparse.SUPPRESS,
                                help=text)
        else:
            parser.add_argument(flag, dest=name, default=argparse.SUPPRESS, help=text,
                                metavar=name.upper(), choices=None)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mlplab", description="Train deep fully-connected networks with "
                                     "hand-written backpropagation, and look inside them.")
    parser.add_argument("--version", action="version", version=f"mlplab {mlplab.__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="train a network and write a run directory",
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    train.add_argument("--config", help="a TOML file with the same keys as the flags, or the name of a shipped "
                                        "recipe (mlplab recipes); flags override it")
    train.add_argument("--resume", metavar="RUN_DIR", help="continue the run in RUN_DIR from its last checkpoint")
    train.add_argument("--overwrite", action="store_true", help="replace the run in a non-empty --out folder "
                                                                   "(its run files; other files stay)")
    train.add_argument("--quiet", action="store_true", help="no progress output")
    _add_config_flags(train)

    evaluate = commands.add_parser("evaluate", help="test loss and accuracy of a finished run")
    evaluate.add_argument("run_dir")
    evaluate.add_argument("--data", help="evaluate on this dataset or file's test split instead of the run's")
    evaluate.add_argument("--data-dir", dest="data_dir")

    inspect = commands.add_parser("inspect", help="per-layer statistics a run recorded (--diagnostics)")
    inspect.add_argument("run_dir")
    inspect.add_argument("--epoch", type=int, help="the recorded epoch to show (default: the last; 0: before "
                                                   "training)")

    report = commands.add_parser("report", help="(re)write RUN_DIR/report.html with its figures")
    report.add_argument("run_dir")

    compare = commands.add_parser("compare", help="2 to 8 runs side by side on one HTML page: curves, configs, "
                                                  "final metrics, findings, per-layer statistics")
    compare.add_argument("runs", nargs="*", metavar="RUN", help="run folders (2 to 8)")
    compare.add_argument("--out", default="compare.html", help="the page to write (default: compare.html here)")
    compare.add_argument("--epoch", type=int, help="the epoch of the per-layer statistics (default: the last one "
                                                   "every run recorded; 0: before training)")

    diagnose = commands.add_parser("diagnose", help="what went wrong in a run: vanishing or exploding signals, "
                                   "saturated or dead units, update sizes, overfitting, divergence; each finding "
                                   "with its layers, numbers, the rule that fired and the lecture's remedy")
    diagnose.add_argument("run_dir")
    diagnose.add_argument("--json", action="store_true", help="print the findings as JSON records (as summary.json "
                                                              "stores them)")

    commands.add_parser("recipes", help="list the shipped recipes (train --config NAME) and what each shows")

    ae = commands.add_parser("autoencoder", help="the deep autoencoder (pre-trained, fine-tuned) against PCA",
                             formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ae.add_argument("--data", default="fashion-mnist", help="dataset name or .npz/.csv path")
    ae.add_argument("--data-dir", dest="data_dir", help="folder with IDX files")
    ae.add_argument("--hidden", default="1000,500,250", help="encoder hidden sizes (the decoder mirrors them)")
    ae.add_argument("--code", type=int, default=30, help="size of the linear code layer (and of PCA's)")
    ae.add_argument("--activation", default="sigmoid", help="hidden non-linearity")
    ae.add_argument("--pretrain", default="autoencoder", help="autoencoder, denoising, rbm or none")
    ae.add_argument("--pretrain-epochs", dest="pretrain_epochs", type=int, default=2, help="per encoder layer")
    ae.add_argument("--pretrain-lr", dest="pretrain_lr", type=float, default=1e-3, help="Adam's rate, pre-training")
    ae.add_argument("--epochs", type=int, default=10, help="end-to-end fine-tuning epochs")
    ae.add_argument("--lr", type=float, default=1e-3, help="Adam's rate, fine-tuning")
    ae.add_argument("--batch-size", dest="batch_size", type=int, default=100)
    ae.add_argument("--train-limit", dest="train_limit", type=int, default=0, help="use N training images (0: all)")
    ae.add_argument("--seed", type=int, default=0)
    ae.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    ae.add_argument("--out", default="runs/autoencoder")
    ae.add_argument("--quiet", action="store_true")

    exp = commands.add_parser("experiment", help="reproduce one of the lecture notes' experiments (or all)")
    exp.add_argument("name", nargs="?", help="an experiment (see --list) or 'all'")
    exp.add_argument("--list", action="store_true", help="name the experiments")
    exp.add_argument("--quick", action="store_true", help="the small version (seconds)")
    exp.add_argument("--seeds", type=int, help="seeds per configuration, at least 2 (default: the experiment's own, "
                                               "10 where a seed costs under a minute, never fewer than 5; 3 with "
                                               "--quick)")
    exp.add_argument("--out", default="runs/experiments", help="output folder (one sub-folder per experiment "
                                                               "with 'all')")
    exp.add_argument("--page", help="with 'all': write this Markdown page (e.g. EXPERIMENTS.md)")
    exp.add_argument("--render", action="store_true", help="with 'all' and --page: rebuild the page from the "
                                                           "results saved under --out, running nothing")

    sweep = commands.add_parser("sweep", help="a grid of training runs x seeds, on a local pool or Ray")
    sweep.add_argument("spec", help="the sweep's TOML spec (base, grid, cells, seeds)")
    sweep.add_argument("--out", help="sweep folder (default: runs/sweeps/<spec name>)")
    sweep.add_argument("--executor", default="local", choices=["local", "ray"])
    sweep.add_argument("--workers", type=int, help="local pool size (default: the CPU count)")
    sweep.add_argument("--address", help="Ray cluster address (default: start a local Ray instance)")

    export = commands.add_parser("export", help="write a finished run's model for other runtimes (ONNX)")
    export.add_argument("run_dir")
    export.add_argument("--format", default="onnx", choices=["onnx"], help="the file format")
    export.add_argument("--output", help="the file to write (default: RUN_DIR/model.onnx)")

    predict = commands.add_parser("predict", help="classes and probabilities for the rows of a file")
    predict.add_argument("run_dir")
    predict.add_argument("--input", required=True, help=".npz (X or X_test) or .csv (features; a last label "
                                                        "column is ignored when present)")
    predict.add_argument("--output", help="CSV file to write (default: standard output)")
    return parser


def cmd_train(args: argparse.Namespace) -> int:
    from mlplab.run import train_run
    flags = {name: getattr(args, name) for name in KEYS if hasattr(args, name)}
    file_values: dict[str, Any] = {}
    if args.resume:
        file_values = read_toml(Path(args.resume) / "config.toml")
        flags["out"] = args.resume
    if args.config:
        from mlplab.recipes import find
        file_values.update(read_toml(find(args.config)))
    config = resolve(file_values, flags)
    summary = train_run(config, resume=bool(args.resume), progress=False if args.quiet else None,
                        overwrite=args.overwrite)
    print(f"test accuracy {summary['test_accuracy']:.4f}  test loss {summary['test_loss']:.4f}  "
          f"epochs {summary['epochs']}  train time {summary['train_seconds']:.1f}s  -> {config['out']}")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from mlplab.data import load_dataset
    from mlplab.run import load_run
    from mlplab.train import evaluate_batches
    config, net, pre = load_run(args.run_dir)
    dataset = load_dataset(args.data or config["data"], args.data_dir or config["data_dir"], seed=config["seed"])
    X = net.check_input(pre.transform(dataset.X_test, net.dtype))
    loss, acc = evaluate_batches(net, X, dataset.y_test)
    print(json.dumps({"test_accuracy": acc, "test_loss": loss, "n_test": int(X.shape[0]), "data": dataset.name}))
    return 0


def _read_features(path: str, n_features: int) -> np.ndarray:
    from mlplab.network import read_npz
    if path.endswith(".npz"):
        arrays = read_npz(path, "input")
        key = next((k for k in ("X", "X_test", "X_train") if k in arrays), None)
        if key is None:
            raise UsageError(f"input {path!r} must hold an array X (or X_test); found {sorted(arrays)}")
        X = arrays[key].reshape(arrays[key].shape[0], -1)
    elif path.endswith(".csv"):
        with open(path, newline="") as f:
            rows = [row for row in csv.reader(f) if row]
        try:
            float(rows[0][0])
        except (ValueError, IndexError):
            rows = rows[1:]
        try:
            X = np.array(rows, dtype=np.float64)
        except ValueError as err:
            raise UsageError(f"input {path!r}: every row must be numbers ({err})") from None
        if X.ndim == 2 and X.shape[1] == n_features + 1:
            X = X[:, :-1]            # a label column
    else:
        raise UsageError(f"input {path!r} must end in .npz or .csv")
    if X.ndim != 2 or X.shape[1] != n_features:
        raise UsageError(f"input {path!r} has rows of {X.shape[1:] or 'no'} features; the model expects {n_features}")
    return X


def cmd_predict(args: argparse.Namespace) -> int:
    from mlplab.backend import to_numpy
    from mlplab.run import load_run
    _, net, pre = load_run(args.run_dir)
    X = pre.transform(_read_features(args.input, net.in_features), net.dtype)
    proba = to_numpy(net.predict_proba(X))
    out = open(args.output, "w", newline="") if args.output else sys.stdout
    try:
        writer = csv.writer(out)
        writer.writerow(["row", "class"] + [f"p{k}" for k in range(proba.shape[1])])
        for i, row in enumerate(proba):
            writer.writerow([i, int(row.argmax())] + [f"{p:.6g}" for p in row])
    finally:
        if args.output:
            out.close()
    return 0


def cmd_inspect(args: argparse.Namespace) -> int:
    from mlplab.diagnostics import read_diagnostics
    found = read_diagnostics(args.run_dir)
    r = found.record_at(args.epoch)
    meta = found.index["records"][r]
    rows = found.table(meta["epoch"])
    print(f"{args.run_dir}: epoch {meta['epoch']} (after {meta['step']} updates), probe of "
          f"{found.index['probe_size']} examples, probe loss {meta['probe_loss']:.4f}; recorded epochs "
          f"{', '.join(map(str, found.epochs))}")
    from mlplab.naming import short_name
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
    from mlplab.config import coerce
    from mlplab.run_autoencoder import autoencoder_run
    options = {k: v for k, v in vars(args).items() if k not in ("command", "quiet")}
    options["hidden"] = coerce("hidden", args.hidden)
    summary = autoencoder_run(options, progress=False if args.quiet else None)
    print(f"test MSE per pixel: deep autoencoder {summary['test_mse']:.5f}, PCA ({args.code} components) "
          f"{summary['pca_test_mse']:.5f} -> {'autoencoder' if summary['beats_pca'] else 'PCA'} is better  "
          f"-> {args.out}")
    return 0


def cmd_experiment(args: argparse.Namespace) -> int:
    from mlplab.experiments import MODULES, experiment, run_experiment, write_page
    if args.list or not args.name:
        for name in MODULES:
            module = experiment(name)
            print(f"{name:18s} {module.TITLE}  [{module.SOURCE}]")
        return 0
    names = list(MODULES) if args.name == "all" else [args.name]
    if args.name != "all" and args.name not in MODULES:
        raise UsageError(f"unknown experiment {args.name!r}; valid: {', '.join(MODULES)}, all")
    if args.render:
        if args.name != "all" or not args.page:
            raise UsageError("--render rebuilds the page of 'all': give 'all' and --page")
        from mlplab.experiments import load_result
        results = [load_result(Path(args.out) / name) for name in names]
        for result in results:                     # their README.md too, in the current format
            (Path(args.out) / result.name / "README.md").write_text(result.markdown("."))
        write_page(results, Path(args.page), Path(args.out))
        print(f"wrote {args.page}")
        return 0
    if args.seeds is not None and args.seeds < 2:
        raise UsageError(f"--seeds must be at least 2 (a confidence interval needs two replicates), got {args.seeds}")
    results = []
    for name in names:
        out = Path(args.out) / name if args.name == "all" else Path(args.out)
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
        write_page(results, Path(args.page), Path(args.out))
        print(f"wrote {args.page}")
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    from mlplab.sweep import read_spec, run_sweep
    out = args.out or str(Path("runs") / "sweeps" / read_spec(args.spec).get("name", Path(args.spec).stem))
    rows = run_sweep(args.spec, out, executor=args.executor, workers=args.workers, address=args.address,
                     log=lambda text: print(text, file=sys.stderr))
    print((Path(out) / "results.md").read_text(), end="")
    print(f"{len(rows)} configurations -> {out}/results.md")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from mlplab.export import export_run
    print(export_run(args.run_dir, args.output, args.format))
    return 0


def cmd_recipes(args: argparse.Namespace) -> int:
    import textwrap

    from mlplab.recipes import recipes, shows
    for name, path in recipes().items():
        print(f"{name}  ({path})")
        print(textwrap.indent(textwrap.fill(shows(path), 96), "    "))
    print("\nrun one with: mlplab train --config NAME (flags override its values)")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from mlplab.report import write_report
    print(write_report(args.run_dir))
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from mlplab.compare import compare_runs
    print(f"wrote {compare_runs(args.runs, args.out, epoch=args.epoch)}")
    return 0


def cmd_diagnose(args: argparse.Namespace) -> int:
    import textwrap

    from mlplab.findings import diagnose_run
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
    from mlplab.train import TrainingDiverged, TrainingInterrupted
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
