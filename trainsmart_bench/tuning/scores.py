"""Scores for tuners over repeated studies: medians, curves, normalized scores, rank tests.

The statistics are ``trainsmart_bench.results.stats`` (scipy), as in the report. Values are
turned into losses (lower is better) with the task's direction first, so every function below
reads the same for accuracy and for RMSE.

* one budget per headline (``tuning.budget``): every study of a comparison has the same kind of
  budget (trials, epochs or seconds), the final best is the best at that budget, and the curves
  below run along its axis (every trial; or 100 even steps up to the epochs or seconds budget);
* final best: median over studies with a percentile-bootstrap interval (``stats``);
* area under the best-so-far curve: the mean along the budget's axis of the best value so far,
  in normalized units (lower is better; a tuner that finds good configs early scores lower);
  points before a study's first success count as the worst normalized value seen;
* normalized score, Bayesmark-style: ``(loss - optimum) / (random median - optimum)``, where
  optimum = the best final value any study of any tuner found and random median = the median
  final best of random search: 0 = the best known, 1 = as good as random search, > 1 = worse;
* ranks: pairwise two-sided Mann-Whitney U tests (``results.stats.mann_whitney``) of every
  pair of tuners, their p-values adjusted together with Holm's method (``results.stats.holm``);
  a tuner's rank is 1 + the number of tuners whose final best is significantly better than its
  own at ``alpha`` after the adjustment;
* regret (table studies): the final best's distance to the best validation value recorded in
  the table, in task units (0 = found the table's best configuration);
* average rank over the budget: studies are paired by seed; at every point of the budget's axis
  of every seed the tuners are ranked by best so far (ties share the average rank, no value yet
  ranks last), and a tuner's average rank is the mean over points and seeds (lower is better).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from trainsmart_bench.results.stats import (
    Summary,
    bootstrap_median,
    holm,
    mann_whitney,
    rankdata,
)
from trainsmart_bench.tuning.budget import Budget, axis, curve, of_config

REFERENCE = "random"


def as_loss(values: Sequence[float | None], direction: str) -> np.ndarray:
    sign = -1.0 if direction == "max" else 1.0
    return np.asarray([np.nan if v is None else sign * float(v) for v in values], dtype=float)


def normalize(loss: np.ndarray, optimum: float, reference: float) -> np.ndarray:
    span = reference - optimum
    if not np.isfinite(span) or span <= 0:
        return np.full_like(loss, np.nan, dtype=float)
    return (loss - optimum) / span


@dataclass(frozen=True)
class Pair:
    """One pairwise comparison: ``better`` has the lower median loss."""

    better: str
    worse: str
    p: float  # two-sided Mann-Whitney U
    p_holm: float  # Holm-adjusted over every pair of the comparison
    significant: bool


def pairwise(finals: Mapping[str, Sequence[float]], alpha: float = 0.05) -> list[Pair]:
    """Every pair of tuners with samples, tested and Holm-adjusted together."""
    names = [t for t, x in finals.items() if len(x)]
    pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1:]]
    raw = [mann_whitney(finals[a], finals[b]).p for a, b in pairs]
    out = []
    for (a, b), p, q in zip(pairs, raw, holm(raw)):
        if np.median(finals[b]) < np.median(finals[a]):
            a, b = b, a
        differ = np.median(finals[a]) < np.median(finals[b])
        out.append(Pair(a, b, float(p), float(q), bool(differ and q < alpha)))
    return out


def ranks(finals: Mapping[str, Sequence[float]], alpha: float = 0.05) -> dict[str, int]:
    """1 + how many tuners are significantly better (lower loss), pairwise Mann-Whitney U with
    Holm's adjustment over all pairs."""
    out = {t: 1 for t in finals}
    for pair in pairwise(finals, alpha):
        out[pair.worse] += pair.significant
    return out


def comparison_budget(summaries: Sequence[Mapping[str, Any]]) -> Budget:
    """The budget every study of a comparison shares (its largest amount where they differ);
    studies with budgets in different units cannot be scored together."""
    budgets = [of_config(s["config"]) for s in summaries]
    units = sorted({b.unit for b in budgets})
    if len(units) > 1:
        raise ValueError(f"the studies' budgets are in different units ({', '.join(units)}); "
                         "compare studies with one kind of budget")
    amounts = [b.amount for b in budgets if b.amount is not None]
    return Budget(units[0], max(amounts) if amounts else None)


def _curves(summaries: Sequence[Mapping[str, Any]], unit: str) -> list[np.ndarray]:
    """Each study's best so far (as a loss) along the budget's axis."""
    direction = summaries[0]["direction"]
    if unit == "trials":
        return [as_loss(s["best_so_far_trials"], direction) for s in summaries]
    xs = axis(summaries, unit)
    return [as_loss(curve(s, unit, xs), direction) for s in summaries]


def average_ranks(summaries: Sequence[Mapping[str, Any]], unit: str = "trials"
                  ) -> dict[str, float]:
    """Mean rank of best so far along ``unit`` and over seeds present for every tuner."""
    by: dict[str, dict[int, np.ndarray]] = {}
    for s, c in zip(summaries, _curves(summaries, unit)):
        mine = by.setdefault(s["config"]["tuner"], {})
        mine[int(s["config"].get("study_seed", len(mine)))] = c
    tuners = sorted(by)
    seeds = sorted(set.intersection(*(set(v) for v in by.values())))
    if len(tuners) < 2 or not seeds:
        return {}
    total = {t: [] for t in tuners}
    for seed in seeds:
        n = min(len(by[t][seed]) for t in tuners)
        grid = np.array([by[t][seed][:n] for t in tuners])  # tuners x trials
        grid = np.where(np.isfinite(grid), grid, np.inf)  # no value yet: ranks last
        ranked = np.apply_along_axis(rankdata, 0, grid) if n else grid
        for i, t in enumerate(tuners):
            total[t].extend(ranked[i].tolist())
    return {t: float(np.mean(v)) for t, v in total.items() if v}


@dataclass(frozen=True)
class TunerScore:
    tuner: str
    studies: int
    final: Summary  # final best, task units and direction
    normalized: Summary  # 0 = best known, 1 = random search's median
    auc: float | None  # mean normalized best-so-far over trials (lower is better)
    rank: int
    overhead_s: float | None  # suggest + observe + report seconds per trial (median)
    epochs: float | None  # epochs trained per study (median)
    test: Summary  # test score of each study's best config
    regret: Summary | None = None  # table studies: distance to the table's best value
    average_rank: float | None = None  # over the budget and the seeds (lower is better)
    budget: Budget | None = None  # what every score above was read at


def _finite(values: np.ndarray) -> list[float]:
    return [float(v) for v in values if np.isfinite(v)]


def score_tuners(summaries: Sequence[Mapping[str, Any]], alpha: float = 0.05,
                 reference: str = REFERENCE) -> list[TunerScore]:
    """Scores for the study summaries of one task (``study.json`` dicts), best rank first."""
    if not summaries:
        return []
    direction = summaries[0]["direction"]
    budget = comparison_budget(summaries)
    by_tuner: dict[str, list[Mapping[str, Any]]] = {}
    for s in summaries:
        by_tuner.setdefault(s["config"]["tuner"], []).append(s)
    finals = {t: as_loss([(s.get("best") or {}).get("value") for s in ss], direction)
              for t, ss in by_tuner.items()}
    every = np.concatenate([f[np.isfinite(f)] for f in finals.values()] + [np.array([])])
    optimum = float(every.min()) if len(every) else math.nan
    ref = finals.get(reference)
    ref_med = float(np.median(ref[np.isfinite(ref)])) if ref is not None and np.isfinite(
        ref).any() else math.nan
    rank = ranks({t: _finite(f) for t, f in finals.items()}, alpha)
    along = _curves(summaries, budget.unit)
    curves = {t: [normalize(c, optimum, ref_med) for s, c in zip(summaries, along)
                  if s["config"]["tuner"] == t] for t in by_tuner}
    seen = [v for cs in curves.values() for c in cs for v in c if np.isfinite(v)]
    worst = max(seen) if seen else math.nan  # stands in for trials before a first success
    sign = -1.0 if direction == "max" else 1.0
    avg = average_ranks(summaries, budget.unit)
    out = []
    for t, ss in by_tuner.items():
        aucs = [float(np.mean(np.where(np.isfinite(c), c, worst))) for c in curves[t] if len(c)]
        aucs = [a for a in aucs if np.isfinite(a)]
        out.append(TunerScore(
            tuner=t, studies=len(ss),
            final=bootstrap_median(list(sign * finals[t])),
            normalized=bootstrap_median(_finite(normalize(finals[t], optimum, ref_med))),
            auc=float(np.median(aucs)) if aucs else None, rank=rank[t],
            overhead_s=float(np.median([s["tuner_s_per_trial"] for s in ss])),
            epochs=float(np.median([s["epochs"] for s in ss])),
            test=bootstrap_median([(s.get("best") or {}).get("test_value") for s in ss]),
            regret=_regret(ss, finals[t], direction), average_rank=avg.get(t),
            budget=budget,
        ))
    return sorted(out, key=lambda r: (r.rank, math.inf if r.normalized.median is None
                                      else r.normalized.median))


def table_best(summary: Mapping[str, Any]) -> float | None:
    """The best value of the table a study ran on (None for a study that trained)."""
    table = summary.get("table")
    return table.get("best") if isinstance(table, Mapping) else None


def _regret(summaries: Sequence[Mapping[str, Any]], finals: np.ndarray,
            direction: str) -> Summary | None:
    best = [table_best(s) for s in summaries]
    if any(b is None for b in best):
        return None
    regret = finals - as_loss(best, direction)  # a failed study (nan) drops out
    return bootstrap_median(_finite(regret))
