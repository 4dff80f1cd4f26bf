"""``trainsmart tune --table FILE``: tuner comparisons on tuning tables (``tuning.compare``)."""

from __future__ import annotations

import math
import time

from rich.console import Console
from rich.table import Table as RichTable

from trainsmart_bench.cli.options import parse_overrides, scores_table
from trainsmart_bench.errors import ConfigError

console = Console(highlight=False)


def parse_workers(text: str) -> list[int]:
    try:
        out = [int(w) for w in text.split(",") if w.strip()]
    except ValueError:
        out = []
    if not out or min(out) < 1:
        raise ConfigError(f"--workers {text!r}: positive integers, e.g. 1,4,16")
    return out


def tune_tables(args, tuners: list[str]) -> int:
    from trainsmart_bench.tasks import resolve_task
    from trainsmart_bench.tuning.budget import from_flags, plan, trial_epochs
    from trainsmart_bench.tuning.compare import DEFAULT_STUDIES, run_comparison
    from trainsmart_bench.tuning.table import Table

    studies = DEFAULT_STUDIES if args.studies is None else args.studies
    if studies < 1:
        raise ConfigError("--studies must be at least 1")
    from_flags(args.budget, args.trials, args.epochs_budget, args.seconds)  # bad flags: now
    if not 0 < args.target_quantile < 1:
        raise ConfigError("--target-quantile must be between 0 and 1")
    workers = parse_workers(args.workers)
    params = parse_overrides(args.set)
    per_task: dict[str, dict[str, dict[str, float]]] = {}  # unit -> task -> tuner -> ttt
    for path in args.table.split(","):
        table = Table.load(path)
        table.task()  # loads a user task's code
        if args.task and args.task != table.header["task"]:
            raise ConfigError(f"{path} is a table of {table.header['task']}, not {args.task}")
        h = table.header
        check_tuners(tuners, h["task"], params)
        budget, limits = plan(args.budget, args.trials, args.epochs_budget, args.seconds,
                              tuners, trial_epochs(resolve_task(h["task"]), h["profile"], params))
        progress = _Progress(len(tuners) * studies * len(workers))
        groups = run_comparison(table, tuners, studies, limits["budget_trials"], args.results,
                                workers, budget_seconds=limits.get("budget_seconds"),
                                budget_epochs=limits.get("budget_epochs"),
                                budget_unit=limits["budget_unit"], params=params,
                                resume=args.resume, jobs=args.jobs, on_study=progress)
        console.print(f"[bold]{path}[/]", soft_wrap=True)  # a path stays whole
        console.print(f"  {len(tuners)} tuners x {studies} studies, budget "
                      f"{budget.label(simulated=True)} per study ({budget.spelled()}), "
                      f"W={','.join(map(str, workers))}: {progress.elapsed():.1f} s (table "
                      f"{table.digest}, {len(table.primary())} configurations)")
        _report(table, groups, args, per_task)
    if per_task:
        print_profiles(per_task)
    console.print(f"records: {args.results}", soft_wrap=True)
    return 0


def check_tuners(tuners: list[str], task_name: str, params: dict) -> None:
    """Every tuner builds on the task's space before any study starts (a plugin that does not
    load fails here, not in a worker process)."""
    from trainsmart_bench.tasks import resolve_task
    from trainsmart_bench.tuners import create_tuner
    from trainsmart_bench.tuning.study import tuning_space

    task = resolve_task(task_name)
    for name in tuners:
        create_tuner(name, tuning_space(task, params), task.direction, 0, max_epochs=1)


class _Progress:
    def __init__(self, total: int) -> None:
        self.total, self.done, self.t0 = total, 0, time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.t0

    def __call__(self, _summary) -> None:
        self.done += 1
        if self.done % max(1, self.total // 10) == 0 or self.done == self.total:
            console.print(f"  {self.done}/{self.total} studies, {self.elapsed():.0f} s",
                          style="dim")


def _report(table, groups, args, per_task) -> None:
    from trainsmart_bench.tuning.compare import by_workers, compare, table_target

    target = table_target(table, args.target_quantile)
    label = f"{table.header['task']} (table {table.digest[:8]})"
    for w, summaries in sorted(groups.items()):
        c = compare(summaries, target, args.alpha)
        print_scores(f"{label}, W={w}", c, args.alpha)
        print_pairs(c.pairs)
        print_to_target(c, args.target_quantile)
        if w == min(groups):
            for unit, times in c.to_target.items():
                per_task.setdefault(unit, {})[label] = {t: v.median for t, v in times.items()}
    if len(groups) > 1:
        print_workers(label, *by_workers(groups))


def _ci(s, digits: str = ".3g") -> str:
    if s is None or s.median is None:
        return "n/a"
    return f"{s.median:{digits}} ({s.low:{digits}}-{s.high:{digits}})"


WIDE = 110  # columns the one-row-per-tuner table needs with real intervals


def print_scores(label: str, c, alpha: float) -> None:
    """The scores of one comparison, narrow enough for 80 columns."""
    title = (f"{label}, budget {c.budget.label(simulated=True)} per study: final regret of "
             f"validation {c.metric} ({c.direction}), median (95% interval) over studies")
    cols = ["tuner", "n", "regret", "norm.", "rank", "avg rank", "epochs", "ms/trial"]
    rows = [[s.tuner, str(s.studies), _ci(s.regret), _ci(s.normalized, ".2f"), str(s.rank),
             "n/a" if s.average_rank is None else f"{s.average_rank:.2f}",
             "n/a" if s.epochs is None else f"{s.epochs:g}",
             "n/a" if s.overhead_s is None else f"{s.overhead_s * 1e3:.1f}"] for s in c.scores]
    t = scores_table(title, cols, rows, console.width, WIDE)
    console.print(t)
    console.print("regret: distance to the table's best value; norm.: normalized regret, "
                  "0 = best any study found, 1 = random search's median; rank: 1 + tuners "
                  "significantly better (pairwise Mann-Whitney U, Holm-adjusted, "
                  f"alpha={alpha}); avg rank: of best so far along the budget and over seeds; "
                  "epochs per study; tuner ms per trial", style="dim")


def print_pairs(pairs) -> None:
    sig = [p for p in pairs if p.significant]
    console.print(f"significant after Holm ({len(sig)} of {len(pairs)} pairs):"
                  f"{'' if sig else ' none'}")
    for p in sig:  # one pair a line: "better < worse"
        console.print(f"  {p.better} < {p.worse} (p={p.p_holm:.2g})")


def _fmt(v: float, digits: str = ".3g") -> str:
    return "miss" if not math.isfinite(v) else format(v, digits)


def print_to_target(c, q: float) -> None:
    t = RichTable(title=f"time to target within a budget of {c.budget.label(simulated=True)}: "
                        f"validation {c.metric} {c.target:.4g} (what the table's best {q:.0%} "
                        "reach), median over studies (reached/studies), by trials, epochs and "
                        "simulated seconds")
    for col in ("tuner", "trials", "epochs", "simulated s"):
        t.add_column(col, min_width=len(col), no_wrap=col == "tuner")
    tuners = sorted(c.to_target["trials"])
    for name in tuners:
        cells = [c.to_target[u][name] for u in ("trials", "epochs", "seconds")]
        t.add_row(name, *[f"{_fmt(v.median)} ({v.reached}/{v.studies})" for v in cells])
    console.print(t)


def print_workers(label: str, checkpoint: float, rows) -> None:
    t = RichTable(title=f"{label}: workers; regret median [95% interval]")
    for col in ("tuner", "W", "final regret", "sim. wall s", f"regret at {checkpoint:.0f} s"):
        t.add_column(col, min_width=len(col), no_wrap=col == "tuner")
    for r in sorted(rows, key=lambda r: (r.tuner, r.workers)):
        t.add_row(r.tuner, str(r.workers), r.regret.format(), f"{r.wallclock:.0f}",
                  _fmt(r.regret_at, ".4g"))
    console.print(t)
    console.print(f"regret at {checkpoint:.0f} s: what each study had found when the studies "
                  "with the most workers were done (median of their simulated wall clocks)",
                  style="dim")


def print_profiles(per_task) -> None:
    from trainsmart_bench.tuning.targets import TAU_MAX, profile_score, profiles

    t = RichTable(title=f"performance profiles over {len(next(iter(per_task.values())))} "
                        f"table(s): area under rho(tau), tau in [1, {TAU_MAX:g}]")
    units = list(per_task)
    t.add_column("tuner", no_wrap=True)
    for u in units:
        t.add_column(f"by {u}", min_width=len(f"by {u}"))
    prof = {u: profiles(per_task[u]) for u in units}
    for name in sorted(prof[units[0]]):
        t.add_row(name, *[f"{profile_score(prof[u][name]):.3f}" for u in units])
    console.print(t)
