"""``trainsmart table build|check|info``: tuning tables from real runs (``tuning.table``)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table as RichTable

from trainsmart_bench.cli.options import DEVICES, add_timeout
from trainsmart_bench.errors import ConfigError

console = Console(highlight=False)


def add_parser(sub, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("table", help="tuning tables: train many configs once, tune on them")
    cmds = p.add_subparsers(dest="table_command", required=True, metavar="ACTION")
    b = cmds.add_parser("build", parents=[common],
                        help="train configurations of a task's space into a table (resumes)")
    b.add_argument("--task", required=True)
    b.add_argument("--backend", default="torch")
    b.add_argument("--device", default="cpu", choices=DEVICES)
    b.add_argument("--profile")
    b.add_argument("--configs", type=int, required=True,
                   help="configurations the table should hold (more extends it)")
    b.add_argument("--out", "--results", dest="out",
                   help="table file (default tables/<task>-<backend>.json.gz)")
    b.add_argument("--threads", type=int, default=1, help="intra-op threads per run (default 1)")
    b.add_argument("--jobs", type=int, default=1, help="runs at once, each its own process")
    b.add_argument("--seed", type=int, default=0, help="seed of the design")
    b.add_argument("--replicate-every", type=int, default=10,
                   help="every k-th configuration also trains with more seeds (default 10)")
    b.add_argument("--replicate-seeds", type=int, default=3,
                   help="seeds of a replicated configuration (default 3)")
    add_timeout(b, 3600.0, "seconds per run")
    b.add_argument("--no-grid", dest="grid", action="store_false", default=None,
                   help="leave the 3-point grid out of the design (for a small table; "
                        "extending a table keeps its design)")
    b.set_defaults(func=cmd_build)
    c = cmds.add_parser("check", parents=[common],
                        help="re-train recorded configurations and compare with the table")
    c.add_argument("table")
    c.add_argument("--configs", type=int, default=5)
    c.add_argument("--seed", type=int, default=0, help="which configurations (seeded choice)")
    c.add_argument("--jobs", type=int, default=1)
    add_timeout(c, 3600.0, "seconds per run")
    c.set_defaults(func=cmd_check)
    i = cmds.add_parser("info", help="what a table holds")
    i.add_argument("table")
    i.set_defaults(func=cmd_info)


def cmd_build(args) -> int:
    from trainsmart_bench.tasks import resolve_task
    from trainsmart_bench.tuning.table_build import BuildSettings, build

    if args.configs < 1 or args.jobs < 1 or args.threads < 1:
        raise ConfigError("--configs, --jobs and --threads must be at least 1")
    args.task = resolve_task(args.task).name  # a user task's spec: its name from here on
    out = Path(args.out or f"tables/{args.task}-{args.backend}.json.gz")
    s = BuildSettings(args.task, args.backend, args.device, args.profile, args.threads,
                      args.seed, args.replicate_every, args.replicate_seeds, args.data_dir,
                      args.timeout, args.grid)
    _check_data(args.task, args.data_dir)
    t0 = time.perf_counter()
    pick = max if resolve_task(args.task).direction.value == "max" else min

    def on_run(e, k, todo) -> None:
        best = pick((v for v in e["val"] if v is not None), default=None)
        console.print(f"{k}/{todo} config {e['index']} seed {e['seed']}: {e['status']} "
                      f"{_fmt(best)} in {e['wall_s']:.1f} s "
                      f"({time.perf_counter() - t0:.0f} s so far)")

    table = build(out, s, args.configs, args.jobs, on_run)
    _info(table)
    return 0


def _check_data(task: str, data_dir: str | None) -> None:
    from trainsmart_bench.datasets import get_loader
    from trainsmart_bench.registry import names
    from trainsmart_bench.tasks import resolve_task

    dataset = resolve_task(task).dataset
    if dataset in names("dataset"):
        get_loader(dataset, data_dir).require()


def _fmt(v) -> str:
    return "n/a" if v is None else f"{v:.4g}"


def cmd_check(args) -> int:
    from trainsmart_bench.tuning.table_build import check

    t = RichTable(title=f"{args.table}: re-trained configurations vs the table")
    for col in ("config", "final\ntable", "final\nnow", "best\ntable", "best\nnow", "tol.",
                "identity", "match"):
        t.add_column(col, min_width=max(map(len, col.split())))  # a word never folds
    results = check(args.table, args.configs, args.seed, args.jobs, args.data_dir,
                    args.timeout, on_check=lambda c: console.print(
                        f"config {c.index}: {'match' if c.ok else 'MISMATCH'}"))
    for c in results:
        t.add_row(str(c.index), _fmt(c.recorded[0]), _fmt(c.retrained[0]), _fmt(c.recorded[1]),
                  _fmt(c.retrained[1]), f"{max(c.tolerance):.4g}",
                  "same" if c.same_identity else "differs", "yes" if c.ok else "NO")
    console.print(t)
    console.print("tol.: the tolerance, the table's seed spread (median range over seeds of its "
                  "replicated configurations; the larger of final and best); identity: the "
                  "re-run's identity digest against the recorded run's", style="dim")
    return 0 if all(c.ok for c in results) else 1


def cmd_info(args) -> int:
    from trainsmart_bench.tuning.table import Table

    _info(Table.load(args.table))
    return 0


def _info(table) -> None:
    from trainsmart_bench.tuning.table import seed_spread

    h = table.header
    primary = table.primary()
    ok = [e for e in primary if e["status"] == "ok"]
    seconds = sum(s.get("seconds", 0.0) for s in h["sessions"])
    size = table.path.stat().st_size if table.path and table.path.is_file() else 0
    console.print(f"[bold]{table.path}[/]", soft_wrap=True)  # a path stays whole
    console.print(f"  {h['task']} on {h['backend']} ({h['device']}): {len(primary)} "
                  f"configurations ({len(ok)} ok), {len(table.entries)} runs, "
                  f"{table.max_epochs} epochs each; digest {table.digest}")
    if ok:
        spread = ", ".join(f"{k} {v:.4g}" for k, v in seed_spread(table).items()
                           if v is not None)
        console.print(f"  best {h['metric']} ({h['direction']}) {table.best_value():.4g}; "
                      f"top 5% {table.quantile(0.05):.4g}; median {table.quantile(0.5):.4g}; "
                      f"seed spread (median range over seeds): {spread or 'n/a'}")
    data = h["dataset"]
    checksum = f"sha256 {data['checksum'][:12]}" if data.get("checksum") else "no checksum"
    console.print(f"  built in {seconds / 60:.1f} min over {len(h['sessions'])} session(s); "
                  f"{size / 1e6:.2f} MB; data {data['name']} ({checksum})")
