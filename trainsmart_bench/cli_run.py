"""``trainsmart tasks`` and ``trainsmart run``: the benchmark matrix, with a summary table."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from trainsmart_bench.datasets import get_loader
from trainsmart_bench.errors import ConfigError
from trainsmart_bench.records import RecordStore, RunRecord, Status
from trainsmart_bench.registry import names
from trainsmart_bench.runner import DEFAULT_TIMEOUT, Cell, run_matrix
from trainsmart_bench.summary import summary_rows
from trainsmart_bench.tasks import get_task, task_names

console = Console(highlight=False)
DEVICES = ("cpu", "cuda")


def add_parsers(sub, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("tasks", help="list the built-in tasks")
    p.set_defaults(func=cmd_tasks)
    p = sub.add_parser("run", parents=[common], help="train task x backend x device x seed")
    p.add_argument("--task", required=True, help=f"comma-separated: {', '.join(task_names())}")
    p.add_argument("--backend", default="torch,keras",
                   help=f"comma-separated: {', '.join(names('backend'))} (default torch,keras)")
    p.add_argument("--device", default="cpu", help="comma-separated: cpu, cuda (default cpu)")
    p.add_argument("--seeds", type=int, default=3, help="repeats, seeds 0..N-1 (default 3)")
    p.add_argument("--profile", help="a task profile, e.g. cpu for cifar10-resnet")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a hyperparameter, e.g. --set epochs=2 (repeatable)")
    p.add_argument("--results", default="runs", help="record directory (default ./runs)")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds per run")
    p.add_argument("--threads", type=int, help="intra-op threads (default: physical cores)")
    p.add_argument("--ray-address", metavar="ADDR",
                   help="run the cells as Ray tasks on this existing cluster (auto, host:6379)")
    p.add_argument("--no-resume", dest="resume", action="store_false",
                   help="re-run cells that already have a record")
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


def _split(value: str, valid: list[str] | tuple[str, ...], what: str) -> list[str]:
    items = [v.strip() for v in value.split(",") if v.strip()]
    bad = [v for v in items if v not in valid]
    if bad or not items:
        raise ConfigError(f"unknown {what} {bad or value!r}; choose from: {', '.join(valid)}")
    return items


def parse_overrides(pairs: list[str]) -> dict[str, object]:
    import json

    out: dict[str, object] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise ConfigError(f"--set {pair!r}: expected KEY=VALUE, e.g. --set epochs=2")
        try:
            out[key] = json.loads(raw)
        except json.JSONDecodeError:
            out[key] = raw
    return out


def cmd_run(args) -> int:
    tasks = _split(args.task, task_names(), "task")
    backends = _split(args.backend, names("backend"), "backend")
    devices = _split(args.device, DEVICES, "device")
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
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=console) as bar:
        job = bar.add_task("running", total=len(cells))

        def on_record(rec: RunRecord, cached: bool) -> None:
            note = " (recorded earlier)" if cached else ""
            colour = {"ok": "green", "skipped": "yellow"}.get(rec.status.value, "red")
            bar.console.print(f"[{colour}]{rec.status.value}[/] {rec.key}{note}"
                              + (f": {rec.error.splitlines()[0]}" if rec.error else ""))
            bar.advance(job)

        bar.update(job, description="running")
        records = run_matrix(cells, store, resume=args.resume, on_record=on_record,
                             data_dir=args.data_dir, threads=args.threads,
                             timeout=args.timeout, params=params,
                             ray_address=args.ray_address)
    print_summary(records)
    console.print(f"records: {store.root}")
    return 0 if all(r.status in (Status.OK, Status.SKIPPED) for r in records) else 1


def print_summary(records: list[RunRecord]) -> None:
    header, rows = summary_rows(records)
    table = Table(title="median [95% bootstrap interval] over seeds")
    for col in header:
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(*row)
    console.print(table)
