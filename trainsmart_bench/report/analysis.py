"""Pure analysis the report needs: best-by-direction, Pareto fronts, ranks, Mann-Whitney U.

No numpy or scipy needed; everything here is small enough to check by hand in the tests.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache


def best_indices(values: Sequence[float | None], direction: str) -> set[int]:
    """Indices of the best value (ties all marked); none when direction is "none" or no values."""
    if direction not in ("max", "min"):
        return set()
    present = [v for v in values if v is not None]
    if not present:
        return set()
    best = max(present) if direction == "max" else min(present)
    return {i for i, v in enumerate(values) if v is not None and math.isclose(v, best)}


def _dominates(a: tuple[float, float], b: tuple[float, float], x_dir: str, y_dir: str) -> bool:
    sx = 1.0 if x_dir == "max" else -1.0
    sy = 1.0 if y_dir == "max" else -1.0
    ax, ay, bx, by = sx * a[0], sy * a[1], sx * b[0], sy * b[1]
    return ax >= bx and ay >= by and (ax > bx or ay > by)


def pareto_front(
    points: Sequence[tuple[float, float]], x_dir: str = "min", y_dir: str = "max"
) -> list[int]:
    """Indices of non-dominated points, sorted by x; duplicates of a front point stay on it."""
    front = [
        i for i, p in enumerate(points)
        if not any(_dominates(q, p, x_dir, y_dir) for j, q in enumerate(points) if j != i)
    ]
    return sorted(front, key=lambda i: (points[i][0], points[i][1]))


def rankdata(values: Sequence[float]) -> list[float]:
    """Ranks 1..n, ties get the average rank (like scipy.stats.rankdata's default)."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


@dataclass(frozen=True)
class MannWhitney:
    u: float  # U statistic of the first sample
    p: float  # two-sided p-value
    method: str  # "exact" | "asymptotic"


@lru_cache(maxsize=256)
def _u_counts(n1: int, n2: int) -> tuple[int, ...]:
    """How many rank arrangements give each U = 0..n1*n2 without ties: the coefficients of
    the Gaussian binomial prod_{i=1..n1} (1 - q^(n2+i)) / (1 - q^i). Both steps only look
    back, so working modulo q^(n1*n2+1) stays exact."""
    m = n1 * n2
    poly = [1] + [0] * m
    for i in range(1, n1 + 1):
        k = n2 + i
        for d in range(m, k - 1, -1):  # times (1 - q^k)
            poly[d] -= poly[d - k]
        for d in range(i, m + 1):  # divided by (1 - q^i)
            poly[d] += poly[d - i]
    return tuple(poly)


def mann_whitney_u(
    x: Sequence[float], y: Sequence[float], method: str = "auto"
) -> MannWhitney:
    """Two-sided Mann-Whitney U test, matching ``scipy.stats.mannwhitneyu`` defaults.

    ``auto`` uses the exact distribution when a sample has at most 8 values and there are no
    ties, otherwise the normal approximation with tie correction and continuity correction.
    """
    n1, n2 = len(x), len(y)
    if n1 == 0 or n2 == 0:
        raise ValueError("both samples need at least one value")
    ranks = rankdata(list(x) + list(y))
    u1 = sum(ranks[:n1]) - n1 * (n1 + 1) / 2
    u = max(u1, n1 * n2 - u1)
    ties = len(set(ranks)) < len(ranks)
    if method == "auto":
        method = "exact" if (min(n1, n2) <= 8 and not ties) else "asymptotic"
    if method == "exact":
        counts = _u_counts(n1, n2)
        tail = sum(counts[math.ceil(u - 1e-9):]) / sum(counts)
        return MannWhitney(u1, min(1.0, 2 * tail), "exact")
    n = n1 + n2
    tie_term = sum(t**3 - t for t in _tie_sizes(ranks)) / (n * (n - 1)) if n > 1 else 0.0
    var = n1 * n2 / 12 * ((n + 1) - tie_term)
    if var <= 0:
        return MannWhitney(u1, 1.0, "asymptotic")
    z = (u - n1 * n2 / 2 - 0.5) / math.sqrt(var)
    p = math.erfc(z / math.sqrt(2))  # = 2 * normal survival function
    return MannWhitney(u1, min(1.0, max(0.0, p)), "asymptotic")


def _tie_sizes(ranks: Sequence[float]) -> list[int]:
    counts: dict[float, int] = {}
    for r in ranks:
        counts[r] = counts.get(r, 0) + 1
    return [c for c in counts.values() if c > 1]


def min_p_value(n1: int, n2: int) -> float:
    """Smallest two-sided exact p reachable with these sample sizes (complete separation)."""
    return min(1.0, 2 / math.comb(n1 + n2, n1))


def intervals_overlap(a: tuple[float | None, float | None],
                      b: tuple[float | None, float | None]) -> bool | None:
    """Whether two [low, high] intervals overlap; None when either is missing."""
    if None in a or None in b:
        return None
    return not (a[1] < b[0] or b[1] < a[0])  # type: ignore[operator]
