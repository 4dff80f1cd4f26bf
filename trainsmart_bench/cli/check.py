"""``trainsmart check task SPEC``: the conformance checks of a user task, one line a problem."""

from __future__ import annotations

import argparse

from rich.console import Console

console = Console(highlight=False)


def add_parser(sub, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("check", help="check a user task (or tuner) before running it")
    kinds = p.add_subparsers(dest="kind", required=True, metavar="{task}")
    t = kinds.add_parser("task", help="a user task: declaration, data, profiles, and each "
                                      "framework's builder (in its own process)")
    t.add_argument("spec", help="path/to/file.py:NAME, package.module:NAME or a plugin's name")
    t.add_argument("--backend", help="comma-separated backends to build on (default: every "
                                     "backend the task has a builder for)")
    t.set_defaults(func=cmd_check_task)


def cmd_check_task(args) -> int:
    from trainsmart_bench.training.conformance import check_task

    backends = [b.strip() for b in args.backend.split(",")] if args.backend else None
    c = check_task(args.spec, backends)
    for line in c.notes:
        console.print(f"  {line}", soft_wrap=True)
    for line in c.problems:
        console.print(f"[red]problem[/] {line}", soft_wrap=True)
    console.print(f"{c.task}: {'ok' if c.ok else f'{len(c.problems)} problem(s)'}")
    return 0 if c.ok else 1
