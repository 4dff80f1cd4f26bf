"""Diff two result sets (e.g. two commits or two framework versions) cell by cell.

The compared set (``--compare``) is the reference "before"; the main results are "after".
A change is flagged when it is in the worse direction of the metric and either the two-sided
Mann-Whitney U test over seeds is significant or the 95% bootstrap intervals do not overlap.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from trainsmart_bench.report.model import COLUMNS, TaskTable
from trainsmart_bench.results.stats import (
    MannWhitney,
    intervals_overlap,
    mann_whitney,
    min_p_value,
)

ALPHA = 0.05


@dataclass(frozen=True)
class DiffRow:
    task: str
    backend: str
    device: str
    metric: str  # the column label (quality shows the task's metric name)
    unit: str
    direction: str
    before: float | None
    after: float | None
    n_before: int
    n_after: int
    change: float | None  # relative: after / before - 1
    test: MannWhitney | None
    overlap: bool | None
    verdict: str  # "regression" | "improvement" | "no significant change" | "n/a"


def diff_tables(after: list[TaskTable], before: list[TaskTable]) -> tuple[list[DiffRow], list[str]]:
    """Rows for every task/backend/device/metric present in both sets; and what is unmatched."""
    old = {(t.task, r.backend, r.device): (t, r) for t in before for r in t.rows}
    new = {(t.task, r.backend, r.device): (t, r) for t in after for r in t.rows}
    rows: list[DiffRow] = []
    for key in sorted(set(old) & set(new)):
        (_, rb), (ta, ra) = old[key], new[key]
        for col in COLUMNS:
            cb, ca = rb.cells[col.key], ra.cells[col.key]
            if not cb.values and not ca.values:
                continue
            direction = ta.column_direction(col)
            label = ta.metric if col.key == "quality" else col.label
            rows.append(_row(key, label, col.unit, direction, cb, ca))
    unmatched = [f"only in the main results: {' / '.join(k)}" for k in sorted(set(new) - set(old))]
    unmatched += [f"only in --compare: {' / '.join(k)}" for k in sorted(set(old) - set(new))]
    return rows, unmatched


def _row(key: tuple[str, str, str], label: str, unit: str, direction: str, cb, ca) -> DiffRow:
    mb, ma = cb.summary.median, ca.summary.median
    change = None if mb in (None, 0) or ma is None else ma / mb - 1
    test = mann_whitney(cb.values, ca.values) if cb.values and ca.values else None
    overlap = intervals_overlap((cb.summary.low, cb.summary.high),
                                (ca.summary.low, ca.summary.high))
    if len(cb.values) < 2 or len(ca.values) < 2:
        overlap = None  # a single seed has no interval worth the name
    return DiffRow(*key, label, unit, direction, mb, ma, len(cb.values), len(ca.values), change,
                   test, overlap, _verdict(direction, mb, ma, test, overlap))


def _verdict(direction: str, before: float | None, after: float | None,
             test: MannWhitney | None, overlap: bool | None) -> str:
    if before is None or after is None or test is None:
        return "n/a"
    if not (test.p < ALPHA or overlap is False) or after == before:
        return "no significant change"
    if direction not in ("max", "min"):
        return "changed"
    better = after > before if direction == "max" else after < before
    return "improvement" if better else "regression"


def power_note(rows: list[DiffRow]) -> str:
    """Explain when seeds are too few for the U test alone to reach significance."""
    sizes = Counter((r.n_before, r.n_after) for r in rows if r.n_before and r.n_after)
    weak = [s for s, _ in sizes.most_common() if min_p_value(*s) >= ALPHA]
    if not weak:
        return ""
    n1, n2 = weak[0]
    return (f"With {n1} vs {n2} seeds the smallest two-sided Mann-Whitney p is "
            f"{min_p_value(n1, n2):.3f}, so the test alone cannot reach p<{ALPHA}; "
            "non-overlapping bootstrap intervals also flag a change. Run more seeds to be sure.")
