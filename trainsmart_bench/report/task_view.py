"""One section per task: the backend x device table and its three charts."""

from __future__ import annotations

import statistics
from collections import defaultdict

from trainsmart_bench.report.analysis import pareto_front
from trainsmart_bench.report.charts import Series, Style
from trainsmart_bench.report.fmt import DASH, esc, first_line, fmt_num, fmt_ratio, num
from trainsmart_bench.report.model import COLUMNS, Cell, Column, Row, TaskTable
from trainsmart_bench.report.plots import Bar, Point, bar_chart, legend, line_chart, scatter_chart
from trainsmart_bench.results.folds import fold_views
from trainsmart_bench.results.records import Status
from trainsmart_bench.results.summary import UNSTABLE_CV, test_set_interval

ARROW = {"max": "\u2191 higher is better", "min": "\u2193 lower is better", "none": ""}


def row_key(row: Row) -> str:
    return f"{row.backend} \u00b7 {row.device}"


def _fmt(col: Column, v: float | None) -> str:
    if v is None:
        return DASH
    return f"{v:.4f}" if col.key == "quality" else fmt_num(v)


def _cell_html(table: TaskTable, col: Column, c: Cell, test_set: str = "") -> str:
    s = c.summary
    if s.median is None:
        text = c.note or "n/a"
        return f'<td class="num na">{esc(text)}</td>'
    ci = "n=1" if s.n < 2 else f"{_fmt(col, s.low)} \u2013 {_fmt(col, s.high)}"
    if c.scoring == "olympic":
        ci = f"MLPerf: mean of {s.n} runs, fastest and slowest dropped"
    elif c.scoring == "mean" and s.n > 1:
        ci = f"{ci} (mean of {s.n} folds x seeds)"
    parts = [f'<span class="med">{_fmt(col, s.median)}</span>', f'<span class="ci">{ci}</span>']
    if test_set:
        parts.append(f'<span class="ci" title="95% interval from resampling the test examples '
                     f'(median over runs), apart from the interval over seeds">test set '
                     f"{esc(test_set)}</span>")
    if c.ratio is not None:
        d = table.column_direction(col)
        good = (c.ratio > 1) if d == "max" else (c.ratio < 1) if d == "min" else None
        cls = "" if good is None or abs(c.ratio - 1) < 0.005 else ("better" if good else "worse")
        parts.append(f'<span class="ratio {cls}" title="median / {esc(table.baseline)} median">'
                     f"{fmt_ratio(c.ratio)} {esc(table.baseline)}</span>")
    if c.note:
        parts.append(f'<span class="note">{esc(c.note)}</span>')
    cls = "num best" if c.best else "num"
    title = ' title="best in column"' if c.best else ""
    return f'<td class="{cls}"{title}>{"".join(parts)}</td>'


def _status_badges(row: Row) -> str:
    n_ok = len(row.ok)
    badges = [f'<span class="runs">{n_ok}/{len(row.records)}</span>']
    for status, count in sorted(row.statuses.items()):
        if status != Status.OK.value:
            badges.append(f'<span class="badge {esc(status)}">{esc(status)} {count}</span>')
    if row.unstable:
        badges.append(f'<span class="badge timeout" title="steady epoch times vary by '
                      f'{row.cv:.0%} (std/mean) over {UNSTABLE_CV:.0%}: throughput is '
                      f'suspect">unstable {row.cv:.0%}</span>')
    return "".join(badges)


def _row_html(table: TaskTable, row: Row) -> str:
    head = (f'<th scope="row">{esc(row.backend)}</th><td>{esc(row.device)}</td>'
            f'<td class="status">{_status_badges(row)}</td>')
    if not row.ok:
        full = next((r.error for r in row.records if r.error), "") or ""
        more = (f"<details><summary>full error</summary><pre>{esc(full[:6000])}</pre></details>"
                if full.strip() and full.strip() != row.reason else "")
        reason = esc(row.reason) or "no reason recorded"
        return (f'<tr class="failed-row">{head}<td colspan="{len(COLUMNS)}" class="reason">'
                f"{reason}{more}</td></tr>")
    interval = test_set_interval(table.metric, row.ok)
    test_set = "" if interval is None else f"{interval[0]:.4f} \u2013 {interval[1]:.4f}"
    cells = "".join(_cell_html(table, c, row.cells[c.key], test_set if c.key == "quality"
                               else "") for c in COLUMNS)
    return f"<tr>{head}{cells}</tr>"


def folds_html(table: TaskTable) -> str:
    """Per fold (or walk-forward window): the test metric averaged over seeds, and the whole."""
    views = fold_views([r for row in table.rows for r in row.records])
    if not views:
        return ""
    width = max(len(v.folds) for v in views)
    what = "window" if views[0].kind == "walk-forward" else "fold"
    heads = "".join(f'<th scope="col" class="num">{what} {i}</th>' for i in range(1, width + 1))
    body = []
    for v in views:
        cells = "".join(f'<td class="num">{value:.4f}<span class="ci">n={n:,}</span></td>'
                        for _, value, n in v.folds)
        cells += '<td></td>' * (width - len(v.folds))
        overall = "" if v.overall is None else f"{v.overall:.4f}"
        body.append(f'<tr><th scope="row">{esc(v.run)}</th><td>{esc(v.protocol)}</td>{cells}'
                    f'<td class="num"><b>{v.mean:.4f}</b></td><td class="num">{overall}</td></tr>')
    return (f'<h3>Per {what}: test {esc(table.metric)}, mean over seeds</h3>'
            '<div class="table-wrap"><table class="results"><thead><tr><th scope="col">run</th>'
            f'<th scope="col">protocol</th>{heads}<th scope="col" class="num">mean</th>'
            '<th scope="col" class="num">overall RMSE</th></tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>')


def table_html(table: TaskTable) -> str:
    heads = []
    for col in COLUMNS:
        label = (table.metric or "quality") if col.key == "quality" else col.label
        unit = f'<span class="unit">{esc(col.unit)}</span>' if col.unit else ""
        arrow = ARROW[table.column_direction(col)][:1]
        heads.append(f'<th scope="col" class="num" title="{ARROW[table.column_direction(col)]}">'
                     f"{esc(label)} {arrow}{unit}</th>")
    rows = "".join(_row_html(table, r) for r in table.rows)
    return ('<div class="table-wrap"><table class="results"><thead><tr>'
            '<th scope="col">backend</th><th scope="col">device</th><th scope="col">runs</th>'
            f'{"".join(heads)}</tr></thead><tbody>{rows}</tbody></table></div>')


def issues_html(table: TaskTable) -> str:
    items = []
    for row in table.rows:
        if not row.ok:
            continue
        for r in row.records:
            if r.status is not Status.OK:
                items.append(f"<li><b>{esc(row_key(row))}</b> seed {esc(r.seed)}: "
                             f'<span class="badge {esc(r.status.value)}">{esc(r.status.value)}'
                             f"</span> {esc(first_line(r.error)) or 'no reason recorded'}</li>")
    return f'<ul class="issues">{"".join(items)}</ul>' if items else ""


def _bars(table: TaskTable, key: str, st: dict[str, Style]) -> list[Bar]:
    out = []
    for row in table.rows:
        c = row.cells[key]
        s = c.summary
        if s.median is not None:
            out.append(Bar(row_key(row), s.median, s.low or s.median, s.high or s.median,
                           st[row_key(row)], c.best))
    return out


def _scatter(table: TaskTable, st: dict[str, Style]) -> str:
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


def _curves(table: TaskTable, st: dict[str, Style]) -> str:
    key = f"val_{table.metric}"
    series = []
    for row in table.rows:
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
        med = tuple((x, statistics.median(v)) for x, v in sorted(by_epoch.items()))
        if med:
            series.append(Series(row_key(row), st[row_key(row)], med,
                                 faint=tuple(traces) if len(traces) > 1 else ()))
    return line_chart(series, f"{table.task}: validation {table.metric} per epoch", "epoch",
                      f"validation {table.metric}", table.target,
                      f"target {fmt_num(table.target, 4)}" if table.target is not None else "")


def _figure(chart: str, caption: str, leg: str) -> str:
    if not chart:
        return ""
    return f"<figure>{chart}<figcaption>{caption}</figcaption>{leg}</figure>"


def task_section(table: TaskTable, st: dict[str, Style], anchor: str) -> str:
    keys = [(row_key(r), st[row_key(r)]) for r in table.rows if r.ok]
    target = f"target {fmt_num(table.target, 4)}" if table.target is not None else "no target"
    figs = [
        _figure(bar_chart(_bars(table, "train_throughput", st), "train throughput", "samples/s"),
                "Train throughput, median over seeds with 95% bootstrap interval.", ""),
        _figure(bar_chart(_bars(table, "inference_throughput", st), "inference throughput",
                          "samples/s"),
                "Inference throughput, median with 95% bootstrap interval.", ""),
        _figure(_scatter(table, st), "Quality vs time to target (medians, 95% whiskers); "
                "dashed: Pareto front; hollow: no run reached the target.",
                legend(keys)),
        _figure(_curves(table, st), "Validation metric per epoch: median over seeds (bold), "
                "single seeds (faint); dashed: target.", legend(keys, line=True)),
    ]
    has_base = any(r.backend == table.baseline and r.ok for r in table.rows)
    ratios = (f"ratios against <b>{esc(table.baseline)}</b> on the same device" if has_base
              else f"no ok runs of the baseline <b>{esc(table.baseline)}</b>, so no ratios")
    return (f'<section id="{anchor}"><h2>{esc(table.task)}</h2>'
            f'<p class="meta">metric <b>{esc(table.metric)}</b> '
            f"({ARROW[table.direction]}) \u00b7 {esc(target)} \u00b7 {ratios} \u00b7 "
            "shaded: best in column</p>"
            f"{table_html(table)}{folds_html(table)}{issues_html(table)}"
            f'<div class="charts">{"".join(figs)}</div></section>')
