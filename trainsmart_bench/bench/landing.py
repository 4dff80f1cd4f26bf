"""The landing page of the published site: one section per asv machine (a profile's series).

Self-contained like the report: inline CSS and SVG, no scripts, nothing loaded from anywhere
(a Content-Security-Policy blocks what might slip in); the links lead to the reports and to the
asv site beside it.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from html import escape

from trainsmart_bench.bench.asvresults import is_missing
from trainsmart_bench.bench.compare import Row, fmt_change, fmt_rule, fmt_value
from trainsmart_bench.bench.site import ASV_DIR, Headline, MachineView

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
CSS = """
body{margin:0;color:#1f2328;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,
"Liberation Sans",sans-serif}
main{max-width:1180px;margin:0 auto;padding:28px 36px 60px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:20px;margin:36px 0 4px;padding-top:16px;
border-top:1px solid #d8dee4}
a{color:#0072B2}.meta{color:#59636e;margin:4px 0 10px}
.badge{font-size:12px;font-weight:600;padding:1px 8px;border-radius:9px;background:#eaeef2;
vertical-align:middle;margin-left:6px}
.links a{margin-right:18px}
.alarm{border-left:4px solid #D55E00;background:#fbe3d4;padding:10px 14px;margin:14px 0;
border-radius:0 6px 6px 0}.alarm b{color:#8a3200}
.ok{border-left:4px solid #0072B2;background:#e3eff9;padding:8px 14px;margin:14px 0;
border-radius:0 6px 6px 0}
table{border-collapse:collapse;font-variant-numeric:tabular-nums;margin:8px 0}
th,td{padding:6px 10px;text-align:left;vertical-align:middle}
thead th{font-size:12px;color:#59636e;border-bottom:2px solid #d8dee4}
tbody tr{border-bottom:1px solid #eaeef2}.num{text-align:right;white-space:nowrap}
.better{color:#0072B2}.worse{color:#D55E00;font-weight:600}.muted{color:#59636e}
svg.spark{display:block}svg .line{fill:none;stroke:#0072B2;stroke-width:1.5}
svg .dot{fill:#0072B2}svg .last{fill:#1f2328}svg .fail{fill:#D55E00}
"""
LABELS = {"accuracy": "accuracy", "rmse": "RMSE", "train_throughput": "train throughput",
          "time_to_target": "time to target"}


def when(ms: int) -> str:
    if not ms:
        return "unknown"
    stamp = dt.datetime.fromtimestamp(ms / 1000, tz=dt.timezone.utc)
    return stamp.strftime("%Y-%m-%d %H:%M UTC")


def fmt_headline(value: float | None, h: Headline) -> str:
    if is_missing(value):
        return "failed" if value is None else "n/a"
    assert value is not None
    if h.unit == "fraction":
        return f"{value * 100:.2f}%"
    if h.unit == "samples/s":
        return f"{value:,.0f}/s"
    if h.unit in ("seconds", "s"):
        return f"{value:.2f} s"
    return f"{value:.4g}"


def change(h: Headline) -> str:
    """The latest value against the previous commit's, coloured by whether it is better."""
    before = h.previous
    if is_missing(before) or not before:
        return ""
    assert before is not None
    diff = h.latest - before
    text = f"{diff * 100:+.2f} pts" if h.unit == "fraction" else (
        f"{diff:+.4f}" if h.metric == "rmse" else f"{diff / abs(before) * 100:+.1f}%")
    if math.isclose(diff, 0.0, abs_tol=1e-12):
        return f'<span class="muted">{text}</span>'
    good = diff > 0 if h.direction == "max" else diff < 0
    return f'<span class="{"better" if good else "worse"}">{text}</span>'


def sparkline(h: Headline, width: int = 140, height: int = 30) -> str:
    """The cell's value over the last commits; a failed commit is a red dot at the bottom."""
    n = len(h.trend)
    vals = [p.value for p in h.trend if not is_missing(p.value)]
    lo, hi = (min(vals), max(vals)) if vals else (0.0, 1.0)
    span = (hi - lo) or abs(hi) or 1.0

    def x(i: int) -> float:
        return 4 + (width - 8) * (i / (n - 1) if n > 1 else 0.5)

    def y(v: float) -> float:
        return height - 4 - (height - 8) * ((v - lo) / span if hi > lo else 0.5)

    pts, marks = [], []
    for i, p in enumerate(h.trend):
        tip = f"<title>{escape(p.commit[:8])}: {escape(fmt_headline(p.value, h))}</title>"
        if p.value is None:
            marks.append(f'<circle class="fail" cx="{x(i):.1f}" cy="{height - 3}" r="2.5">'
                         f"{tip}</circle>")
        elif not math.isnan(p.value):
            pts.append(f"{x(i):.1f},{y(p.value):.1f}")
            cls = "last" if i == n - 1 else "dot"
            marks.append(f'<circle class="{cls}" cx="{x(i):.1f}" cy="{y(p.value):.1f}" '
                         f'r="{3 if i == n - 1 else 2}">{tip}</circle>')
    line = f'<polyline class="line" points="{" ".join(pts)}"/>' if len(pts) > 1 else ""
    return (f'<svg class="spark" width="{width}" height="{height}" role="img" '
            f'aria-label="trend over {n} commits">{line}{"".join(marks)}</svg>')


def headline_table(view: MachineView) -> str:
    if not view.headlines:
        return '<p class="muted">No training results in this run.</p>'
    head = ("task", "metric", "best", "value", "vs previous", "last commits", "")
    rows = []
    for h in view.headlines:
        cells = (escape(h.task), LABELS.get(h.metric, h.metric), escape(h.cell),
                 f'<b>{fmt_headline(h.latest, h)}</b>', change(h), sparkline(h),
                 f'<a href="{escape(h.graph)}">graph</a>')
        classes = ("", "", "", "num", "num", "", "")
        rows.append("<tr>" + "".join(f'<td class="{c}">{v}</td>' if c else f"<td>{v}</td>"
                                     for c, v in zip(classes, cells)) + "</tr>")
    return ("<table><thead><tr>" + "".join(f"<th>{t}</th>" for t in head)
            + "</tr></thead><tbody>" + "".join(rows) + "</tbody></table>")


def verdict_box(view: MachineView) -> str:
    if view.previous is None:
        return '<p class="muted">First results of this machine: nothing to compare with yet.</p>'
    base = escape(view.previous[:8])
    bad = view.regressions
    if not bad:
        return (f'<p class="ok">No regressions against {base} (accuracy -0.5 points, '
                f"RMSE +0.005, throughput -10% fail the nightly).</p>")
    return (f'<div class="alarm"><b>{len(bad)} regression{"s" if len(bad) > 1 else ""} '
            f"against {base}</b>{regression_table(bad)}</div>")


def regression_table(rows: Sequence[Row]) -> str:
    body = "".join(
        f"<tr><td>{escape(r.benchmark.rsplit('.', 1)[-1])}</td>"
        f"<td>{escape(', '.join(p.strip(chr(39)) for p in r.params))}</td>"
        f'<td class="num">{escape(fmt_value(r.before, r.unit))}</td>'
        f'<td class="num">{escape(fmt_value(r.after, r.unit))}</td>'
        f'<td class="num">{escape(fmt_change(r))}</td><td>{escape(fmt_rule(r.rule))}</td>'
        f"<td><b>{escape(r.verdict)}</b></td></tr>" for r in rows)
    head = "".join(f"<th>{t}</th>" for t in ("benchmark", "cell", "before", "after", "change",
                                             "limit", "verdict"))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def machine_section(view: MachineView, commit_url: str | None) -> str:
    sha = escape(view.latest.commit[:8])
    commit = (f'<a href="{escape(commit_url + view.latest.commit)}">{sha}</a>'
              if commit_url else sha)
    profile = f'<span class="badge">{escape(view.profile)}</span>' if view.profile else ""
    links = [(view.report, "latest report"),
             (view.compare_report, f"comparison with {(view.previous or '')[:8]} "
                                   "(with significance)"),
             (view.listing, "asv benchmarks of this machine")]
    missing = "" if view.report else '<span class="muted">no report in this build</span>'
    return (f'<section id="{escape(view.machine)}"><h2>{escape(view.machine)}{profile}</h2>'
            f'<p class="meta">commit {commit}, committed {when(view.latest.date)}; '
            f"run {when(view.latest.ran_at)}</p>"
            f'<p class="links">' + "".join(f'<a href="{escape(href)}">{escape(text)}</a>'
                                           for href, text in links if href)
            + f"{missing}</p>{verdict_box(view)}{headline_table(view)}</section>")


def render_landing(views: Sequence[MachineView], generated: str, notes: Sequence[str] = (),
                   commit_url: str | None = None) -> str:
    bad = [(v.machine, len(v.regressions)) for v in views if v.regressions]
    alarm = ('<div class="alarm"><b>Regressions</b> against the previous run: '
             + ", ".join(f'<a href="#{escape(m)}">{escape(m)}</a> ({n})' for m, n in bad)
             + "</div>") if bad else ""
    toc = " · ".join(f'<a href="#{escape(v.machine)}">{escape(v.machine)}</a>' for v in views)
    body = "".join(machine_section(v, commit_url) for v in views) or (
        '<p class="muted">No asv results yet: run <code>nox -s bench</code>.</p>')
    note = "".join(f'<p class="meta">{escape(n)}</p>' for n in notes)
    return (
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>trainsmart-bench results</title><style>{CSS}</style></head><body><main>"
        "<h1>trainsmart-bench results</h1>"
        f'<p class="meta">Generated {escape(generated)}. Every benchmark over time: '
        f'<a href="{ASV_DIR}/index.html">the asv site</a>.</p>{note}'
        f'<nav class="meta">{toc}</nav>{alarm}{body}</main></body></html>\n')
