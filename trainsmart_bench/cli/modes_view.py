"""The modes section of the run summary: each mode against eager fp32 of the same backend
(``results.modes``), as a table that reads at 80 columns, and as rows for ``--format json|csv``."""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

from trainsmart_bench.results.modes import QUALITY_TOLERANCE, ModeRow, geomeans
from trainsmart_bench.results.stats import Summary


def _ratio(s: Summary) -> tuple[str, str]:
    if s.median is None:
        return "n/a", ""
    return f"{s.median:.2f}x", ("n=1" if s.n < 2 else f"{s.low:.2f}-{s.high:.2f}")


def _seconds(s: Summary) -> str:
    return "n/a" if s.median is None else f"{s.median:.1f}"


def print_modes(table: list[ModeRow], console: Console) -> None:
    """Speedup over eager with its interval, compile time, memory ratio and the gate; one
    section per task, so that names never fold at 80 columns."""
    if not table:
        return
    t = Table(title="modes vs eager fp32 of the same backend (median over seeds)",
              box=box.SIMPLE, padding=(0, 1), title_justify="left")
    t.add_column("task / run", no_wrap=True)
    t.add_column("speedup\n95% int.", justify="right", no_wrap=True)
    t.add_column("compile s\n(eager)", justify="right", no_wrap=True)
    t.add_column("mem", justify="right", no_wrap=True)
    t.add_column("gate", no_wrap=True)
    notes = []
    for task in dict.fromkeys(m.task for m in table):
        t.add_row(f"[bold]{task}[/]", "", "", "", "")
        for m in (m for m in table if m.task == task):
            run = f"  {m.backend} {m.mode}" + ("" if m.device == "cpu" else f" {m.device}")
            if m.note:
                t.add_row(run, "-", "", "", m.status)
                notes.append(f"{task} {run.strip()}: {m.note}")
                continue
            speed, interval = _ratio(m.speedup)
            compile_s = f"{_seconds(m.compile_time)}\n({_seconds(m.eager_compile_time)})"
            mem = "n/a" if m.memory_ratio is None else f"{m.memory_ratio:.2f}x"
            t.add_row(run, f"{speed}\n{interval}", compile_s, mem, m.gate.status)
            if m.gate.status == "fail":
                notes.append(f"{task} {run.strip()}: gate failed: {'; '.join(m.gate.reasons)}")
        t.add_section()
    console.print(t)
    console.print("speedup = mode / eager train throughput; compile s: cold warm-up of the "
                  "training and inference steps; mem: peak memory / eager's; gate: reaches "
                  f"the target and stays within {QUALITY_TOLERANCE:g} of eager's quality "
                  "interval")
    for g in geomeans(table):
        console.print(f"geomean speedup {g.backend} {g.mode} {g.device}: {g.speedup:.2f}x over "
                      f"{g.tasks} task(s), {g.passed} passing the gate")
    for note in notes:
        console.print(f"  {note}")


def mode_records(table: list[ModeRow]) -> list[dict[str, Any]]:
    """The modes view as summary rows (metric ``speedup``, ``compile_time``, ``memory_ratio``)
    for ``--format json|csv``; ``gate`` and ``gate_reasons`` on every row."""
    out = []
    for m in table:
        base = {"task": m.task, "backend": m.backend, "device": m.device, "mode": m.mode,
                "variant": "", "ok": m.runs, "gate": m.gate.status,
                "gate_reasons": "; ".join(m.gate.reasons), "note": m.note, "status": m.status}
        for metric, s, unit in (("speedup", m.speedup, "x eager"),
                                ("compile_time", m.compile_time, "s")):
            out.append({**base, "metric": metric, "unit": unit, "median": s.median,
                        "low": s.low, "high": s.high, "n": s.n})
        out.append({**base, "metric": "memory_ratio", "unit": f"x eager ({m.memory})",
                    "median": m.memory_ratio, "low": None, "high": None, "n": m.runs})
    return out
