"""Inline SVG charts, written by hand: bars with whiskers, scatter with a Pareto front, lines.

Colours are the Okabe-Ito palette (distinguishable with the common colour-vision deficiencies);
series also differ by marker shape or dash so colour is never the only cue. Every label is
escaped; the SVG scales with its container through its viewBox.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from trainsmart_bench.report.fmt import esc

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


def marker(shape: str, x: float, y: float, color: str, r: float = 4.5, hollow: bool = False) -> str:
    fill = "#fff" if hollow else color
    common = f'fill="{fill}" stroke="{color}" stroke-width="1.5"'
    if shape == "square":
        return (f'<rect x="{x - r:.1f}" y="{y - r:.1f}" width="{2 * r:.1f}" '
                f'height="{2 * r:.1f}" {common}/>')
    offsets = {"triangle": ((0, -1.2), (1.1, 0.8), (-1.1, 0.8)),
               "diamond": ((0, -1.3), (1, 0), (0, 1.3), (-1, 0))}.get(shape)
    if offsets:
        pts = " ".join(f"{x + dx * r:.1f},{y + dy * r:.1f}" for dx, dy in offsets)
        return f'<polygon points="{pts}" {common}/>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" {common}/>'


def svg(width: int, height: int, title: str, body: str) -> str:
    return (f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" role="img" '
            f'xmlns="http://www.w3.org/2000/svg" aria-label="{esc(title)}">'
            f"<title>{esc(title)}</title>{body}</svg>")


def legend(items: Sequence[tuple[str, Style]], line: bool = False) -> str:
    out = []
    for label, st in items:
        sw = marker(st.marker, 11, 7, st.color, 4)
        if line:
            sw = (f'<line x1="1" y1="7" x2="21" y2="7" stroke="{st.color}" stroke-width="2.5" '
                  f'stroke-dasharray="{st.dash}"/>{sw}')
        out.append(f'<li><svg width="22" height="14" aria-hidden="true">{sw}</svg>'
                   f"{esc(label)}</li>")
    return f'<ul class="legend">{"".join(out)}</ul>'


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


def axes(f: Frame, xt: Sequence[float], yt: Sequence[float], x_label: str, y_label: str) -> str:
    out = []
    for v in yt:
        y = f.py(v)
        out.append(f'<line x1="{f.left}" x2="{f.width - f.right}" y1="{y:.1f}" y2="{y:.1f}" '
                   f'stroke="{GRID}"/><text x="{f.left - 6}" y="{y + 4:.1f}" '
                   f'text-anchor="end" class="tick">{tick_label(v, yt)}</text>')
    base = f.height - f.bottom
    for v in xt:
        x = f.px(v)
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{base}" y2="{base + 4}" stroke="{MUTED}"/>'
                   f'<text x="{x:.1f}" y="{base + 17}" text-anchor="middle" class="tick">'
                   f"{tick_label(v, xt)}</text>")
    out.append(f'<line x1="{f.left}" x2="{f.width - f.right}" y1="{base}" y2="{base}" '
               f'stroke="{MUTED}"/>')
    out.append(f'<text x="{(f.left + f.width - f.right) / 2:.0f}" y="{f.height - 6}" '
               f'text-anchor="middle" class="axis">{esc(x_label)}</text>')
    cy = (f.top + f.height - f.bottom) / 2
    out.append(f'<text transform="translate(14 {cy:.0f}) rotate(-90)" text-anchor="middle" '
               f'class="axis">{esc(y_label)}</text>')
    return "".join(out)


@dataclass(frozen=True)
class Series:
    label: str
    style: Style
    points: tuple[tuple[float, float], ...]
    band: tuple[tuple[float, float, float], ...] = ()  # (x, low, high)
    faint: tuple[tuple[tuple[float, float], ...], ...] = field(default_factory=tuple)
