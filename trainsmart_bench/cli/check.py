"""``trainsmart check KIND SPEC``: conformance checks a user can run on a plugin.

Each kind is a subcommand added by a function in ``CHECKS`` (``task``, ``tuner``); a problem is a
line naming the plugin and what to fix, and any problem exits 1.
"""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.markup import escape

console = Console(highlight=False, emoji=False)


def add_tuner(checks, common: argparse.ArgumentParser) -> None:
    p = checks.add_parser("tuner", parents=[common],
                          help="a tuner (built-in name or plugin spec): suggestions in the "
                               "space, failures, determinism, restore")
    p.add_argument("spec", help="e.g. path/to/file.py:Class, bayesmark:DIR[:NAME], "
                                "optuna:optuna.samplers.GPSampler")
    p.add_argument("--trials", type=int, default=12, help="trials per run (default 12)")
    p.set_defaults(func=cmd_check_tuner)


def add_task(checks, common: argparse.ArgumentParser) -> None:
    p = checks.add_parser("task", parents=[common],
                          help="a user task: declaration, data, profiles, and each framework's "
                               "builder (in its own process)")
    p.add_argument("spec", help="path/to/file.py:NAME, package.module:NAME or a plugin's name")
    p.add_argument("--backend", help="comma-separated backends to build on (default: every "
                                     "backend the task has a builder for)")
    p.set_defaults(func=cmd_check_task)


CHECKS = (add_task, add_tuner)


def add_parser(sub, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("check", help="conformance checks for a plugin (loading it runs its code)")
    checks = p.add_subparsers(dest="kind", required=True, metavar="KIND")
    for add in CHECKS:
        add(checks, common)


def report(spec: str, problems: list) -> int:
    for problem in problems:
        console.print(f"[red]problem[/] {escape(str(problem))}", soft_wrap=True)
    if problems:
        console.print(f"{spec}: {len(problems)} problem(s)")
        return 1
    console.print(f"{spec}: conforms")
    return 0


def cmd_check_tuner(args) -> int:
    from trainsmart_bench.tuners.conformance import check_tuner

    return report(args.spec, check_tuner(args.spec, trials=args.trials))


def cmd_check_task(args) -> int:
    from trainsmart_bench.training.conformance import check_task

    backends = [b.strip() for b in args.backend.split(",")] if args.backend else None
    c = check_task(args.spec, backends)
    for line in c.notes:
        console.print(f"  {escape(line)}", soft_wrap=True)
    return report(c.task, c.problems)
