"""The four charts of a task's section: throughput bars, quality vs time, validation curves."""

from __future__ import annotations

import statistics
from collections import defaultdict

from trainsmart_bench.report.analysis import pareto_front
from trainsmart_bench.report.charts import Series, Style
from trainsmart_bench.report.fmt import fmt_num, num
from trainsmart_bench.report.model import Row, TaskTable
from trainsmart_bench.report.plots import (
    Bar,
    Figure,
    Point,
    bar_chart,
    legend,
    line_chart,
    scatter_chart,
)


def row_key(row: Row) -> str:
    return f"{row.backend} \u00b7 {row.device}"


def _bars(table: TaskTable, key: str, st: dict[str, Style]) -> list[Bar]:
    out = []
    for row in table.rows:
        c = row.cells[key]
        s = c.summary
        if s.median is not None:
            out.append(Bar(row_key(row), s.median, s.low or s.median, s.high or s.median,
                           st[row_key(row)], c.best))
    return out


def _scatter(table: TaskTable, st: dict[str, Style]):
    pts = []
    for row in table.rows:
        q, t = row.cells["quality"].summary, row.cells["time_to_target"].summary
        if q.median is None:
            continue
        pts.append(Point(row_key(row), t.median, q.median,
                         (t.low, t.high) if t.n > 1 else None,
                         (q.low, q.high) if q.n > 1 else None, st[row_key(row)]))
    reached = [i for i, p in enumerate(pts) if p.x is not None]
    front = [reached[i] for i in pareto_front([(pts[j].x, pts[j].y) for j in reached],
                                              "min", table.direction)]
    return scatter_chart(pts, front, f"{table.task}: quality vs time to target",
                         "time to target (s)", table.metric, table.direction)


def _median_curve(row: Row, key: str) -> tuple[tuple, tuple]:
    """The per-seed traces of ``key`` over epochs and their median per epoch."""
    traces = []
    for r in row.ok:
        pts = [(num(e.get("epoch")), num(e.get(key))) for e in r.curve if isinstance(e, dict)]
        trace = tuple((x, y) for x, y in pts if x is not None and y is not None)
        if trace:
            traces.append(trace)
    by_epoch: dict[float, list[float]] = defaultdict(list)
    for trace in traces:
        for x, y in trace:
            by_epoch[x].append(y)
    return tuple(traces), tuple((x, statistics.median(v)) for x, v in sorted(by_epoch.items()))


def _curves(table: TaskTable, st: dict[str, Style]):
    series = []
    for row in table.rows:
        traces, med = _median_curve(row, f"val_{table.metric}")
        if med:
            series.append(Series(row_key(row), st[row_key(row)], med,
                                 faint=traces if len(traces) > 1 else ()))
    return line_chart(series, f"{table.task}: validation {table.metric} per epoch", "epoch",
                      f"validation {table.metric}", table.target,
                      f"target {fmt_num(table.target, 4)}" if table.target is not None else "")


def figures(table: TaskTable, st: dict[str, Style]) -> list[Figure]:
    """The charts that have something to draw, with their captions and legends."""
    keys = [(row_key(r), st[row_key(r)]) for r in table.rows if r.ok]
    figs = [
        Figure(bar_chart(_bars(table, "train_throughput", st), "train throughput", "samples/s"),
               "Train throughput, median over seeds with 95% bootstrap interval."),
        Figure(bar_chart(_bars(table, "inference_throughput", st), "inference throughput",
                         "samples/s"),
               "Inference throughput, median with 95% bootstrap interval."),
        Figure(_scatter(table, st), "Quality vs time to target (medians, 95% whiskers); "
               "dashed: Pareto front; hollow: no run reached the target.", legend(keys)),
        Figure(_curves(table, st), "Validation metric per epoch: median over seeds (bold), "
               "single seeds (faint); dashed: target.", legend(keys, line=True)),
    ]
    return [f for f in figs if f.chart]
