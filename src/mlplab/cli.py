"""The ``mlplab`` command."""

from __future__ import annotations

import argparse
import sys

import mlplab


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mlplab", description=mlplab.__doc__)
    parser.add_argument("--version", action="version", version=f"mlplab {mlplab.__version__}")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    parser.parse_args(argv)
    parser.print_help()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
