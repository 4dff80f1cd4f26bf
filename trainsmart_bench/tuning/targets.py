"""Time-to-target per tuner and performance profiles across tasks, as AlgoPerf scores training
algorithms (mlcommons/algorithmic-efficiency, DOCUMENTATION.md: time-to-result per workload,
performance profiles over workloads, their area as the benchmark score).

* a study's budget to target: the trials, the epochs trained, or the seconds (the simulated
  wall clock of a table study, else the study's own seconds) after which its best validation
  value first meets the target; a study that never meets it counts as infinite;
* a tuner's time-to-target on a task: the median over its studies (infinite when more than half
  miss);
* performance profile of tuner s: rho_s(tau) = the share of tasks on which s's time-to-target
  is within a factor tau of the fastest tuner's on that task (a task no tuner solves counts as
  a miss for all); the score is the area under rho_s over [1, ``TAU_MAX``] divided by
  ``TAU_MAX`` - 1 (1 = fastest on every task, 0 = never within ``TAU_MAX``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from trainsmart_bench.tuning.budget import UNITS, points  # noqa: F401 - UNITS re-exported

TAU_MAX = 4.0  # AlgoPerf's largest ratio


def budget_to_target(summary: Mapping[str, Any], target: float, unit: str) -> float:
    """When the study's best so far first meets ``target`` (inf if it never does)."""
    maximize = summary["direction"] == "max"
    for x, best in points(summary, unit):
        if best is not None and (best >= target if maximize else best <= target):
            return x
    return math.inf


@dataclass(frozen=True)
class TimeToTarget:
    tuner: str
    unit: str
    median: float  # inf: more than half of the studies missed
    reached: int  # studies that met the target
    studies: int


def time_to_target(summaries: Sequence[Mapping[str, Any]], target: float,
                   unit: str) -> dict[str, TimeToTarget]:
    by: dict[str, list[float]] = {}
    for s in summaries:
        by.setdefault(s["config"]["tuner"], []).append(budget_to_target(s, target, unit))
    return {t: TimeToTarget(t, unit, float(np.median(v)), int(np.isfinite(v).sum()), len(v))
            for t, v in by.items()}


def profiles(per_task: Mapping[str, Mapping[str, float]],
             taus: Sequence[float] | None = None) -> dict[str, list[tuple[float, float]]]:
    """rho_s(tau) for every tuner: ``per_task`` maps task -> tuner -> time-to-target."""
    taus = list(taus) if taus is not None else list(np.linspace(1.0, TAU_MAX, 61))
    tuners = sorted({t for times in per_task.values() for t in times})
    ratios: dict[str, list[float]] = {t: [] for t in tuners}
    for times in per_task.values():
        best = min((v for v in times.values() if math.isfinite(v)), default=math.inf)
        for t in tuners:
            v = times.get(t, math.inf)
            ratios[t].append(v / best if math.isfinite(v) and math.isfinite(best) else math.inf)
    n = max(1, len(per_task))
    return {t: [(float(tau), sum(r <= tau for r in ratios[t]) / n) for tau in taus]
            for t in tuners}


def profile_score(profile: Sequence[tuple[float, float]]) -> float:
    """Area under rho over [1, TAU_MAX] divided by TAU_MAX - 1."""
    x = np.array([p[0] for p in profile])
    y = np.array([p[1] for p in profile])
    area = float(np.sum((x[1:] - x[:-1]) * (y[1:] + y[:-1]) / 2.0))
    return area / (x[-1] - x[0]) if len(x) > 1 and x[-1] > x[0] else float(y[-1] if len(y) else 0)
