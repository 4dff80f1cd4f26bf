"""Every statistic the suite reports, in one place, on scipy.stats (imported lazily).

* ``bootstrap_median``: the median and its 95% percentile-bootstrap interval
  (``scipy.stats.bootstrap``), for seeds, folds and studies alike; ``bootstrap_interval``
  the same for a test metric from the test examples themselves;
* ``bootstrap_ratio``: a ratio of two medians (a mode's speedup over eager) and its interval;
* ``mann_whitney``: the two-sided Mann-Whitney U test (``scipy.stats.mannwhitneyu``, its
  ``method="auto"``: exact for small samples without ties, else the normal approximation
  with tie and continuity correction). Tuner ranks and the report's comparison both call it,
  so the same samples always get the same p-value;
* ``holm``: Holm's step-down adjustment of a family of p-values (tuner ranks compare every
  pair of tuners; scipy.stats offers only false-discovery-rate control, and Holm is a sort and
  a running maximum);
* ``rankdata``, ``min_p_value``, ``intervals_overlap``: what those two need besides.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Summary:
    median: float | None
    low: float | None  # 95% interval of the median
    high: float | None
    n: int

    def format(self, fmt: str = "{:.4g}") -> str:
        if self.median is None:
            return "n/a"
        if self.n < 2:
            return fmt.format(self.median) + " (n=1)"
        return f"{fmt.format(self.median)} [{fmt.format(self.low)}, {fmt.format(self.high)}]"


def finite(values: Sequence[float | None]) -> np.ndarray:
    """The finite values, as floats (None, NaN and inf dropped)."""
    return np.asarray([float(v) for v in values if v is not None and math.isfinite(float(v))],
                      dtype=float)


def bootstrap_median(values: Sequence[float | None], confidence: float = 0.95,
                     resamples: int = 5000, seed: int = 0) -> Summary:
    """Median and its percentile-bootstrap interval; None and non-finite values are dropped."""
    x = finite(values)
    if len(x) == 0:
        return Summary(None, None, None, 0)
    med = float(np.median(x))
    if len(x) == 1 or np.all(x == x[0]):
        return Summary(med, med, med, len(x))
    from scipy import stats

    res = stats.bootstrap((x,), np.median, n_resamples=resamples, confidence_level=confidence,
                          method="percentile", vectorized=True, axis=-1,
                          rng=np.random.default_rng(seed))
    ci = res.confidence_interval
    return Summary(med, float(ci.low), float(ci.high), len(x))


def bootstrap_ratio(num: Sequence[float | None], den: Sequence[float | None],
                    confidence: float = 0.95, resamples: int = 5000, seed: int = 0) -> Summary:
    """median(num) / median(den) and its percentile-bootstrap interval, the two samples
    resampled independently (``scipy.stats.bootstrap`` with ``paired=False``); ``n`` is the
    smaller sample. Empty samples or a zero median give no ratio."""
    x, y = finite(num), finite(den)
    if len(x) == 0 or len(y) == 0 or np.median(y) == 0:
        return Summary(None, None, None, 0)
    ratio = float(np.median(x) / np.median(y))
    n = min(len(x), len(y))
    if n < 2 or (len(np.unique(x)) == 1 and len(np.unique(y)) == 1):
        return Summary(ratio, ratio, ratio, n)  # nothing to resample (as bootstrap_median)
    from scipy import stats

    def stat(a, b, axis=-1):
        return np.median(a, axis=axis) / np.median(b, axis=axis)

    res = stats.bootstrap((x, y), stat, n_resamples=resamples, confidence_level=confidence,
                          method="percentile", vectorized=True, paired=False, axis=-1,
                          rng=np.random.default_rng(seed))
    ci = res.confidence_interval
    return Summary(ratio, float(ci.low), float(ci.high), n)


STATISTICS = {"mean": lambda x, axis: np.mean(x, axis=axis),
              "root_mean": lambda x, axis: np.sqrt(np.mean(x, axis=axis))}


def bootstrap_interval(values: np.ndarray, statistic: str = "mean", confidence: float = 0.95,
                       resamples: int = 1000, seed: int = 0) -> tuple[float, float]:
    """The percentile-bootstrap interval of ``statistic`` over ``values`` (e.g. per-example
    correctness of a test set: its accuracy; squared errors with ``root_mean``: its RMSE).

    The method of ``scipy.stats.bootstrap(method="percentile")`` (resample with replacement,
    the statistic of each resample, the ``(1 - confidence) / 2`` quantiles), in numpy, in
    batches of 100 resamples: the child of every run computes it, and importing SciPy there
    costs more than the resampling."""
    x = np.asarray(values, dtype=float).ravel()
    rng = np.random.default_rng(seed)
    stat, out = STATISTICS[statistic], []
    for start in range(0, resamples, 100):
        rows = rng.integers(0, len(x), size=(min(100, resamples - start), len(x)))
        out.append(stat(x[rows], -1))
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(np.concatenate(out), [tail, 100 - tail])
    return float(low), float(high)


@dataclass(frozen=True)
class MannWhitney:
    u: float  # U statistic of the first sample
    p: float  # two-sided
    method: str  # "exact" | "asymptotic"


def mann_whitney(x: Sequence[float], y: Sequence[float]) -> MannWhitney:
    """Two-sided Mann-Whitney U test of two samples (``scipy.stats.mannwhitneyu``)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(x) == 0 or len(y) == 0:
        raise ValueError("Mann-Whitney U needs two non-empty samples")
    both = np.concatenate([x, y])
    if np.all(both == both[0]):  # no variation at all: nothing can differ
        return MannWhitney(len(x) * len(y) / 2, 1.0, "asymptotic")
    from scipy import stats

    ties = len(np.unique(both)) < len(both)
    method = "exact" if min(len(x), len(y)) <= 8 and not ties else "asymptotic"
    res = stats.mannwhitneyu(x, y, alternative="two-sided", method=method)
    return MannWhitney(float(res.statistic), float(min(1.0, res.pvalue)), method)


def holm(p_values: Sequence[float]) -> np.ndarray:
    """Holm-adjusted p-values (family-wise error rate): with the m p-values sorted ascending,
    the i-th (0-based) is multiplied by m - i, a running maximum keeps the order, capped at 1.
    Reject where the adjusted p-value is below alpha."""
    p = np.asarray(p_values, dtype=float)
    m = len(p)
    if m == 0:
        return p
    order = np.argsort(p, kind="stable")
    stepped = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out = np.empty(m)
    out[order] = np.minimum(1.0, stepped)
    return out


def rankdata(values: Sequence[float]) -> np.ndarray:
    """Ranks 1..n, ties given their average rank."""
    from scipy import stats

    return stats.rankdata(np.asarray(values, dtype=float))


def min_p_value(n1: int, n2: int) -> float:
    """The smallest two-sided p the exact test can give with these sample sizes: two
    completely separated samples."""
    return mann_whitney(range(n1), range(n1, n1 + n2)).p


def intervals_overlap(a: tuple[float | None, float | None],
                      b: tuple[float | None, float | None]) -> bool | None:
    """Whether two [low, high] intervals overlap; None when either is missing."""
    if None in a or None in b:
        return None
    return not (a[1] < b[0] or b[1] < a[0])  # type: ignore[operator]
