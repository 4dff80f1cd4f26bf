"""Options that several commands share, declared once, and the parsing of their values."""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Sequence
from typing import Any

from trainsmart_bench.errors import ConfigError
from trainsmart_bench.execution.process import DEFAULT_TIMEOUT

DEVICES = ("cpu", "cuda")


def common() -> argparse.ArgumentParser:
    """The parent parser of every command that touches data."""
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--data-dir", metavar="DIR",
                   help="dataset cache (default: $TRAINSMART_DATA_DIR or the user cache dir)")
    return p


def add_training_options(p: argparse.ArgumentParser, *, results: str, task_help: str,
                         task_required: bool = True) -> None:
    """What ``run`` and ``tune`` both take: the work, where records go, how units run."""
    p.add_argument("--task", required=task_required, help=task_help)
    p.add_argument("--profile", help="a task profile, e.g. cpu for cifar10-resnet")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="set a hyperparameter, e.g. --set epochs=2 (repeatable; in tune it "
                        "leaves the search space)")
    p.add_argument("--results", default=results, help=f"record directory (default ./{results})")
    add_timeout(p, DEFAULT_TIMEOUT, "seconds per run or trial")
    p.add_argument("--threads", type=int,
                   help="intra-op threads of each run or trial (default: physical cores)")
    p.add_argument("--ray-address", metavar="ADDR",
                   help="run on this existing Ray cluster (auto, host:6379)")
    p.add_argument("--no-resume", dest="resume", action="store_false",
                   help="run again what is already recorded")
    p.add_argument("--start", choices=("warm", "cold"), default="warm",
                   help="warm (default): fork each PyTorch or Keras-on-TensorFlow CPU run or "
                        "trial from a process that imported the framework once (its cold "
                        "import is measured once and kept in startup); cold: a new interpreter "
                        "per unit. Other backends, devices and Ray always start cold")
    p.add_argument("--protocol", default="holdout",
                   help="holdout (the task's split, default), kfold:K (K-fold cross-validation "
                        "on the training data; ml-100k: its official folds) or walk-forward:K "
                        "(ratings: K expanding time windows); one run per fold (tune: each "
                        "trial's objective is the mean over folds)")


def timeout_seconds(value: str) -> float:
    """``--timeout``'s value: a positive, finite number of seconds, or ``none`` (no limit,
    ``math.inf``, which the process runner takes as no deadline). Anything else is refused
    while the arguments are parsed, before anything trains."""
    if value.strip().lower() == "none":
        return math.inf
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise argparse.ArgumentTypeError(
            f"{value!r}: expected a positive number of seconds (e.g. 600) or 'none' for no "
            "limit")
    return seconds


def add_timeout(p: argparse.ArgumentParser, default: float, what: str) -> None:
    """The ``--timeout`` option, parsed by ``timeout_seconds``."""
    p.add_argument("--timeout", type=timeout_seconds, default=default, metavar="SECONDS",
                   help=f"{what}: a positive number, or none for no limit (default "
                        f"%(default)g)")


def split(value: str, valid: Sequence[str], what: str) -> list[str]:
    """A comma-separated list whose every item must be one of ``valid``."""
    items = [v.strip() for v in value.split(",") if v.strip()]
    bad = [v for v in items if v not in valid]
    if bad or not items:
        raise ConfigError(f"unknown {what} {bad or value!r}; choose from: {', '.join(valid)}")
    return items


def parse_overrides(pairs: list[str]) -> dict[str, object]:
    """``--set KEY=VALUE`` pairs; values are JSON where they parse as JSON, else strings."""
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


def scores_table(title: str, cols: list[str], rows: list[list[str]], width: int,
                 wide: int) -> Any:
    """Tuner scores as a rich table: one row per tuner where the terminal has ``wide``
    columns, else one block per tuner with a line per score (a pipe or an 80-column
    terminal), so names and intervals never fold or end in an ellipsis."""
    from rich.table import Table

    if width >= wide:
        table = Table(title=title)
        for col in cols:
            table.add_column(col, no_wrap=col == cols[0], min_width=max(map(len, col.split())))
        for row in rows:
            table.add_row(*row)
        return table
    table = Table(title=title, show_lines=True)
    table.add_column(cols[0], no_wrap=True)
    table.add_column("score", no_wrap=True)
    table.add_column("median (95% interval)", overflow="fold")
    for row in rows:
        table.add_row(row[0], "\n".join(cols[1:]), "\n".join(row[1:]))
    return table
