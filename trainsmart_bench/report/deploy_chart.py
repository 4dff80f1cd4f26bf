"""The deployment section's chart: SingleStream p90 latency per (backend, runtime) on a log
axis, a dot at the median with its 95% interval over seeds as a whisker. A row that failed
the accuracy gate is drawn hollow and its label says so.

Built like ``plots``: ``Markup.format`` escapes every label and title it is given.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

from trainsmart_bench.report.charts import GRID, MUTED, Frame, Style, marker, svg
from trainsmart_bench.report.fmt import fmt_num
from trainsmart_bench.report.plots import LABEL_CHAR_PX

FAILED = " \u2717 gate"  # after a gate-failed row's label
PAD = 1.25  # the axis reaches this factor beyond the extreme values, so no dot sits on its edge


@dataclass(frozen=True)
class Dot:
    label: str
    value: float  # ms
    low: float
    high: float
    style: Style
    failed: bool = False  # failed the accuracy gate: hollow


def log_ticks(lo: float, hi: float) -> list[float]:
    """1-2-5 ticks over the range when it spans few decades, else the powers of ten."""
    a, b = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    b = max(b, a + 1)
    steps = (1, 2, 5) if b - a <= 3 else (1,)
    ticks = [m * 10.0 ** e for e in range(a, b + 1) for m in steps]
    inside = [t for t in ticks if lo <= t <= hi]
    below = [t for t in ticks if t < lo][-1:]
    above = [t for t in ticks if t > hi][:1]
    return below + inside + above


def _axis(f: Frame, ticks: Sequence[float], label: str) -> Markup:
    out = []
    base = f.height - f.bottom
    for t in ticks:
        x = f.px(math.log10(t))
        out.append(Markup('<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{b}" stroke="{c}"/>'
                          '<text x="{x:.1f}" y="{b17}" text-anchor="middle" class="tick">{t}'
                          "</text>").format(x=x, top=f.top, b=base, c=GRID, b17=base + 17,
                                            t=f"{t:g}"))
    out.append(Markup('<line x1="{}" x2="{}" y1="{b}" y2="{b}" stroke="{}"/>'
                      '<text x="{:.0f}" y="{}" text-anchor="middle" class="axis">{}</text>')
               .format(f.left, f.width - f.right, MUTED, (f.left + f.width - f.right) / 2,
                       f.height - 6, label, b=base))
    return Markup().join(out)


def latency_chart(dots: Sequence[Dot], title: str, width: int = 560) -> Markup:
    """Dots on a log axis, one row each; empty markup without any."""
    if not dots:
        return Markup()
    row, top, bottom = 26, 12, 40
    height = top + bottom + row * len(dots)
    ticks = log_ticks(min(d.low for d in dots) / PAD, max(d.high for d in dots) * PAD)
    labels = [d.label + (FAILED if d.failed else "") for d in dots]
    left = max(130, 16 + round(LABEL_CHAR_PX * max(map(len, labels))))
    f = Frame(width, height, left, 70, top, bottom, math.log10(ticks[0]),
              math.log10(ticks[-1]), 0.0, 1.0)
    out = [_axis(f, ticks, "SingleStream p90 latency (ms, log scale)")]
    for i, (d, label) in enumerate(zip(dots, labels)):
        y = top + i * row + row / 2
        x, lo, hi = (f.px(math.log10(v)) for v in (d.value, d.low, d.high))
        out.append(Markup(
            '<text x="{lx}" y="{ty:.1f}" text-anchor="end" class="lbl{c}">{label}</text>'
            '<path d="M{lo:.1f} {y:.1f}H{hi:.1f}" stroke="{s}" stroke-width="1.5"/>{dot}'
            '<text x="{vx:.1f}" y="{ty:.1f}" class="val">{value}</text>').format(
            lx=f.left - 8, ty=y + 4, c=" gate-failed" if d.failed else "", label=label,
            lo=lo, hi=hi, y=y,
            s=d.style.color, dot=marker(d.style.marker, x, y, d.style.color, 5, d.failed),
            vx=max(x, hi) + 8, value=f"{fmt_num(d.value)} ms"))
    return svg(width, height, title, out)
