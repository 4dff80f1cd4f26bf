"""Pure analysis the report needs: best-by-direction and Pareto fronts (the statistical tests
are ``trainsmart_bench.results.stats``)."""

from __future__ import annotations

import math
from collections.abc import Sequence


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
