"""Tuner comparisons on tuning tables: many studies per tuner, scored, timed to a target.

``run_comparison`` runs ``studies`` studies (seeds 0..N-1) of every tuner on a table with each
number of workers, in this process (``tuning.simulate``), and ``compare`` scores one group of
studies (one table, one worker count): ``scores.score_tuners`` (regret, normalized score,
Holm-adjusted ranks, average rank over the budget), the pairwise tests behind the ranks, and
time-to-target (``tuning.targets``) in trials, epochs and simulated seconds. The target of a
table is the validation value that the best ``TARGET_QUANTILE`` of its configurations reach.

``by_workers`` sets the worker counts side by side: final regret after the same number of
trials, the simulated wall clock a study took, and the regret each had reached by the time the
studies with the most workers were done (the median of their wall clocks).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from trainsmart_bench.results.stats import Summary, bootstrap_median
from trainsmart_bench.tuning.budget import Budget
from trainsmart_bench.tuning.scores import (
    Pair,
    TunerScore,
    as_loss,
    comparison_budget,
    pairwise,
    score_tuners,
    table_best,
)
from trainsmart_bench.tuning.table import TARGET_QUANTILE, Table
from trainsmart_bench.tuning.targets import UNITS, TimeToTarget, time_to_target

DEFAULT_STUDIES = 30


def table_target(table: Table, quantile: float = TARGET_QUANTILE) -> float:
    return table.quantile(quantile)


def run_comparison(table: Table, tuners: Sequence[str], studies: int, trials: int,
                   store: str | Path, workers: Sequence[int] = (1,), *,
                   budget_seconds: float | None = None, budget_epochs: int | None = None,
                   budget_unit: str = "trials",
                   params: Mapping[str, Any] | None = None, resume: bool = True, jobs: int = 1,
                   on_study: Callable[[dict[str, Any]], None] | None = None
                   ) -> dict[int, list[dict[str, Any]]]:
    """Study summaries by worker count; every tuner gets the same seeds and budget. With
    ``jobs`` > 1 the tuners' studies run in that many processes (each study is a deterministic
    function of its seed, so the results are the same; the tuners' own timings are not)."""
    kw = {"trials": trials, "store": str(store), "budget_seconds": budget_seconds,
          "budget_epochs": budget_epochs, "budget_unit": budget_unit,
          "params": dict(params or {}), "resume": resume}
    groups = [(w, tuner, studies) for w in workers for tuner in tuners]
    out: dict[int, list[dict[str, Any]]] = {w: [] for w in workers}
    if jobs > 1 and table.path is not None:
        import concurrent.futures as cf

        with cf.ProcessPoolExecutor(max_workers=jobs) as pool:
            done = [pool.submit(_studies, str(table.path), g, kw) for g in groups]
            for (w, _, _), fut in zip(groups, done):
                for summary in fut.result():
                    out[w].append(summary)
                    if on_study:
                        on_study(summary)
        return out
    for g in groups:
        for summary in _studies(table, g, kw, on_study):
            out[g[0]].append(summary)
    return out


def _studies(table: Table | str, group: tuple[int, str, int], kw: Mapping[str, Any],
             on_study: Callable[[dict[str, Any]], None] | None = None) -> list[dict[str, Any]]:
    """Every study of one tuner and worker count on the table (run in a pool's process)."""
    from trainsmart_bench.tuning.study import run_study

    table = table if isinstance(table, Table) else Table.load(table)
    table.task()  # a user task's code, in this (pool) process too
    h, (workers, tuner, studies) = table.header, group
    out = []
    for seed in range(studies):
        study = run_study(h["task"], h["backend"], tuner, kw["trials"], kw["budget_seconds"],
                          seed, h["device"], store_dir=kw["store"], params=kw["params"],
                          budget_epochs=kw["budget_epochs"], budget_unit=kw["budget_unit"],
                          profile=h["profile"],
                          resume=kw["resume"], table=table, workers=workers)
        out.append(study.summary)
        if on_study:
            on_study(study.summary)
    return out


@dataclass(frozen=True)
class Comparison:
    task: str
    table: str  # digest
    workers: int
    metric: str
    direction: str
    target: float
    budget: Budget
    scores: list[TunerScore]
    pairs: list[Pair]
    to_target: dict[str, dict[str, TimeToTarget]]  # unit -> tuner -> time-to-target


def compare(summaries: Sequence[Mapping[str, Any]], target: float,
            alpha: float = 0.05) -> Comparison:
    """Scores of one group of studies (one table or task, one worker count)."""
    first = summaries[0]
    direction = first["direction"]
    finals: dict[str, list[float]] = {}
    for s in summaries:
        v = as_loss([(s.get("best") or {}).get("value")], direction)[0]
        if np.isfinite(v):
            finals.setdefault(s["config"]["tuner"], []).append(float(v))
    return Comparison(
        task=first["config"]["task"], table=(first.get("table") or {}).get("digest", ""),
        workers=int(first["config"].get("workers", 1)), metric=first.get("metric", "objective"),
        direction=direction, target=float(target), budget=comparison_budget(summaries),
        scores=score_tuners(summaries, alpha=alpha), pairs=pairwise(finals, alpha),
        to_target={u: time_to_target(summaries, target, u) for u in UNITS})


def _regret_at(summary: Mapping[str, Any], t: float) -> float:
    """Regret of the best value reached by simulated time ``t`` (inf before the first)."""
    best = table_best(summary)
    direction = summary["direction"]
    reached = [b for x, b in summary.get("best_so_far_wallclock", []) if x <= t and b is not None]
    if not reached or best is None:
        return math.inf
    return float(as_loss([reached[-1]], direction)[0] - as_loss([best], direction)[0])


@dataclass(frozen=True)
class WorkerRow:
    tuner: str
    workers: int
    regret: Summary  # after the whole trial budget
    wallclock: float  # median simulated seconds a study took
    regret_at: float  # median regret by the time the most-worker studies were done


def by_workers(groups: Mapping[int, Sequence[Mapping[str, Any]]]) -> tuple[float, list[WorkerRow]]:
    """(the time checkpoint, one row per tuner and worker count)."""
    most = max(groups)
    ends = [s["best_so_far_wallclock"][-1][0] for s in groups[most]
            if s.get("best_so_far_wallclock")]
    checkpoint = float(np.median(ends)) if ends else math.inf
    rows = []
    for w, summaries in sorted(groups.items()):
        per: dict[str, list[Mapping[str, Any]]] = {}
        for s in summaries:
            per.setdefault(s["config"]["tuner"], []).append(s)
        for tuner, ss in per.items():
            final = [_regret_at(s, math.inf) for s in ss]
            walls = [s["best_so_far_wallclock"][-1][0] for s in ss
                     if s.get("best_so_far_wallclock")]
            rows.append(WorkerRow(tuner, w, bootstrap_median(final),
                                  float(np.median(walls)) if walls else math.nan,
                                  float(np.median([_regret_at(s, checkpoint) for s in ss]))))
    return checkpoint, rows
