"""The ``trainsmart`` command: data, tasks, run, tune, report."""

from __future__ import annotations

import argparse
import importlib
import sys

from trainsmart_bench import __version__
from trainsmart_bench.errors import TrainsmartError


def _common() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--data-dir", metavar="DIR",
                   help="dataset cache (default: $TRAINSMART_DATA_DIR or the user cache dir)")
    return p


def build_parser() -> argparse.ArgumentParser:
    from trainsmart_bench import cli_data, cli_run

    common = _common()
    parser = argparse.ArgumentParser(
        prog="trainsmart", description="Benchmark ML frameworks and tuners on real tasks."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    cli_data.add_parser(sub, common)
    cli_run.add_parsers(sub, common)
    for name in ("cli_tune", "cli_report", "cli_bench"):
        module = importlib.import_module(f"trainsmart_bench.{name}")
        module.add_parser(sub, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except TrainsmartError as exc:
        from rich.console import Console

        Console(stderr=True).print(f"[bold red]error:[/] {exc}", highlight=False)
        return 2
    except KeyboardInterrupt:
        print("interrupted; finished records are kept", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
