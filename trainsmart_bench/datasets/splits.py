"""Index splits shared by loaders and tasks, numpy only.

The validation split is always carved out of the *train* split, with a fixed seed; the test
split is never used for tuning or early stopping. Every function returns sorted ``int64`` row
indices, so ``x[train_idx]`` keeps the original order.
"""

from __future__ import annotations

import numpy as np

from trainsmart_bench.errors import ConfigError


def holdout_count(n: int, fraction: float, what: str = "fraction") -> int:
    """``round(n * fraction)`` rows to hold out; both parts must keep at least one row."""
    if not 0.0 < fraction < 1.0:
        raise ConfigError(f"{what}={fraction}: must be strictly between 0 and 1")
    k = int(round(n * fraction))
    if k < 1 or k > n - 1:
        raise ConfigError(
            f"{what}={fraction} of {n} rows leaves {k} held out and {n - k} kept; "
            "both parts need at least one row"
        )
    return k


def complement(n: int, idx: np.ndarray) -> np.ndarray:
    """Sorted indices of ``range(n)`` not in ``idx``."""
    keep = np.ones(n, bool)
    keep[idx] = False
    return np.flatnonzero(keep).astype(np.int64)


def _stratified_quota(counts: np.ndarray, k: int) -> np.ndarray:
    """Per-class hold-out counts summing to ``k``, by largest remainder (ties: lower class)."""
    exact = counts * (k / counts.sum())
    quota = np.floor(exact).astype(np.int64)
    short = k - int(quota.sum())
    order = np.lexsort((np.arange(len(counts)), -(exact - quota)))
    quota[order[:short]] += 1
    return quota


def validation_split(
    n_or_labels: int | np.ndarray, fraction: float = 0.1, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """(train_idx, val_idx) of the training rows; stratified when labels are given.

    With labels, every class keeps its share of the validation rows (largest-remainder
    rounding, so the total is ``round(n * fraction)``). The same arguments always give the
    same split.
    """
    labels = None if np.ndim(n_or_labels) == 0 else np.asarray(n_or_labels)
    n = int(n_or_labels) if labels is None else len(labels)
    k = holdout_count(n, fraction)
    shuffled = np.random.default_rng(seed).permutation(n)
    if labels is None:
        val = shuffled[:k]
    else:
        classes, inverse = np.unique(labels, return_inverse=True)
        quota = _stratified_quota(np.bincount(inverse, minlength=len(classes)), k)
        by_class = inverse[shuffled]
        # rank of each shuffled row within its class; keep the first `quota` of each class
        order = np.argsort(by_class, kind="stable")
        starts = np.searchsorted(by_class[order], np.arange(len(classes)))
        rank = np.empty(n, np.int64)
        rank[order] = np.arange(n) - starts[by_class[order]]
        val = shuffled[rank < quota[by_class]]
    val = np.sort(val).astype(np.int64)
    return complement(n, val), val
