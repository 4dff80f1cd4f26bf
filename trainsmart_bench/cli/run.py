"""``trainsmart tasks`` and ``trainsmart run``: the benchmark matrix, with live progress and a
summary table."""

from __future__ import annotations

import argparse
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

from trainsmart_bench.cli.options import DEVICES, add_training_options, parse_overrides, split
from trainsmart_bench.cli.summary import FORMATS, render
from trainsmart_bench.errors import ConfigError
from trainsmart_bench.execution.matrix import Cell, Plan, Settings, run_matrix
from trainsmart_bench.mode import MODE_NAMES
from trainsmart_bench.registry import names
from trainsmart_bench.results.records import RunRecord, Status
from trainsmart_bench.results.store import RecordStore
from trainsmart_bench.results.unit import EpochReport
from trainsmart_bench.tasks import get_task, parse_tasks, task_names

console = Console(highlight=False)


def add_parsers(sub, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("tasks", help="list the built-in tasks, installed task plugins and the "
                                     "user tasks named")
    p.add_argument("spec", nargs="*", help="user tasks to show: path/to/file.py:NAME or "
                                           "package.module:NAME (loading one runs its code)")
    p.set_defaults(func=cmd_tasks)
    p = sub.add_parser("run", parents=[common], help="train task x backend x device x seed")
    add_training_options(p, results="runs",
                         task_help=f"comma-separated: {', '.join(task_names())}, or user tasks "
                                   "(path/to/file.py:NAME, package.module:NAME, an installed "
                                   "plugin's name)")
    p.add_argument("--backend", default="torch,keras",
                   help=f"comma-separated: {', '.join(names('backend'))} (default torch,keras)")
    p.add_argument("--device", default="cpu", help="comma-separated: cpu, cuda (default cpu)")
    p.add_argument("--mode", default="eager",
                   help="comma-separated execution modes, <compiler>[-<precision>]: eager, "
                        "compiled, max-autotune, each optionally -bf16 or -fp16, e.g. "
                        "eager,compiled,eager-bf16 (default eager: strict fp32, no compiler)")
    p.add_argument("--seeds", type=int, default=3, help="repeats, seeds 0..N-1 (default 3)")
    p.add_argument("--cpus", metavar="LIST",
                   help="pin every run's process to these cores, e.g. 0,1 or 2-3 (threads "
                        "default to their count)")
    p.add_argument("--format", choices=FORMATS, default="table",
                   help="summary as a table (default), or json/csv for scripts")
    p.add_argument("--save-model", action="store_true",
                   help="keep each trained model in its framework's format (RESULTS/models/, "
                        "named by the run's identity, its digest in the record) for "
                        "`trainsmart infer`; a recorded run without its model trains again")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="after each run, where its time went: spawn, imports, data, build, "
                        "epochs, validation, inference, test interval, exit (seconds)")
    p.set_defaults(func=cmd_run)


def cmd_tasks(args) -> int:
    from trainsmart_bench.tasks import plugins
    from trainsmart_bench.training.calibrate import load, source

    convergence = load()
    shown = [get_task(t).name for t in args.spec] if getattr(args, "spec", None) else []
    for name in [*task_names(), *shown]:
        t = get_task(name)
        data = "its own data" if t.plugin else t.dataset
        console.print(f"[bold]{name}[/]  {data}, {t.metric} ({t.direction.value}): "
                      f"{t.description}")
        if t.plugin:
            have = [f for f in ("keras", "torch", "sklearn") if t.plugin.builder(f)]
            console.print(f"  from {t.plugin.source} (code digest {t.plugin.digest[:12]}); "
                          f"builders: {', '.join(have)}")
        for label, target, prof in [(name, t.target, None)] + [
                (f"{name}@{p}", v.get("target", t.target), p) for p, v in t.profiles.items()]:
            where = f"profile {prof}: " if prof else ""
            why = source(label, convergence) or "not calibrated on this suite's reference runs"
            console.print(f"  {where}target {target:g} on validation; {why}")
        console.print(f"  reference: {t.reference}")
    for name, ep in sorted(plugins.entry_points().items()):
        dist = f"{ep.dist.metadata['Name']} {ep.dist.version}" if ep.dist else "?"
        console.print(f"[bold]{name}[/]  installed plugin ({dist}: {ep.value}); "
                      f"--task {name} loads it")
    return 0


def cmd_run(args) -> int:
    from trainsmart_bench.datasets import get_loader

    tasks = parse_tasks(args.task)
    backends = split(args.backend, names("backend"), "backend")
    devices = split(args.device, DEVICES, "device")
    modes = tuple(split(args.mode, MODE_NAMES, "mode"))
    if args.seeds < 1:
        raise ConfigError("--seeds must be at least 1")
    check_profile(args.profile, tasks)
    params = parse_overrides(args.set)
    for t in tasks:  # a bad value fails here, before anything trains
        get_task(t).resolve(get_task(t).profile_or_none(args.profile), **params)
    for dataset in sorted({get_task(t).dataset for t in tasks}):
        get_loader(dataset, args.data_dir).require()  # missing data: say how to get it
    cells = interleaved(tasks, backends, devices, args.seeds, args.profile, modes,
                        args.protocol)
    settings = Settings(params=params, data_dir=args.data_dir, threads=args.threads or 0,
                        cpus=parse_cpus(args.cpus), timeout=args.timeout,
                        save_models=str(Path(args.results) / "models") if args.save_model
                        else None)
    store = RecordStore(Path(args.results))
    quiet = args.format != "table"
    with LiveProgress(len(cells), quiet, phases=args.verbose) as live:
        records = run_matrix(cells, store, settings, resume=args.resume, on_plan=live.plan,
                             on_record=live.record, on_epoch=live.epoch,
                             ray_address=args.ray_address)
    render(records, args.format, console)
    if not quiet:
        console.print(f"records: {store.root}")
    return 0 if all(r.status in (Status.OK, Status.SKIPPED) for r in records) else 1


def check_profile(profile: str | None, tasks: list[str]) -> None:
    """A profile that no selected task has is a typo, not a no-op."""
    if profile and not any(profile in get_task(t).profiles for t in tasks):
        have = sorted({p for t in tasks for p in get_task(t).profiles})
        raise ConfigError(f"--profile {profile!r}: none of {', '.join(tasks)} has it "
                          f"(profiles: {', '.join(have) or 'none'})")


def interleaved(tasks: list[str], backends: list[str], devices: list[str], seeds: int,
                profile: str | None, modes: tuple[str, ...] = ("eager",),
                protocol: str | None = None) -> list[Cell]:
    """Seed 0 of every task, fold, backend, device and mode, then seed 1, ...: drift of the
    machine spreads over every backend instead of turning into a difference between them."""
    from trainsmart_bench.training.protocols import folds

    by_task = {t: [f.label if f else None for f in folds(protocol, get_task(t))] for t in tasks}
    return [Cell(t, b, d, s, get_task(t).profile_or_none(profile), m, f)
            for s in range(seeds) for t in tasks for f in by_task[t] for d in devices
            for b in backends for m in modes]


def parse_cpus(text: str | None) -> tuple[int, ...] | None:
    """``0,1`` or ``2-3`` or ``0,2-3`` -> a tuple of core numbers this process may use."""
    if not text:
        return None
    import os

    cores: list[int] = []
    try:
        for part in text.split(","):
            lo, _, hi = part.strip().partition("-")
            cores += range(int(lo), int(hi or lo) + 1)
    except ValueError:
        raise ConfigError(f"--cpus {text!r}: expected core numbers like 0,1 or 2-3") from None
    allowed = os.sched_getaffinity(0)
    bad = sorted(set(cores) - allowed)
    if bad or not cores:
        raise ConfigError(f"--cpus {text!r}: cores {bad or cores} are not available here "
                          f"(available: {sorted(allowed)})")
    return tuple(sorted(set(cores)))


class LiveProgress:
    """The matrix bar, and one line per running cell: epoch, loss, validation metric, ETA."""

    def __init__(self, total: int, quiet: bool = False, phases: bool = False) -> None:
        self.bar = Progress(TextColumn("{task.description}"), BarColumn(bar_width=20),
                            MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn(),
                            console=Console(stderr=True, highlight=False) if quiet else console,
                            disable=quiet)
        self.quiet, self.phases = quiet, phases
        self.total = self.bar.add_task("cells", total=total)
        self.running: dict[str, Any] = {}  # cell key -> rich task id

    def __enter__(self) -> LiveProgress:
        self.bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.__exit__(*exc)

    def plan(self, p: Plan) -> None:
        """How many cells are reused, and why each of the others runs."""
        reasons: dict[str, int] = {}
        for why in p.why.values():
            reasons[why] = reasons.get(why, 0) + 1
        detail = "; ".join(f"{n} {why}" for why, n in reasons.items())
        self.bar.console.print(f"{len(p.reused)} of {len(p.cells)} cells reused (same identity)"
                               + (f", {len(p.todo)} to run: {detail}" if p.todo else ""),
                               soft_wrap=True)

    def epoch(self, cell: Cell, report: EpochReport) -> None:
        metric = get_task(cell.task).metric
        how = "" if cell.mode == "eager" else f" {cell.mode}"
        loss = "" if report.loss is None else f"loss {report.loss:.4f} "
        text = (f"  {cell.task} {cell.backend}{how} s{cell.seed} "
                f"{loss}val {metric} {report.value:.4f}")
        tid = self.running.get(cell.key)
        if tid is None:
            tid = self.running[cell.key] = self.bar.add_task(text, total=report.epochs)
        self.bar.update(tid, description=text, completed=report.epoch, total=report.epochs)

    def record(self, rec: RunRecord, cached: bool) -> None:
        tid = self.running.pop(rec.key, None)
        if tid is not None:
            self.bar.remove_task(tid)
        note = " (reused)" if cached else ""
        colour = {"ok": "green", "skipped": "yellow"}.get(rec.status.value, "red")
        error = f": {rec.error.splitlines()[0]}" if rec.error else ""
        if not self.quiet:
            self.bar.console.print(f"[{colour}]{rec.status.value}[/] {rec.key}{note}{error}",
                                   soft_wrap=True)
            if self.phases and not cached and rec.timings.get("phases"):
                from trainsmart_bench.results.phases import describe

                width = max(40, self.bar.console.width - 2)
                self.bar.console.print(describe(rec.timings["phases"], width), markup=False,
                                       highlight=False, soft_wrap=True)
        self.bar.advance(self.total)

