"""The three chart kinds the report draws, built on the primitives in ``charts``, and the
figure a chart goes in (with its caption and legend).

Like ``charts``, every fragment is ``Markup`` from ``Markup.format``: labels are escaped there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

from trainsmart_bench.report.charts import (
    INK,
    MUTED,
    Frame,
    Series,
    Style,
    axes,
    legend,
    marker,
    nice_ticks,
    svg,
)
from trainsmart_bench.report.fmt import fmt_num


@dataclass(frozen=True)
class Figure:
    chart: Markup
    caption: str
    legend: Markup = Markup()


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    low: float
    high: float
    style: Style
    best: bool = False


LABEL_CHAR_PX = 7.2  # a bar label's width per character (12px sans-serif, bold, generous)


def bar_chart(bars: Sequence[Bar], title: str, unit: str, width: int = 520) -> Markup:
    """Horizontal bars from zero with 95% interval whiskers and the median printed."""
    if not bars:
        return Markup()
    row, top, bottom = 26, 12, 40
    height = top + bottom + row * len(bars)
    hi = max(max(b.high, b.value) for b in bars)
    xt = nice_ticks(0.0, hi * 1.05 or 1.0, 4)
    left = max(130, 16 + round(LABEL_CHAR_PX * max(len(b.label) for b in bars)))
    f = Frame(width, height, left, 70, top, bottom, 0.0, xt[-1], 0.0, 1.0)
    out = [axes(f, xt, [], unit, "")]
    for i, b in enumerate(bars):
        y = top + i * row + 4
        x0, x = f.px(0), f.px(b.value)
        lo, hi_ = f.px(b.low), f.px(b.high)
        weight = Markup(' font-weight="600"') if b.best else ""
        out.append(Markup(
            '<text x="{lx}" y="{y13}" text-anchor="end" class="lbl"{w}>{label}</text>'
            '<rect x="{x0:.1f}" y="{y}" width="{bw:.1f}" height="{bh}" fill="{c}" '
            'fill-opacity="0.85" rx="2"/>'
            '<path d="M{lo:.1f} {y8}H{hi:.1f}M{lo:.1f} {y3}V{y13}M{hi:.1f} {y3}V{y13}" '
            'stroke="{ink}" stroke-width="1.3" fill="none"/>'
            '<text x="{vx:.1f}" y="{y12}" class="val"{w}>{value}</text>').format(
            lx=f.left - 8, y=y, y3=y + 3, y8=y + 8, y12=y + 12, y13=y + 13, w=weight,
            label=b.label, x0=x0, bw=max(0.5, x - x0), bh=row - 10, c=b.style.color, lo=lo,
            hi=hi_, ink=INK, vx=max(x, hi_) + 6, value=fmt_num(b.value)))
    return svg(width, height, title, out)


@dataclass(frozen=True)
class Point:
    label: str
    x: float | None  # None: not reached, drawn hollow in the right-hand strip
    y: float
    x_range: tuple[float, float] | None
    y_range: tuple[float, float] | None
    style: Style


def scatter_chart(points: Sequence[Point], front: Sequence[int], title: str, x_label: str,
                  y_label: str, y_dir: str, width: int = 520, height: int = 320) -> Markup:
    """Quality vs time: whiskers on both axes, the Pareto front as a dashed staircase."""
    if not points:
        return Markup()
    xs = [v for p in points if p.x is not None for v in (p.x, *(p.x_range or ()))]
    ys = [v for p in points for v in (p.y, *(p.y_range or ()))]
    xt = nice_ticks(0.0, max(xs, default=1.0) * 1.05, 5)
    pad = (max(ys) - min(ys)) * 0.1 or abs(max(ys)) * 0.01 or 1.0
    yt = nice_ticks(min(ys) - pad, max(ys) + pad, 5)
    strip = 64 if any(p.x is None for p in points) else 0
    f = Frame(width, height, 64, 18 + strip, 14, 42, xt[0], xt[-1], yt[0], yt[-1])
    out = [axes(f, xt, yt, x_label, y_label)]
    if strip:
        sx = width - strip / 2 - 8
        out.append(Markup('<rect x="{}" y="{}" width="{}" height="{}" fill="#f3f4f6"/>'
                          '<text x="{:.0f}" y="{}" text-anchor="middle" class="tick">not reached'
                          "</text>").format(width - strip - 4, f.top, strip - 4,
                                            height - f.top - f.bottom, sx,
                                            height - f.bottom + 17))
    fr = [points[i] for i in front if points[i].x is not None]
    if len(fr) > 1:
        d = f"M{f.px(fr[0].x):.1f} {f.py(fr[0].y):.1f}"  # type: ignore[arg-type]
        for b in fr[1:]:
            d += f"H{f.px(b.x):.1f}V{f.py(b.y):.1f}"  # type: ignore[arg-type]
        out.append(Markup('<path d="{}" stroke="{}" stroke-width="1.5" stroke-dasharray="5 4" '
                          'fill="none"><title>Pareto front</title></path>').format(d, MUTED))
    for i, p in enumerate(points):
        x = f.px(p.x) if p.x is not None else width - strip / 2 - 8
        y = f.py(p.y)
        c = p.style.color
        whisker = Markup('<path d="M{:.1f} {:.1f}{}{:.1f}" stroke="{}" stroke-width="1.3"/>')
        if p.y_range:
            out.append(whisker.format(x, f.py(p.y_range[0]), "V", f.py(p.y_range[1]), c))
        if p.x_range and p.x is not None:
            out.append(whisker.format(f.px(p.x_range[0]), y, "H", f.px(p.x_range[1]), c))
        out.append(marker(p.style.marker, x, y, c, 5.5 if i in front else 4.5, p.x is None))
    return svg(width, height, title, out)


def line_chart(series: Sequence[Series], title: str, x_label: str, y_label: str,
               hline: float | None = None, hline_label: str = "", width: int = 520,
               height: int = 300) -> Markup:
    """Lines with optional shaded bands (inter-quartile) and faint per-seed traces."""
    pts = [p for s in series for p in s.points] + [p for s in series for t in s.faint for p in t]
    pts += [(x, v) for s in series for x, lo, hi in s.band for v in (lo, hi)]
    if not pts:
        return Markup()
    ys = [y for _, y in pts] + ([hline] if hline is not None else [])
    pad = (max(ys) - min(ys)) * 0.06 or abs(max(ys)) * 0.01 or 1.0
    xt = nice_ticks(min(x for x, _ in pts), max(x for x, _ in pts), 6)
    yt = nice_ticks(min(ys) - pad, max(ys) + pad, 5)
    f = Frame(width, height, 64, 18, 14, 42, xt[0], xt[-1], yt[0], yt[-1])
    out = [axes(f, xt, yt, x_label, y_label)]
    if hline is not None:
        y = f.py(hline)
        out.append(Markup('<line x1="{}" x2="{}" y1="{y:.1f}" y2="{y:.1f}" stroke="{}" '
                          'stroke-dasharray="3 3"/><text x="{}" y="{:.1f}" text-anchor="end" '
                          'class="tick">{}</text>').format(
            f.left, width - f.right, MUTED, width - f.right - 4, y - 5, hline_label, y=y))
    for s in series:
        if s.band:
            upper = " ".join(f"{f.px(x):.1f},{f.py(hi):.1f}" for x, _, hi in s.band)
            lower = " ".join(f"{f.px(x):.1f},{f.py(lo):.1f}" for x, lo, _ in reversed(s.band))
            out.append(Markup('<polygon points="{} {}" fill="{}" fill-opacity="0.15" '
                              'stroke="none"/>').format(upper, lower, s.style.color))
        for trace in s.faint:
            out.append(_path(f, trace, s.style.color, 1.0, s.style.dash, 0.35))
        out.append(_path(f, s.points, s.style.color, 2.2, s.style.dash, 1.0))
        if len(s.points) <= 40:
            out += [marker(s.style.marker, f.px(x), f.py(y), s.style.color, 3)
                    for x, y in s.points]
    return svg(width, height, title, out)


def _path(f: Frame, pts: Sequence[tuple[float, float]], color: str, width: float, dash: str,
          opacity: float) -> Markup:
    if not pts:
        return Markup()
    d = "M" + "L".join(f"{f.px(x):.1f} {f.py(y):.1f}" for x, y in pts)
    return Markup('<path d="{}" stroke="{}" stroke-width="{}" stroke-opacity="{}" '
                  'stroke-dasharray="{}" fill="none" stroke-linejoin="round"/>').format(
        d, color, width, opacity, dash)


__all__ = ["Bar", "Figure", "Point", "bar_chart", "legend", "line_chart", "scatter_chart"]
