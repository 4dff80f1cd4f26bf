"""The ``trainsmart`` command: data, tasks, run, tune, infer, report, bench-compare, check.

One module per command, each with ``add_parser(sub, common)``; shared options live in
``cli.options``.
"""

from __future__ import annotations

import argparse
import sys

from trainsmart_bench import __version__
from trainsmart_bench.errors import TrainsmartError


def build_parser() -> argparse.ArgumentParser:
    from trainsmart_bench.cli import (
        bench,
        calibrate,
        check,
        data,
        infer,
        report,
        run,
        table,
        tune,
    )
    from trainsmart_bench.cli.options import common

    shared = common()
    parser = argparse.ArgumentParser(
        prog="trainsmart", description="Benchmark ML frameworks and tuners on real tasks."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    data.add_parser(sub, shared)
    run.add_parsers(sub, shared)
    for module in (tune, table, infer, report, bench, calibrate, check):
        module.add_parser(sub, shared)
    return parser


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt  # SIGTERM cleans up like Ctrl-C: the running child is killed


def main(argv: list[str] | None = None) -> int:
    import signal

    signal.signal(signal.SIGTERM, _interrupt)
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        from trainsmart_bench.execution.process import warm_starts

        with warm_starts(getattr(args, "start", "cold") == "warm"):
            return int(args.func(args) or 0)
    except TrainsmartError as exc:
        from rich.console import Console
        from rich.markup import escape

        Console(stderr=True).print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False,
                                   soft_wrap=True)
        return 2
    except BrokenPipeError:  # the reader of a pipe went away (`| head`): not an error
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("interrupted; finished records are kept", file=sys.stderr)
        return 130
