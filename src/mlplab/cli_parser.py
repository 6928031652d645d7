"""The ``mlplab`` command's arguments: one parser per command, ``train``'s and ``autoencoder``'s flags
generated from :class:`mlplab.config.RunConfig` (the keys each command reads) in their sections, and a
mistyped flag answered with the command's own usage and the flag it was probably meant to be."""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import mlplab
from mlplab.config import GROUPS, Key, keys, valid_values
from mlplab.backend import NAMES as BACKENDS
from mlplab.threads import parse_threads

TRAIN_USAGE = ("mlplab train [-h] [--config NAME_OR_FILE] [--resume RUN_DIR] [--overwrite] [--quiet] [--threads N] "
               "[--backend NAME] [--device DEV] "
               "[--KEY VALUE ...]")


class Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` that refuses prefix abbreviations (``--epoch 2`` is not ``--epochs 2``) and
    answers an unknown flag with the usage of the command it was given to and the closest real flag."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)          # every parser: the subcommands inherit this class
        super().__init__(*args, **kwargs)

    def parse_args(self, args: Sequence[str] | None = None, namespace: Any = None) -> Any:  # type: ignore[override]
        args = list(sys.argv[1:] if args is None else args)
        parser, rest = self._command_of(args)
        parser.refuse_unknown_flags(rest)       # before argparse's own checks, so a typo is named first
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:                              # a stray positional: the command's usage, not the top level's
            parser.error(f"unrecognized argument{'s' * (len(extras) > 1)}: {' '.join(extras)}")
        return parsed

    def _command_of(self, args: list[str]) -> tuple[Parser, list[str]]:
        """The parser of the command in ``args`` (this one when there is none) and the arguments it reads."""
        commands = next((a.choices for a in self._actions if isinstance(a, argparse._SubParsersAction)), {})
        for i, arg in enumerate(args):
            if arg == "--":
                break
            if not arg.startswith("-"):
                if arg in commands:
                    return commands[arg], args[i + 1:]
                if commands:
                    match = difflib.get_close_matches(arg, list(commands), n=1)
                    self.error(f"unknown command {arg!r}; " + (f"did you mean {match[0]}?" if match else
                                                               f"valid: {', '.join(commands)}"))
                return self, args[:i]
        return self, args

    def flags(self) -> list[str]:
        return [flag for action in self._actions for flag in action.option_strings if flag.startswith("--")]

    def refuse_unknown_flags(self, args: list[str]) -> None:
        """Exit 2 with this parser's usage at the first ``--flag`` it does not know, suggesting the closest one."""
        known = self.flags()
        for arg in args:
            if arg == "--":
                return
            flag = arg.split("=", 1)[0]
            if flag.startswith("--") and flag not in known:
                # an abbreviation (--epoch, --hid) means the flag it begins; else the closest spelling
                begun = [name for name in known if name.startswith(flag)]
                match = difflib.get_close_matches(flag, begun or known, n=1, cutoff=0.0 if begun else 0.6)
                hint = f"did you mean {match[0]}?" if match else f"{self.prog} --help lists the flags"
                self.error(f"unknown flag {flag}; {hint}")

    def error(self, message: str) -> NoReturn:
        """The usage, then one line: ``mlplab train: error: unknown flag --hiden; did you mean --hidden?``."""
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


class _HelpFormatter(argparse.HelpFormatter):
    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=30, width=min(100, argparse.HelpFormatter(prog)._width + 2))


def config_flag_help(name: str, command: str = "train", key: Key | None = None) -> str:
    """A config key's ``--help`` line: what it does, the values it takes, its default (the command's)."""
    key = key or keys(command)[name]
    if isinstance(key.default, bool):
        default = " (default: on)" if key.default else " (default: off)"
    elif isinstance(key.default, list):
        default = f" (default: {','.join(map(str, key.default))})"
    else:                                   # None: the help says what happens without the key
        default = "" if key.default is None else f" (default: {key.default})"
    values = valid_values(name)
    listed = f"; valid: {', '.join(values)}" if values else ""
    return f"{key.help}{listed}{default}".replace("%", "%%")


def add_config_flags(parser: argparse.ArgumentParser, command: str = "train") -> None:
    """Every config key ``command`` reads as a flag (``hidden`` -> ``--hidden``), in the sections of
    :data:`GROUPS` that have one."""
    known = keys(command)
    used = {key.group for key in known.values()}
    sections = {group: parser.add_argument_group(group, description) for group, description in GROUPS.items()
                if group in used}
    for name, key in known.items():
        section = sections.get(key.group) or sections.setdefault(key.group, parser.add_argument_group("other"))
        flag = "--" + name.replace("_", "-")
        if key.kind is bool:
            section.add_argument(flag, dest=name, action=argparse.BooleanOptionalAction, default=argparse.SUPPRESS,
                                 help=config_flag_help(name, command, key))
        else:
            section.add_argument(flag, dest=name, default=argparse.SUPPRESS, help=config_flag_help(name, command, key),
                                 metavar=name.upper())


def _threads(text: str) -> int:
    """``--threads``' type: argparse's message then names the flag and the value."""
    try:
        return parse_threads(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def build_parser() -> Parser:
    parser = Parser(prog="mlplab", description="Train deep fully-connected networks with hand-written "
                    "backpropagation, and look inside them.")
    parser.add_argument("--version", action="version", version=f"mlplab {mlplab.__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="train a network and write a run directory", usage=TRAIN_USAGE,
                                formatter_class=_HelpFormatter,
                                description="Train a network and write a run directory. Every flag below is also "
                                "a key of a --config TOML file (hidden = [1000, 500], batchnorm = true); flags "
                                "override the file.")
    train.add_argument("--config", metavar="NAME_OR_FILE", help="a TOML file with the same keys as the flags, or "
                       "the name of a shipped recipe (mlplab recipes); flags override it")
    train.add_argument("--resume", metavar="RUN_DIR", help="continue the run in RUN_DIR from its last checkpoint; "
                       "with another --epochs, a cosine schedule goes on from its current rate (it never jumps "
                       "back up), and a line says what happens to the rate")
    train.add_argument("--overwrite", action="store_true", help="replace the run in a non-empty --out folder "
                                                                   "(its run files; other files stay)")
    train.add_argument("--quiet", action="store_true", help="no progress output")
    train.add_argument("--threads", type=_threads, metavar="N", help="BLAS threads for this run (default: the "
                       "cores shared evenly with the other mlplab runs running now, unless OPENBLAS_NUM_THREADS "
                       "or OMP_NUM_THREADS is set; see mlplab.threads)")
    train.add_argument("--backend", choices=BACKENDS, default="numpy", help="the array library the run computes "
                       "with (numpy: the C kernels; torch, cupy: a GPU with --device cuda; array_api_strict: the "
                       "standard alone, slow, for checking); the model file is the same plain .npz on every backend")
    train.add_argument("--device", metavar="DEV", help="where the backend's arrays live: cuda, cuda:1, cpu "
                       "(default: the backend's own default)")
    add_config_flags(train)

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
                             formatter_class=_HelpFormatter,
                             description="The deep autoencoder (pre-trained, fine-tuned) against PCA with the same "
                             "code size. Every flag below is also a key of a --config TOML file with command = "
                             "\"autoencoder\"; flags override the file.")
    ae.add_argument("--config", metavar="FILE", help="a TOML file with command = \"autoencoder\" and the same keys "
                    "as the flags; flags override it")
    ae.add_argument("--quiet", action="store_true", help="no progress output")
    add_config_flags(ae, "autoencoder")

    exp = commands.add_parser("experiment", help="reproduce one of the lecture notes' experiments (or all)")
    exp.add_argument("name", nargs="?", help="an experiment (see --list) or 'all'")
    exp.add_argument("--list", action="store_true", help="name the experiments")
    exp.add_argument("--quick", action="store_true", help="the small version (seconds)")
    exp.add_argument("--seeds", type=int, help="seeds per configuration, at least 2 (default: the experiment's own, "
                                               "10 where a seed costs under a minute, never fewer than 5; 3 with "
                                               "--quick)")
    exp.add_argument("--out", help="output folder (default: runs/experiments/NAME; with 'all', the folder that "
                                   "holds one sub-folder per experiment, default runs/experiments)")
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
    predict.add_argument("--output", help="CSV file to write, then one line on standard output saying so (default: "
                                          "the CSV on standard output)")
    return parser
