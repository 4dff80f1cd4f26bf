"""``trainsmart tune``: studies of every tuner on a task, with the same budget, and their scores."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from trainsmart_bench.cli.options import (
    DEVICES,
    add_training_options,
    parse_overrides,
    scores_table,
)
from trainsmart_bench.errors import ConfigError
from trainsmart_bench.registry import names

console = Console(highlight=False)
DEFAULT_TUNERS = "random,hyperopt-tpe,optuna-tpe,ray-random+asha"
TUNERS_HELP = (
    "random (numpy), grid (shuffled, refining), hyperopt-tpe, hyperopt-random, optuna-tpe "
    "(TPESampler), optuna-random, optuna-cmaes (CmaEsSampler), ray-random, ray-optuna "
    "(OptunaSearch), ray-hyperopt (HyperOptSearch); none of these prunes. Add a pruner to an "
    "optuna-* sampler: +median (MedianPruner), +sha (SuccessiveHalvingPruner), +hyperband "
    "(HyperbandPruner), e.g. optuna-tpe+median; or Ray's ASHA scheduler to a ray-* one: +asha, "
    "e.g. ray-random+asha (also spelled ray-asha). Plugins (their code runs): "
    "path/to/file.py:Class, "
    "package.module:Class, an entry point of group trainsmart_bench.tuners, "
    "optuna:optuna.samplers.GPSampler(n_startup_trials=5) (any sampler, JSON options), "
    "bayesmark:DIR[:NAME] (a Bayesmark optimizer folder)")
BUDGET_HELP = (
    "what every tuner's study gets: trials:N, epochs:N (epochs trained; a pruned trial costs "
    "only its epochs), seconds:S (wall seconds; simulated on a table), or 'epochs' alone for "
    "as many epochs as --trials unpruned trials train. Default: 30 trials, or that many "
    "trials' epochs when the tuners do not all prune alike")


def parse_tuners(text: str) -> list[str]:
    """Comma-separated tuner names, each canonical (aliases resolved); unknown names fail.
    A comma inside a plugin's options (``optuna:...Sampler(a=1,b=2)``) does not split."""
    from trainsmart_bench.registry import canonical_tuner
    from trainsmart_bench.tuners.plugins import split_top

    items = [t.strip() for t in split_top(text) if t.strip()]
    if not items:
        raise ConfigError(f"--tuner {text!r}: name at least one tuner")
    out = [canonical_tuner(t) for t in items]
    return list(dict.fromkeys(out))


def add_budget_options(p) -> None:
    p.add_argument("--budget", metavar="UNIT:N", help=BUDGET_HELP)
    p.add_argument("--trials", type=int,
                   help="trials per study: --budget trials:N (beside an epochs or seconds "
                        "budget, a cap on trials)")
    p.add_argument("--seconds", type=float, help="the same as --budget seconds:S")
    p.add_argument("--epochs-budget", type=int, help="the same as --budget epochs:N")


def add_parser(sub, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("tune", parents=[common],
                       help="compare tuners: repeated studies with equal budgets, scored")
    add_training_options(p, results="runs/tune", task_required=False,
                         task_help="comma-separated task names (or 'synthetic'); with --table "
                                   "the table's task")
    p.add_argument("--backend", default="torch", help="one backend (default torch)")
    p.add_argument("--device", default="cpu", choices=DEVICES)
    p.add_argument("--tuner", default=DEFAULT_TUNERS,
                   help=f"comma-separated: {TUNERS_HELP} (default {DEFAULT_TUNERS})")
    add_budget_options(p)
    p.add_argument("--studies", type=int,
                   help="studies per tuner, seeds 0..N-1 (default 5; 30 with --table)")
    p.add_argument("--table", metavar="FILE[,FILE]",
                   help="answer trials from tuning tables (trainsmart table build), in this "
                        "process, with simulated time")
    p.add_argument("--workers", default="1", metavar="W[,W]",
                   help="trials in flight, simulated on a table (default 1), e.g. 1,4,16")
    p.add_argument("--jobs", type=int, default=1,
                   help="with --table: processes the tuners' studies run in (default 1)")
    p.add_argument("--target-quantile", type=float, default=0.05,
                   help="time-to-target on a table: the value its best Q of configurations "
                        "reach (default 0.05)")
    p.add_argument("--alpha", type=float, default=0.05, help="significance of the rank tests")
    p.set_defaults(func=cmd_tune)


def _check(args, tasks: list[str], tuners: list[str], params: dict) -> None:
    """Fail before anything trains: unknown names, pinned keys, tuner/space mismatches."""
    from trainsmart_bench.datasets import get_loader
    from trainsmart_bench.tasks import resolve_task
    from trainsmart_bench.training.protocols import folds
    from trainsmart_bench.tuners import create_tuner
    from trainsmart_bench.tuning.study import tuning_space

    if args.studies < 1:
        raise ConfigError("--studies must be at least 1")
    for t in tasks:
        task = resolve_task(t)
        task.resolve(task.profile_or_none(args.profile), **params)
        folds(args.protocol, task)  # a protocol the task cannot take fails here
        space = tuning_space(task, params)
        if task.dataset in names("dataset") or task.plugin:  # synthetic: no dataset
            get_loader(task.dataset, args.data_dir).require()  # missing data: how to get it
        for name in tuners:
            create_tuner(name, space, task.direction, 0, max_epochs=1)



def cmd_tune(args) -> int:
    from trainsmart_bench.env import default_threads
    from trainsmart_bench.tasks import parse_tasks, resolve_task
    from trainsmart_bench.tuning.budget import from_flags, plan, trial_epochs

    from_flags(args.budget, args.trials, args.epochs_budget, args.seconds)  # bad flags: now

    if args.table:
        from trainsmart_bench.cli.tune_tables import tune_tables

        return tune_tables(args, parse_tuners(args.tuner))
    if not args.task:
        raise ConfigError("--task is required (or --table FILE)")
    from trainsmart_bench.cli.tune_tables import parse_workers

    args.workers = parse_workers(args.workers)
    if args.workers != [1] and not args.ray_address:
        raise ConfigError("--workers above 1 runs real trials at once on a Ray cluster "
                          "(--ray-address), or simulates them on a tuning table (--table)")
    args.studies = 5 if args.studies is None else args.studies
    tasks = parse_tasks(args.task, extra=("synthetic",))
    tuners = parse_tuners(args.tuner)
    if args.backend not in [*names("backend"), "none"]:
        raise ConfigError(f"unknown backend {args.backend!r}; choose from: "
                          f"{', '.join(names('backend'))}")
    params = parse_overrides(args.set)
    _check(args, tasks, tuners, params)
    threads = args.threads or default_threads()
    evaluator = None
    if args.ray_address:
        from trainsmart_bench.tuning.evaluators import RayEvaluator

        evaluator = RayEvaluator(args.ray_address)
    try:
        for t in tasks:
            task = resolve_task(t)
            profile = task.profile_or_none(args.profile)
            budget, limits = plan(args.budget, args.trials, args.epochs_budget, args.seconds,
                                  tuners, trial_epochs(task, profile, params))
            console.print(f"{t}: budget {budget.label()} per study ({budget.spelled()})")
            groups = _run_task(args, t, profile, tuners, params, threads, evaluator, limits)
            for w, summaries in groups.items():
                print_scores(t if len(groups) == 1 else f"{t}, W={w}", summaries, args.alpha)
    finally:
        if evaluator is not None:
            evaluator.close()
    console.print(f"records: {Path(args.results)}")
    return 0


def _run_task(args, task: str, profile, tuners, params, threads, evaluator,
              limits: dict) -> dict[int, list[dict]]:
    """Study summaries by worker count."""
    from trainsmart_bench.tuning.study import run_study

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    summaries: dict[int, list[dict]] = {}
    runs = [(w, n, s) for w in args.workers for n in tuners for s in range(args.studies)]
    with Progress(*columns, console=console) as bar:
        per = 1 if limits["budget_unit"] != "trials" else limits["budget_trials"]
        job = bar.add_task(task, total=len(runs) * per)
        for k, (workers, name, seed) in enumerate(runs, start=1):
            bar.update(job, description=f"{task} {name} study {seed}"
                                        f"{f' W={workers}' if workers > 1 else ''}")

            def on_trial(rec, _name=name) -> None:
                if rec.status.value != "ok":
                    first = (rec.error or "").splitlines()[0] if rec.error else ""
                    bar.console.print(f"[red]{rec.status.value}[/] {_name} "
                                      f"trial {rec.trial}: {first}")
                if per > 1:
                    bar.advance(job)

            study = run_study(
                task, args.backend, name, limits["budget_trials"], limits.get("budget_seconds"),
                seed, args.device, args.data_dir, args.results, params=params,
                budget_epochs=limits.get("budget_epochs"), budget_unit=limits["budget_unit"],
                profile=profile, timeout=args.timeout, threads=threads, resume=args.resume,
                evaluator=evaluator, on_trial=on_trial, workers=workers,
                protocol=args.protocol)
            summaries.setdefault(workers, []).append(study.summary)
            bar.update(job, completed=k * per)
    return summaries


WIDE = 150  # columns the one-row-per-tuner table needs


def print_scores(task: str, summaries: list[dict], alpha: float = 0.05) -> None:
    from trainsmart_bench.tuning.scores import score_tuners

    scores = score_tuners(summaries, alpha=alpha)
    direction = summaries[0]["direction"] if summaries else "max"
    metric = summaries[0].get("metric", "objective") if summaries else "objective"
    regret = any(s.regret is not None for s in scores)
    budget = scores[0].budget.label() if scores and scores[0].budget else "?"
    title = f"{task}, budget {budget} per study: final best {metric} ({direction}), median " \
            "[95% bootstrap interval] over studies"
    cols = ["tuner", "studies", "best (val)", *(["regret"] if regret else []), "normalized",
            "AUC", "rank", "avg rank", "epochs/study", "test of best", "overhead/trial"]
    rows = [[s.tuner, str(s.studies), s.final.format(),
             *([s.regret.format() if s.regret else "n/a"] if regret else []),
             s.normalized.format("{:.3f}"), "n/a" if s.auc is None else f"{s.auc:.3f}",
             str(s.rank), "n/a" if s.average_rank is None else f"{s.average_rank:.2f}",
             "n/a" if s.epochs is None else f"{s.epochs:g}", s.test.format(),
             "n/a" if s.overhead_s is None else f"{s.overhead_s * 1e3:.2f} ms"] for s in scores]
    table = scores_table(title, cols, rows, console.width, WIDE)
    console.print(table)
    console.print("normalized: 0 = best value any study found, 1 = random search's median; "
                  f"rank: 1 + tuners significantly better (pairwise Mann-Whitney U, Holm-"
                  f"adjusted, alpha={alpha}); avg rank: of best so far along the budget and over "
                  "seeds; "
                  "overhead: suggest + observe + pruning decisions per trial", style="dim")
