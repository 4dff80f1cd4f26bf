"""The landing page of the published site: one section per asv machine (a profile's series).

Rendered from ``landing.html.j2`` in the page shell the report uses too
(``trainsmart_bench.pages``): inline CSS and SVG, no scripts, nothing loaded from anywhere (the
shell's Content-Security-Policy blocks what might slip in); the links lead to the reports and to
the asv site beside it. Values are escaped by the template; the sparklines are a template too.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

from markupsafe import Markup

from trainsmart_bench import pages
from trainsmart_bench.bench.asvresults import is_missing
from trainsmart_bench.bench.compare import Row, fmt_change, fmt_rule, fmt_value
from trainsmart_bench.bench.site import ASV_DIR, Headline, MachineView

LABELS = {"accuracy": "accuracy", "rmse": "RMSE", "train_throughput": "train throughput",
          "time_to_target": "time to target"}
RULES = "accuracy -0.5 points, RMSE +0.005, throughput -10% fail the nightly"


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


def change(h: Headline) -> tuple[str, str] | None:
    """The latest value against the previous commit's, and the class that colours it by
    whether it is better ("muted" when it did not change)."""
    before = h.previous
    if is_missing(before) or not before:
        return None
    assert before is not None
    diff = h.latest - before
    text = f"{diff * 100:+.2f} pts" if h.unit == "fraction" else (
        f"{diff:+.4f}" if h.metric == "rmse" else f"{diff / abs(before) * 100:+.1f}%")
    if math.isclose(diff, 0.0, abs_tol=1e-12):
        return text, "muted"
    good = diff > 0 if h.direction == "max" else diff < 0
    return text, "better" if good else "worse"


def sparkline(h: Headline, width: int = 140, height: int = 30) -> Markup:
    """The cell's value over the last commits; a failed commit is a red dot at the bottom."""
    n = len(h.trend)
    vals = [p.value for p in h.trend if not is_missing(p.value)]
    lo, hi = (min(vals), max(vals)) if vals else (0.0, 1.0)
    span = (hi - lo) or abs(hi) or 1.0

    def x(i: int) -> str:
        return f"{4 + (width - 8) * (i / (n - 1) if n > 1 else 0.5):.1f}"

    def y(v: float) -> str:
        return f"{height - 4 - (height - 8) * ((v - lo) / span if hi > lo else 0.5):.1f}"

    pts, marks = [], []  # marks: (class, cx, cy, r, tooltip)
    for i, p in enumerate(h.trend):
        tip = f"{p.commit[:8]}: {fmt_headline(p.value, h)}"
        if p.value is None:
            marks.append(("fail", x(i), height - 3, 2.5, tip))
        elif not math.isnan(p.value):
            pts.append(f"{x(i)},{y(p.value)}")
            last = i == n - 1
            marks.append(("last" if last else "dot", x(i), y(p.value), 3 if last else 2, tip))
    return pages.render(pages.SHELL, "sparkline.svg.j2", width=width, height=height, n=n,
                        points=" ".join(pts) if len(pts) > 1 else "", marks=marks)


def headline_rows(view: MachineView) -> list[dict[str, object]]:
    return [{"h": h, "metric": LABELS.get(h.metric, h.metric), "value": fmt_headline(h.latest, h),
             "change": change(h), "spark": sparkline(h)} for h in view.headlines]


def regression_rows(rows: Sequence[Row]) -> list[tuple[str, ...]]:
    """(benchmark, cell, before, after, change, limit, verdict) per regression."""
    return [(r.benchmark.rsplit(".", 1)[-1], ", ".join(p.strip("'") for p in r.params),
             fmt_value(r.before, r.unit), fmt_value(r.after, r.unit), fmt_change(r),
             fmt_rule(r.rule), r.verdict) for r in rows]


def machine(view: MachineView, commit_url: str | None) -> dict[str, object]:
    """What a machine's section shows besides the view's own fields."""
    links = [(view.report, "latest report"),
             (view.compare_report, f"comparison with {(view.previous or '')[:8]} "
                                   "(with significance)"),
             (view.listing, "asv benchmarks of this machine")]
    return {"v": view, "sha": view.latest.commit[:8],
            "commit_href": commit_url + view.latest.commit if commit_url else None,
            "committed": when(view.latest.date), "ran": when(view.latest.ran_at),
            "links": [(href, text) for href, text in links if href],
            "base": (view.previous or "")[:8], "regressions": regression_rows(view.regressions),
            "headlines": headline_rows(view)}


def render_landing(views: Sequence[MachineView], generated: str, notes: Sequence[str] = (),
                   commit_url: str | None = None) -> str:
    return str(pages.render(
        pages.SHELL, "landing.html.j2", title="trainsmart-bench results", generated=generated,
        asv=f"{ASV_DIR}/index.html", notes=notes, rules=RULES,
        alarms=[(v.machine, len(v.regressions)) for v in views if v.regressions],
        machines=[machine(v, commit_url) for v in views]))
