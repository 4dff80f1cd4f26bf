"""The deployment table of one task, as shown: its columns (the figures present, per batch),
each row's accuracy gate, cells and LoadGen verdicts, as plain strings for the template.

The rule is the modes view's: a row that failed the accuracy gate keeps its figures but is
never highlighted as fastest, and neither is a figure LoadGen called INVALID (it is marked);
the highlight goes to the best row that passed and was VALID, and only where two or more rows
have the figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from trainsmart_bench.report.fmt import DASH, fmt_num, num
from trainsmart_bench.report.task_view import CellView
from trainsmart_bench.results.inference_summary import FIGURES, DeployRow
from trainsmart_bench.results.stats import Summary

# figure name -> (column heading, unit, lower is better, factor to the unit)
HEADS = {
    "single_stream_p50": ("SingleStream p50", "ms", True, 1e3),
    "single_stream_p90": ("SingleStream p90", "ms", True, 1e3),
    "single_stream_p99": ("SingleStream p99", "ms", True, 1e3),
    "multi_stream_p99": ("MultiStream p99", "ms", True, 1e3),
    "offline_samples_per_s": ("Offline", "samples/s", False, 1.0),
    "server_max_qps": ("Server", "max valid queries/s", False, 1.0),
    "ray_serve_max_qps": ("Ray Serve", "max valid queries/s", False, 1.0),
}
VERDICT_CLASS = {"VALID": "ok", "INVALID": "failed"}  # a badge's class; others: "skipped"
SCENARIO_NAMES = {"single-stream": "SingleStream", "multi-stream": "MultiStream",
                  "offline": "Offline", "server": "Server", "server-ray": "Ray Serve"}


@dataclass(frozen=True)
class Column:
    key: str  # the figure's label in DeployRow.figures ("offline_samples_per_s@32")
    head: str
    unit: str
    lower: bool  # lower is better
    factor: float  # the figure's unit (s, /s) to the shown unit


@dataclass(frozen=True)
class RowView:
    row: DeployRow
    gate: str  # "passed", "FAILED", or "" with no gate (no ok record)
    gate_class: str  # a badge's class
    gate_lines: tuple[str, ...]  # agreement or difference, test metric, the reason it failed
    tolerance: str  # the gate's tolerances, for the badge's title
    cells: tuple[CellView, ...]
    verdicts: tuple[tuple[str, str, str], ...]  # (scenario, verdict, badge class)


def columns(rows: Sequence[DeployRow]) -> list[Column]:
    """The figures any row has, in FIGURES' order, batches ascending."""
    present = {label for r in rows for label in r.figures}
    out = []
    for name, _, _ in FIGURES:
        labels = [k for k in present if k == name or k.startswith(name + "@")]
        head, unit, lower, factor = HEADS[name]
        for key in sorted(labels, key=lambda k: int(k.partition("@")[2] or 0)):
            batch = key.partition("@")[2]
            label = f"{head}, batch {batch}" if batch else head
            out.append(Column(key, label, unit, lower, factor))
    return out


def verdict_of(row: DeployRow, col: Column) -> str | None:
    """LoadGen's verdict on the scenario the column's figure comes from."""
    name, _, batch = col.key.partition("@")
    scenario = next(s for n, s, _ in FIGURES if n == name)
    return row.verdicts.get(f"{scenario}@{batch}" if batch else scenario)


def _best(rows: Sequence[DeployRow], col: Column) -> DeployRow | None:
    """The fastest row that passed the gate and that LoadGen called VALID, where two or more
    rows have the figure."""
    have = [(m, r) for r in rows if (m := _median(r, col)) is not None]
    gated = [(m if col.lower else -m, i) for i, (m, r) in enumerate(have)
             if r.gate_passed and verdict_of(r, col) == "VALID"]
    if len(have) < 2 or not gated:
        return None
    return have[min(gated)[1]][1]


def _median(row: DeployRow, col: Column) -> float | None:
    s = row.figures.get(col.key)
    return None if s is None else s.median


def _cell(s: Summary | None, col: Column, best: bool, verdict: str | None) -> CellView:
    if s is None:
        return CellView(None, note=DASH)
    if s.median is None:
        return CellView(None, note="no valid rate" if "qps" in col.key else "n/a")
    f, low, high = col.factor, s.low, s.high
    ci = "n=1" if s.n < 2 or low is None or high is None else (
        f"{fmt_num(low * f)} \u2013 {fmt_num(high * f)}")
    note = "" if verdict in (None, "VALID") else f"LoadGen {verdict}"
    return CellView(fmt_num(s.median * f), ci, best=best, note=note)


def _gate(row: DeployRow) -> tuple[str, str, tuple[str, ...], str]:
    g = row.gate
    if row.gate_passed is None:
        return "", "skipped", (), ""
    agreement, diff = num(g.get("agreement")), num(g.get("max_abs_diff"))
    mine, trained = num(g.get("test_metric")), num(g.get("trained_test_metric"))
    lines = []
    if agreement is not None:
        lines.append(f"classes agree on {agreement:.2%}")
    elif diff is not None:
        lines.append(f"max |difference| {diff:.2g}")
    if mine is not None and trained is not None:
        lines.append(f"test {g.get('metric') or 'metric'} {mine:.4f} (trained {trained:.4f})")
    if not row.gate_passed:
        lines.append(str(g.get("why") or "no reason recorded"))
    tol = g.get("tolerance") if isinstance(g.get("tolerance"), dict) else {}
    tolerance = "; ".join(f"{k.replace('_', ' ')} {v:g}" for k, v in tol.items()
                          if num(v) is not None)
    word, cls = ("passed", "ok") if row.gate_passed else ("FAILED", "failed")
    return word, cls, tuple(lines), tolerance


def _order(item: tuple[str, str]) -> tuple[int, int]:
    scenario, _, batch = item[0].partition("@")
    order = list(SCENARIO_NAMES)
    return order.index(scenario) if scenario in order else len(order), int(batch or 0)


def _scenario(label: str) -> str:
    """``offline@32`` as ``Offline b32``."""
    scenario, _, batch = label.partition("@")
    return SCENARIO_NAMES.get(scenario, scenario) + (f" b{batch}" if batch else "")


def row_views(rows: Sequence[DeployRow], cols: Sequence[Column]) -> list[RowView]:
    best = {c.key: _best(rows, c) for c in cols}
    out = []
    for r in rows:
        cells = tuple(_cell(r.figures.get(c.key), c, best[c.key] is r, verdict_of(r, c))
                      for c in cols)
        verdicts = tuple((_scenario(k), v, VERDICT_CLASS.get(v, "skipped"))
                         for k, v in sorted(r.verdicts.items(), key=_order))
        out.append(RowView(r, *_gate(r), cells=cells, verdicts=verdicts))
    return out
