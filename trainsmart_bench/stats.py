"""Summary statistics we trust: medians with percentile-bootstrap intervals, rank tests."""

from __future__ import annotations

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


def bootstrap_median(
    values: Sequence[float | None], confidence: float = 0.95, resamples: int = 5000,
    seed: int = 0,
) -> Summary:
    """Median and its percentile-bootstrap interval; None values are dropped."""
    x = np.asarray([v for v in values if v is not None and np.isfinite(v)], dtype=float)
    if len(x) == 0:
        return Summary(None, None, None, 0)
    med = float(np.median(x))
    if len(x) == 1:
        return Summary(med, med, med, 1)
    rng = np.random.default_rng(seed)
    meds = np.median(x[rng.integers(0, len(x), (resamples, len(x)))], axis=1)
    alpha = (1 - confidence) / 2
    low, high = np.quantile(meds, [alpha, 1 - alpha])
    return Summary(med, float(low), float(high), len(x))
