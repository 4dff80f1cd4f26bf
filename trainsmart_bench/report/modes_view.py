"""The report's modes section (``modes.html.j2``): per task, every (backend, mode) against eager
fp32 of the same backend (``results.modes``), the geometric mean over tasks, and the accuracy
gate."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup

from trainsmart_bench.report.fmt import render
from trainsmart_bench.results.modes import QUALITY_TOLERANCE, ModeRow, geomeans
from trainsmart_bench.results.stats import Summary

HEADS = ("task", "backend", "mode", "device", "speedup vs eager", "compile time (eager)",
         "peak memory vs eager", "quality (eager)", "gate")
GATE_CLASS = {"pass": "ok", "fail": "failed"}  # a badge's class; anything else: "skipped"

Shown = tuple[str, str, str]  # (value, the line under it, class of the value)


def _ratio(s: Summary) -> Shown | None:
    if s.median is None:
        return None
    ci = "n=1" if s.n < 2 else f"{s.low:.2f}\u2013{s.high:.2f}"
    cls = "better" if s.median > 1.005 else "worse" if s.median < 0.995 else ""
    return f"{s.median:.2f}\u00d7", ci, cls


def _pair(value: Summary, base: Summary, fmt: str) -> Shown | None:
    if value.median is None:
        return None
    eager = "" if base.median is None else f"eager {fmt.format(base.median)}"
    return fmt.format(value.median), eager, ""


def row_view(m: ModeRow) -> dict[str, object]:
    """The row's numbers as shown: (value, line under it, class), None for a dash."""
    memory = None if m.memory_ratio is None else (f"{m.memory_ratio:.2f}\u00d7",
                                                  f"{m.memory} peak", "")
    return {"m": m, "speedup": _ratio(m.speedup), "memory": memory,
            "compile": _pair(m.compile_time, m.eager_compile_time, "{:.1f} s"),
            "quality": _pair(m.quality, m.eager_quality, "{:.4f}"),
            "gate_class": GATE_CLASS.get(m.gate.status, "skipped")}


def modes_section(table: Sequence[ModeRow]) -> Markup:
    """The section (empty without modes other than eager)."""
    if not table:
        return Markup()
    gms = [(g, f"{g.speedup:.2f}\u00d7") for g in geomeans(table)]
    return render("modes.html.j2", heads=HEADS, rows=[row_view(m) for m in table],
                  geomeans=gms, tolerance=f"{QUALITY_TOLERANCE:g}")
