"""``trainsmart tasks`` and ``trainsmart run``: the benchmark matrix, with live progress and a
summary table."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from trainsmart_bench.cli.options import DEVICES, add_training_options, parse_overrides, split
from trainsmart_bench.errors import ConfigError
from trainsmart_bench.execution.matrix import Cell, run_matrix
from trainsmart_bench.registry import names
from trainsmart_bench.results.records import RunRecord, Status
from trainsmart_bench.results.store import RecordStore
from trainsmart_bench.results.summary import summary_rows
from trainsmart_bench.tasks import get_task, task_names

console = Console(highlight=False)


def add_parsers(sub, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("tasks", help="list the built-in tasks")
    p.set_defaults(func=cmd_tasks)
    p = sub.add_parser("run", parents=[common], help="train task x backend x device x seed")
    add_training_options(p, results="runs",
                         task_help=f"comma-separated: {', '.join(task_names())}")
    p.add_argument("--backend", default="torch,keras",
                   help=f"comma-separated: {', '.join(names('backend'))} (default torch,keras)")
    p.add_argument("--device", default="cpu", help="comma-separated: cpu, cuda (default cpu)")
    p.add_argument("--seeds", type=int, default=3, help="repeats, seeds 0..N-1 (default 3)")
    p.set_defaults(func=cmd_run)


def cmd_tasks(args) -> int:
    table = Table(title="built-in tasks")
    for col in ("task", "dataset", "metric", "target", "profiles", "description"):
        table.add_column(col)
    for name in task_names():
        t = get_task(name)
        table.add_row(name, t.dataset, f"{t.metric} ({t.direction.value})", f"{t.target:g}",
                      ", ".join(t.profiles) or "-", t.description)
    console.print(table)
    return 0


def cmd_run(args) -> int:
    from trainsmart_bench.datasets import get_loader

    tasks = split(args.task, task_names(), "task")
    backends = split(args.backend, names("backend"), "backend")
    devices = split(args.device, DEVICES, "device")
    if args.seeds < 1:
        raise ConfigError("--seeds must be at least 1")
    params = parse_overrides(args.set)
    for t in tasks:  # validate before anything trains
        get_task(t).resolve(get_task(t).profile_or_none(args.profile), **params)
    for dataset in sorted({get_task(t).dataset for t in tasks}):
        get_loader(dataset, args.data_dir).require()  # missing data: say how to get it
    cells = [Cell(t, b, d, s, get_task(t).profile_or_none(args.profile))
             for t in tasks for b in backends for d in devices for s in range(args.seeds)]
    store = RecordStore(Path(args.results))
    with LiveProgress(len(cells)) as live:
        records = run_matrix(cells, store, resume=args.resume, on_record=live.record,
                             on_epoch=live.epoch, data_dir=args.data_dir, threads=args.threads,
                             timeout=args.timeout, params=params, ray_address=args.ray_address)
    print_summary(records)
    console.print(f"records: {store.root}")
    return 0 if all(r.status in (Status.OK, Status.SKIPPED) for r in records) else 1


class LiveProgress:
    """The matrix bar, and one line per running cell: epoch, loss, validation metric, ETA."""

    def __init__(self, total: int) -> None:
        self.bar = Progress(TextColumn("{task.description}"), BarColumn(bar_width=20),
                            MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn(),
                            console=console)
        self.total = self.bar.add_task("cells", total=total)
        self.running: dict[str, Any] = {}  # cell key -> rich task id

    def __enter__(self) -> LiveProgress:
        self.bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.__exit__(*exc)

    def epoch(self, cell: Cell, report: Mapping[str, Any]) -> None:
        metric = get_task(cell.task).metric
        text = (f"  {cell.task} {cell.backend} s{cell.seed} loss {float(report['loss']):.4f} "
                f"val {metric} {float(report['value']):.4f}")
        tid = self.running.get(cell.key)
        if tid is None:
            tid = self.running[cell.key] = self.bar.add_task(text, total=report.get("epochs"))
        self.bar.update(tid, description=text, completed=int(report["epoch"]),
                        total=report.get("epochs"))

    def record(self, rec: RunRecord, cached: bool) -> None:
        tid = self.running.pop(rec.key, None)
        if tid is not None:
            self.bar.remove_task(tid)
        note = " (recorded earlier)" if cached else ""
        colour = {"ok": "green", "skipped": "yellow"}.get(rec.status.value, "red")
        error = f": {rec.error.splitlines()[0]}" if rec.error else ""
        self.bar.console.print(f"[{colour}]{rec.status.value}[/] {rec.key}{note}{error}")
        self.bar.advance(self.total)


def print_summary(records: list[RunRecord]) -> None:
    header, rows = summary_rows(records)
    table = Table(title="median [95% bootstrap interval] over seeds")
    for col in header:
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(*row)
    console.print(table)

