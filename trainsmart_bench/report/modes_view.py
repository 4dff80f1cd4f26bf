"""The report's modes section: per task, every (backend, mode) against eager fp32 of the same
backend (``results.modes``), the geometric mean over tasks, and the accuracy gate."""

from __future__ import annotations

from collections.abc import Sequence

from trainsmart_bench.report.fmt import DASH, esc
from trainsmart_bench.results.modes import QUALITY_TOLERANCE, GeoMean, ModeRow, geomeans
from trainsmart_bench.results.stats import Summary

HEADS = ("task", "backend", "mode", "device", "speedup vs eager", "compile time (eager)",
         "peak memory vs eager", "quality (eager)", "gate")


def _ratio(s: Summary) -> str:
    if s.median is None:
        return DASH
    ci = "n=1" if s.n < 2 else f"{s.low:.2f}\u2013{s.high:.2f}"
    cls = "better" if s.median > 1.005 else "worse" if s.median < 0.995 else ""
    return (f'<span class="med {cls}">{s.median:.2f}\u00d7</span>'
            f'<span class="ci">{ci}</span>')


def _pair(value: Summary, base: Summary, fmt: str) -> str:
    if value.median is None:
        return DASH
    eager = "" if base.median is None else f'<span class="ci">eager {fmt.format(base.median)}'
    return (f'<span class="med">{fmt.format(value.median)}</span>'
            + (eager + "</span>" if eager else ""))


def _gate(m: ModeRow) -> str:
    cls = {"pass": "ok", "fail": "failed"}.get(m.gate.status, "skipped")
    title = esc("; ".join(m.gate.reasons))
    reasons = "".join(f'<span class="note">{esc(r)}</span>' for r in m.gate.reasons)
    return f'<span class="badge {cls}" title="{title}">{esc(m.gate.status)}</span>{reasons}'


def _row(m: ModeRow) -> str:
    head = (f'<th scope="row">{esc(m.task)}</th><td>{esc(m.backend)}</td>'
            f"<td>{esc(m.mode)}</td><td>{esc(m.device)}</td>")
    if m.note:
        return (f'<tr class="failed-row">{head}<td colspan="5" class="reason">'
                f'<span class="badge {esc(m.status)}">{esc(m.status)}</span> '
                f"{esc(m.note)}</td></tr>")
    mem = DASH if m.memory_ratio is None else (
        f'<span class="med">{m.memory_ratio:.2f}\u00d7</span>'
        f'<span class="ci">{esc(m.memory)} peak</span>')
    return (f"<tr>{head}<td class=num>{_ratio(m.speedup)}</td>"
            f'<td class=num>{_pair(m.compile_time, m.eager_compile_time, "{:.1f} s")}</td>'
            f"<td class=num>{mem}</td>"
            f'<td class=num>{_pair(m.quality, m.eager_quality, "{:.4f}")}'
            f'<span class="ci">{esc(m.metric)}</span></td><td>{_gate(m)}</td></tr>')


def _geomeans(gms: Sequence[GeoMean]) -> str:
    if not gms:
        return ""
    rows = "".join(
        f'<tr><th scope="row">{esc(g.backend)}</th><td>{esc(g.mode)}</td><td>{esc(g.device)}'
        f'</td><td class=num><span class="med">{g.speedup:.2f}\u00d7</span></td>'
        f"<td class=num>{g.tasks}</td><td class=num>{g.passed}</td></tr>" for g in gms)
    return ('<h3>Geometric mean over tasks</h3><div class="table-wrap"><table class="results">'
            '<thead><tr><th scope="col">backend</th><th scope="col">mode</th>'
            '<th scope="col">device</th><th scope="col" class="num">speedup</th>'
            '<th scope="col" class="num">tasks</th><th scope="col" class="num">gate passed'
            f"</th></tr></thead><tbody>{rows}</tbody></table></div>")


def modes_section(table: Sequence[ModeRow]) -> str:
    """The section (empty without modes other than eager)."""
    if not table:
        return ""
    heads = "".join(f'<th scope="col"{" class=num" if 4 <= i <= 7 else ""}>{h}</th>'
                    for i, h in enumerate(HEADS))
    body = "".join(_row(m) for m in table)
    return ('<section id="modes"><h2>Modes</h2><p class="meta">Every mode against the eager '
            "fp32 runs of the same backend, as the PyTorch compiler dashboard compares "
            "compiled with eager: <b>speedup</b> = median train throughput of the mode / "
            "eager's, with a 95% bootstrap interval over seeds; <b>compile time</b>: the cold "
            "warm-up of the training and inference steps (first epoch and evaluation beyond "
            "the later ones), apart from the throughput; <b>peak memory</b>: median peak / "
            "eager's. The <b>gate</b> fails a mode whose runs mostly miss the task's target "
            f"(validation) or whose test quality falls more than {QUALITY_TOLERANCE:g} beyond "
            "eager's 95% interval: a speedup that fails it is not one.</p>"
            f'<div class="table-wrap"><table class="results modes"><thead><tr>{heads}</tr>'
            f"</thead><tbody>{body}</tbody></table></div>{_geomeans(geomeans(table))}"
            "</section>")
