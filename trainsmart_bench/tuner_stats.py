"""Scores for tuners over repeated studies: medians, curves, normalized scores, rank tests.

All in numpy (no scipy needed). Values are turned into losses (lower is better) with the
task's direction first, so every function below reads the same for accuracy and for RMSE.

* final best: median over studies with a percentile-bootstrap interval (``stats``);
* area under the best-so-far curve: the mean over trials of the best value so far, in
  normalized units (lower is better; a tuner that finds good configs early scores lower);
  trials before a study's first success count as the worst normalized value seen;
* normalized score, Bayesmark-style: ``(loss - optimum) / (random median - optimum)``, where
  optimum = the best final value any study of any tuner found and random median = the median
  final best of random search: 0 = the best known, 1 = as good as random search, > 1 = worse;
* ranks: pairwise two-sided Mann-Whitney U tests (normal approximation with tie and
  continuity correction, as scipy's ``method="asymptotic"``); a tuner's rank is 1 + the number
  of tuners whose final best is significantly better than its own at ``alpha``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from trainsmart_bench.stats import Summary, bootstrap_median

REFERENCE = "random"


@dataclass(frozen=True)
class MannWhitney:
    u: float  # U statistic of the first sample
    z: float
    p: float  # two-sided


def rankdata(a: np.ndarray) -> np.ndarray:
    """Ranks 1..n, ties given their average rank."""
    order = np.argsort(a, kind="mergesort")
    ranks = np.empty(len(a), dtype=float)
    sorted_a = a[order]
    i = 0
    while i < len(a):
        j = i
        while j + 1 < len(a) and sorted_a[j + 1] == sorted_a[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def mann_whitney_u(x: Sequence[float], y: Sequence[float]) -> MannWhitney:
    """Two-sided Mann-Whitney U test, normal approximation with tie and continuity correction."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    n1, n2 = len(x), len(y)
    if n1 == 0 or n2 == 0:
        raise ValueError("Mann-Whitney U needs two non-empty samples")
    both = np.concatenate([x, y])
    ranks = rankdata(both)
    u1 = float(ranks[:n1].sum() - n1 * (n1 + 1) / 2)
    n = n1 + n2
    _, counts = np.unique(both, return_counts=True)
    ties = float((counts**3 - counts).sum())
    var = n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1)))
    if var <= 0:
        return MannWhitney(u1, 0.0, 1.0)
    dev = abs(u1 - n1 * n2 / 2)
    z = max(dev - 0.5, 0.0) / math.sqrt(var)
    return MannWhitney(u1, z, min(1.0, math.erfc(z / math.sqrt(2))))


def as_loss(values: Sequence[float | None], direction: str) -> np.ndarray:
    sign = -1.0 if direction == "max" else 1.0
    return np.asarray([np.nan if v is None else sign * float(v) for v in values], dtype=float)


def normalize(loss: np.ndarray, optimum: float, reference: float) -> np.ndarray:
    span = reference - optimum
    if not np.isfinite(span) or span <= 0:
        return np.full_like(loss, np.nan, dtype=float)
    return (loss - optimum) / span


def ranks(finals: Mapping[str, Sequence[float]], alpha: float = 0.05) -> dict[str, int]:
    """1 + how many tuners are significantly better (lower loss), pairwise Mann-Whitney U."""
    out = {}
    for a, xa in finals.items():
        beaten_by = 0
        for b, xb in finals.items():
            if a == b or len(xa) == 0 or len(xb) == 0:
                continue
            if np.median(xb) < np.median(xa) and mann_whitney_u(xa, xb).p < alpha:
                beaten_by += 1
        out[a] = 1 + beaten_by
    return out


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


def _finite(values: np.ndarray) -> list[float]:
    return [float(v) for v in values if np.isfinite(v)]


def score_tuners(summaries: Sequence[Mapping[str, Any]], alpha: float = 0.05,
                 reference: str = REFERENCE) -> list[TunerScore]:
    """Scores for the study summaries of one task (``study.json`` dicts), best rank first."""
    if not summaries:
        return []
    direction = summaries[0]["direction"]
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
    curves = {t: [normalize(as_loss(s["best_so_far_trials"], direction), optimum, ref_med)
                  for s in ss] for t, ss in by_tuner.items()}
    seen = [v for cs in curves.values() for c in cs for v in c if np.isfinite(v)]
    worst = max(seen) if seen else math.nan  # stands in for trials before a first success
    sign = -1.0 if direction == "max" else 1.0
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
        ))
    return sorted(out, key=lambda r: (r.rank, math.inf if r.normalized.median is None
                                      else r.normalized.median))
