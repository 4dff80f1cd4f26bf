"""Inline SVG charts, written by hand: bars with whiskers, scatter with a Pareto front, lines.

Colours are the Okabe-Ito palette (distinguishable with the common colour-vision deficiencies);
series also differ by marker shape or dash so colour is never the only cue. The SVG scales with
its container through its viewBox.

Every fragment is ``Markup`` built with ``Markup.format``, which escapes what it is given (a
label, a title) unless that is ``Markup`` itself, and ``Markup().join``, which does the same:
the charts are trusted markup for the page's templates, and text in them is still escaped.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from markupsafe import Markup

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000")
MARKERS = ("circle", "square", "triangle", "diamond")
DASHES = ("", "6 3", "2 3", "8 3 2 3")
INK, MUTED, GRID = "#1f2328", "#59636e", "#e6e8eb"


@dataclass(frozen=True)
class Style:
    color: str
    marker: str = "circle"
    dash: str = ""


def styles(keys: Sequence[str]) -> dict[str, Style]:
    """A stable colour/marker/dash per key, in the given order."""
    return {k: Style(PALETTE[i % len(PALETTE)], MARKERS[i % len(MARKERS)],
                     DASHES[(i // len(PALETTE)) % len(DASHES)]) for i, k in enumerate(keys)}


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return []
    if hi <= lo:
        hi = lo + (abs(lo) or 1.0)
    raw = (hi - lo) / max(1, n)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step + 1e-9) * step
    ticks, v = [], start
    while v <= hi + step * 1e-6:
        ticks.append(round(v, 12))
        v += step
    if ticks[-1] < hi - step * 1e-6:
        ticks.append(round(v, 12))
    return ticks


def tick_label(v: float, ticks: Sequence[float]) -> str:
    step = abs(ticks[1] - ticks[0]) if len(ticks) > 1 else abs(v) or 1.0
    decimals = next((d for d in range(8) if abs(round(step, d) - step) < step * 1e-6), 8)
    return f"{v:,.{decimals}f}"


def marker(shape: str, x: float, y: float, color: str, r: float = 4.5,
           hollow: bool = False) -> Markup:
    common = Markup('fill="{}" stroke="{}" stroke-width="1.5"').format(
        "#fff" if hollow else color, color)
    if shape == "square":
        return Markup('<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" {}/>').format(
            x - r, y - r, 2 * r, 2 * r, common)
    offsets = {"triangle": ((0, -1.2), (1.1, 0.8), (-1.1, 0.8)),
               "diamond": ((0, -1.3), (1, 0), (0, 1.3), (-1, 0))}.get(shape)
    if offsets:
        pts = " ".join(f"{x + dx * r:.1f},{y + dy * r:.1f}" for dx, dy in offsets)
        return Markup('<polygon points="{}" {}/>').format(pts, common)
    return Markup('<circle cx="{:.1f}" cy="{:.1f}" r="{:.1f}" {}/>').format(x, y, r, common)


def svg(width: int, height: int, title: str, body: Sequence[Markup]) -> Markup:
    return Markup('<svg class="chart" viewBox="0 0 {w} {h}" width="{w}" role="img" '
                  'xmlns="http://www.w3.org/2000/svg" aria-label="{t}"><title>{t}</title>'
                  "{body}</svg>").format(w=width, h=height, t=title, body=Markup().join(body))


def legend(items: Sequence[tuple[str, Style]], line: bool = False) -> Markup:
    out = []
    for label, st in items:
        sw = marker(st.marker, 11, 7, st.color, 4)
        if line:
            sw = Markup('<line x1="1" y1="7" x2="21" y2="7" stroke="{}" stroke-width="2.5" '
                        'stroke-dasharray="{}"/>{}').format(st.color, st.dash, sw)
        out.append(Markup('<li><svg width="22" height="14" aria-hidden="true">{}</svg>{}</li>')
                   .format(sw, label))
    return Markup('<ul class="legend">{}</ul>').format(Markup().join(out))


@dataclass(frozen=True)
class Frame:
    """Plot area and data ranges; maps data to pixels."""

    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    x0: float
    x1: float
    y0: float
    y1: float

    def px(self, x: float) -> float:
        span = (self.x1 - self.x0) or 1.0
        return self.left + (x - self.x0) / span * (self.width - self.left - self.right)

    def py(self, y: float) -> float:
        span = (self.y1 - self.y0) or 1.0
        return self.height - self.bottom - (y - self.y0) / span * (
            self.height - self.top - self.bottom)


def axes(f: Frame, xt: Sequence[float], yt: Sequence[float], x_label: str,
         y_label: str) -> Markup:
    out = []
    for v in yt:
        out.append(Markup('<line x1="{l}" x2="{r}" y1="{y:.1f}" y2="{y:.1f}" stroke="{c}"/>'
                          '<text x="{tx}" y="{ty:.1f}" text-anchor="end" class="tick">{t}</text>')
                   .format(l=f.left, r=f.width - f.right, y=f.py(v), c=GRID, tx=f.left - 6,
                           ty=f.py(v) + 4, t=tick_label(v, yt)))
    base = f.height - f.bottom
    for v in xt:
        out.append(Markup('<line x1="{x:.1f}" x2="{x:.1f}" y1="{b}" y2="{b4}" stroke="{c}"/>'
                          '<text x="{x:.1f}" y="{b17}" text-anchor="middle" class="tick">{t}'
                          "</text>").format(x=f.px(v), b=base, b4=base + 4, b17=base + 17,
                                            c=MUTED, t=tick_label(v, xt)))
    out.append(Markup('<line x1="{}" x2="{}" y1="{b}" y2="{b}" stroke="{}"/>').format(
        f.left, f.width - f.right, MUTED, b=base))
    out.append(Markup('<text x="{:.0f}" y="{}" text-anchor="middle" class="axis">{}</text>')
               .format((f.left + f.width - f.right) / 2, f.height - 6, x_label))
    out.append(Markup('<text transform="translate(14 {:.0f}) rotate(-90)" text-anchor="middle" '
                      'class="axis">{}</text>').format((f.top + f.height - f.bottom) / 2, y_label))
    return Markup().join(out)


@dataclass(frozen=True)
class Series:
    label: str
    style: Style
    points: tuple[tuple[float, float], ...]
    band: tuple[tuple[float, float, float], ...] = ()  # (x, low, high)
    faint: tuple[tuple[tuple[float, float], ...], ...] = field(default_factory=tuple)
