"""``trainsmart calibrate``: reference convergence runs of tasks' default schedules, and the
validation targets they support (see ``training.calibrate``)."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from trainsmart_bench.cli.options import parse_overrides, split
from trainsmart_bench.cli.run import LiveProgress, check_profile, interleaved
from trainsmart_bench.errors import ConfigError
from trainsmart_bench.registry import names

console = Console(highlight=False)


def add_parser(sub, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("calibrate", parents=[common],
                       help="reference convergence runs: the validation target each task "
                            "supports, with epochs and seconds to it")
    p.add_argument("--task", required=True, help="comma-separated task names")
    p.add_argument("--backend", default="torch,keras", help="comma-separated (default torch,keras)")
    p.add_argument("--seeds", type=int, default=3, help="reference runs per backend (default 3)")
    p.add_argument("--profile", help="a task profile, e.g. cpu")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="calibrate another schedule (not the task's default)")
    p.add_argument("--threads", type=int, help="intra-op threads (default: physical cores)")
    p.add_argument("--results", default="runs/calibrate", help="record directory")
    p.add_argument("--write", action="store_true",
                   help="store the points in the package's tasks/convergence.json")
    p.set_defaults(func=cmd_calibrate)


def cmd_calibrate(args) -> int:
    from trainsmart_bench.execution.matrix import Settings, run_matrix
    from trainsmart_bench.results.store import RecordStore
    from trainsmart_bench.results.summary import by_task
    from trainsmart_bench.tasks import get_task, parse_tasks
    from trainsmart_bench.training import calibrate

    tasks = parse_tasks(args.task)
    backends = split(args.backend, names("backend"), "backend")
    if args.seeds < 2:
        raise ConfigError("--seeds must be at least 2: one run is not a reference")
    check_profile(args.profile, tasks)
    if args.write and args.set:
        raise ConfigError("--write stores the targets of the tasks' own schedules; with --set "
                          "the runs calibrate another schedule: leave out --write or --set")
    cells = interleaved(tasks, backends, ["cpu"], args.seeds, args.profile)
    settings = Settings(params=parse_overrides(args.set), data_dir=args.data_dir,
                        threads=args.threads or 0)
    with LiveProgress(len(cells)) as live:
        records = run_matrix(cells, RecordStore(Path(args.results)), settings,
                             on_plan=live.plan, on_record=live.record, on_epoch=live.epoch)
    command = "trainsmart " + shlex.join(sys.argv[1:])
    entries = {}
    for label, recs in by_task(records).items():
        spec = get_task(recs[0].task)
        entries[label] = calibrate.reference_entry(recs, spec.metric, spec.direction.value,
                                                   command)
    show(entries)
    if args.write:
        console.print(f"wrote {calibrate.save(entries)}")
        for label, e in entries.items():
            task, _, profile = label.partition("@")
            current = get_task(task).resolve(profile or None).target
            if current != e["target"]:
                console.print(f"{label}: its declared target is {current:g}; set it to "
                              f"{e['target']:g} in trainsmart_bench/tasks/builtin.py",
                              soft_wrap=True)
    return 0


def show(entries: dict) -> None:
    for label, e in entries.items():
        table = Table(title=f"{label}: {e['metric']} target {e['target']:g} on validation",
                      title_justify="left")
        for col in ("backend", "seed", "best", "epoch to target", "s to target", "epochs"):
            table.add_column(col, no_wrap=True, justify="left" if col == "backend" else "right")
        for r in e["runs"]:
            table.add_row(r["backend"], str(r["seed"]), f"{r['best']:.4f}",
                          str(r["epoch_to_target"] or "never"),
                          "never" if r["seconds_to_target"] is None
                          else f"{r['seconds_to_target']:.1f}", str(r["epochs"]))
        console.print(table)
