"""Helpers shared by the views: rendering a template, number formatting, first lines of errors."""

from __future__ import annotations

import math
from typing import Any

from markupsafe import Markup

from trainsmart_bench import pages

DASH = "\u2014"


def render(name: str, **context: Any) -> Markup:
    """A template of ``report/templates`` rendered (autoescaped): markup for the page."""
    return pages.render("trainsmart_bench.report", name, **context)


def first_line(text: str | None, limit: int = 160) -> str:
    """The first non-empty line of an error, shortened; the full text goes in a <details>."""
    if not text:
        return ""
    line = next((ln.strip() for ln in str(text).splitlines() if ln.strip()), "")
    return line if len(line) <= limit else line[: limit - 1] + "\u2026"


def num(value: Any) -> float | None:
    """A finite float, or None for anything else (strings, NaN, booleans, missing)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    v = float(value)
    return v if math.isfinite(v) else None


def fmt_num(value: float | None, digits: int = 3) -> str:
    """Compact human formatting: thousands separators for big values, ~3 significant digits."""
    if value is None:
        return DASH
    a = abs(value)
    if a == 0:
        return "0"
    if a >= 10 ** digits:
        return f"{value:,.0f}"
    if a >= 1e-3:
        decimals = max(0, digits - 1 - int(math.floor(math.log10(a))))
        return f"{value:.{decimals}f}"
    return f"{value:.2e}"


def fmt_ratio(value: float | None) -> str:
    return "" if value is None else f"\u00d7{value:.2f}"


def fmt_pct(value: float | None) -> str:
    if value is None:
        return DASH
    return f"{value * 100:+.1f}%"


def fmt_p(value: float | None) -> str:
    if value is None:
        return DASH
    return "<0.001" if value < 1e-3 else f"{value:.3f}"


def fmt_seconds(value: float | None) -> str:
    if value is None:
        return DASH
    if value < 1:
        return f"{value * 1000:.0f} ms"
    return f"{fmt_num(value)} s"
