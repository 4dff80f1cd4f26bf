"""``trainsmart report``: one self-contained HTML page from result records."""

from __future__ import annotations

import argparse
import time
from pathlib import Path


def add_parser(sub, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "report", parents=[common], help="render results as a self-contained HTML report",
        description="Render run and tuning records as one HTML page: tables with bootstrap "
        "intervals, inline SVG charts, environment checks and an optional comparison.")
    p.add_argument("results", nargs="+", metavar="RESULTS",
                   help="record files or directories (searched recursively for *.json)")
    p.add_argument("-o", "--output", default="report.html", help="output file (report.html)")
    p.add_argument("--baseline", default="torch",
                   help="backend the ratios are computed against (default torch)")
    p.add_argument("--compare", nargs="+", default=[], metavar="OTHER_RESULTS",
                   help="a reference result set to diff against (e.g. an older commit)")
    p.add_argument("--title", default="trainsmart-bench report", help="page title")
    p.set_defaults(func=cmd_report)


def cmd_report(args) -> int:
    from rich.console import Console
    from rich.markup import escape

    from trainsmart_bench.errors import ConfigError
    from trainsmart_bench.report import build_report, write_report

    console = Console(highlight=False)
    missing = [p for p in [*args.results, *args.compare] if not Path(p).exists()]
    if missing:  # a typo must not publish an empty page
        raise ConfigError(f"no such results: {', '.join(missing)}; give the folders that "
                          f"`trainsmart run`/`tune` or `nox -s bench` wrote records into")
    t0 = time.perf_counter()
    result = build_report(args.results, baseline=args.baseline, compare=args.compare,
                          title=args.title)
    if not result.tables and not result.has_tuning and not result.served:
        why = "; ".join(f"{p.source}: {p.message}" for p in result.problems[:3])
        raise ConfigError(f"no run, tuning or inference records in "
                          f"{', '.join(args.results)}; nothing to report"
                          + (f" ({why})" if why else ""))
    size = write_report(args.output, result)
    elapsed = time.perf_counter() - t0
    runs = sum(len(row.records) for t in result.tables for row in t.rows)
    served = f", {result.served} inference records" if result.served else ""
    console.print(f"wrote [bold]{args.output}[/] ({size:,} bytes, {len(result.tables)} tasks, "
                  f"{runs} runs{served}) in {elapsed:.2f}s")
    for p in result.problems:
        console.print(f"[yellow]problem:[/] {escape(p.source)}: {escape(p.message)}",
                      soft_wrap=True)
    if result.regressions:
        console.print(f"[bold red]{result.regressions} regression(s)[/] against --compare")
    return 0
