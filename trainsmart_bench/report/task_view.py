"""One section per task (``task.html.j2``): the backend x device table, per-fold results, the
runs that did not finish, and the charts (``task_charts``).

The functions here turn the table model into what each cell shows, as plain strings; the
template writes (and escapes) them.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from trainsmart_bench.report.charts import Style
from trainsmart_bench.report.fmt import DASH, first_line, fmt_num, fmt_ratio, render
from trainsmart_bench.report.model import COLUMNS, Cell, Column, Row, TaskTable
from trainsmart_bench.report.task_charts import figures, row_key
from trainsmart_bench.results.folds import fold_views
from trainsmart_bench.results.records import Status
from trainsmart_bench.results.summary import UNSTABLE_CV, test_set_interval

__all__ = ["ARROW", "row_key", "task_section"]

ARROW = {"max": "\u2191 higher is better", "min": "\u2193 lower is better", "none": ""}


@dataclass(frozen=True)
class CellView:
    """One cell as shown; ``median`` None: no value, and ``note`` says why."""

    median: str | None
    ci: str = ""
    test_set: str = ""  # the interval from resampling the test examples, where recorded
    ratio: str = ""  # against the baseline, e.g. "×0.80 torch"
    ratio_class: str = ""  # "better" | "worse" | ""
    note: str = ""
    best: bool = False


@dataclass(frozen=True)
class RowView:
    backend: str
    device: str
    runs: str  # "ok/all"
    badges: tuple[tuple[str, int], ...]  # statuses other than ok, with their counts
    unstable: str  # the spread of steady epoch times where it flags the row, else ""
    reason: str = ""  # no ok run: the first line of the first error...
    error: str = ""  # ...and the full error where it says more
    cells: tuple[CellView, ...] = ()


def _fmt(col: Column, v: float | None) -> str:
    if v is None:
        return DASH
    return f"{v:.4f}" if col.key == "quality" else fmt_num(v)


def _ratio(table: TaskTable, col: Column, ratio: float) -> tuple[str, str]:
    d = table.column_direction(col)
    good = (ratio > 1) if d == "max" else (ratio < 1) if d == "min" else None
    cls = "" if good is None or abs(ratio - 1) < 0.005 else ("better" if good else "worse")
    return f"{fmt_ratio(ratio)} {table.baseline}", cls


def cell_view(table: TaskTable, col: Column, c: Cell, test_set: str = "") -> CellView:
    s = c.summary
    if s.median is None:
        return CellView(None, note=c.note or "n/a")
    ci = "n=1" if s.n < 2 else f"{_fmt(col, s.low)} \u2013 {_fmt(col, s.high)}"
    if c.scoring == "olympic":
        ci = f"MLPerf: mean of {s.n} runs, fastest and slowest dropped"
    elif c.scoring == "mean" and s.n > 1:
        ci = f"{ci} (mean of {s.n} folds x seeds)"
    ratio, cls = ("", "") if c.ratio is None else _ratio(table, col, c.ratio)
    return CellView(_fmt(col, s.median), ci, test_set, ratio, cls, c.note, c.best)


def row_view(table: TaskTable, row: Row) -> RowView:
    badges = tuple((s, n) for s, n in sorted(row.statuses.items()) if s != Status.OK.value)
    unstable = f"{row.cv:.0%}" if row.unstable else ""
    head = (row.backend, row.device, f"{len(row.ok)}/{len(row.records)}", badges, unstable)
    if not row.ok:
        full = next((r.error for r in row.records if r.error), "") or ""
        more = full[:6000] if full.strip() and full.strip() != row.reason else ""
        return RowView(*head, reason=row.reason or "no reason recorded", error=more)
    interval = test_set_interval(table.metric, row.ok)
    test_set = "" if interval is None else f"{interval[0]:.4f} \u2013 {interval[1]:.4f}"
    return RowView(*head, cells=tuple(
        cell_view(table, c, row.cells[c.key], test_set if c.key == "quality" else "")
        for c in COLUMNS))


def heads(table: TaskTable) -> list[tuple[str, str, str]]:
    """(label, unit, direction in words) per metric column."""
    return [((table.metric or "quality") if col.key == "quality" else col.label, col.unit,
             ARROW[table.column_direction(col)]) for col in COLUMNS]


def issues(table: TaskTable) -> list[tuple[str, object, str, str]]:
    """(row, seed, status, first line of the error) of each failed run in a row with ok runs."""
    return [(row_key(row), r.seed, r.status.value, first_line(r.error))
            for row in table.rows if row.ok for r in row.records if r.status is not Status.OK]


def task_section(table: TaskTable, st: dict[str, Style], anchor: str) -> Markup:
    views = fold_views([r for row in table.rows for r in row.records])
    return render(
        "task.html.j2", table=table, anchor=anchor, arrow=ARROW[table.direction],
        target=f"target {fmt_num(table.target, 4)}" if table.target is not None else "no target",
        has_base=any(r.backend == table.baseline and r.ok for r in table.rows),
        heads=heads(table), rows=[row_view(table, r) for r in table.rows], n_cols=len(COLUMNS),
        unstable_cv=f"{UNSTABLE_CV:.0%}", folds=views,
        fold_width=max((len(v.folds) for v in views), default=0),
        fold_word="window" if views and views[0].kind == "walk-forward" else "fold",
        issues=issues(table), figures=figures(table, st))
