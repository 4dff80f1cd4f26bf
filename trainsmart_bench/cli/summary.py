"""The summary of a matrix, for people (a table that reads at 80 columns) and for scripts
(``--format json`` or ``csv``: the same figures, one line per row and metric)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

from trainsmart_bench.cli.modes_view import mode_records, print_modes
from trainsmart_bench.results.folds import FoldView, fold_views
from trainsmart_bench.results.modes import has_modes, mode_rows
from trainsmart_bench.results.records import RunRecord, Status
from trainsmart_bench.results.summary import (
    COLUMNS,
    UNSTABLE_CV,
    SummaryRow,
    config_warnings,
    first_error,
    rows,
)

FORMATS = ("table", "json", "csv")
WIDE = 150  # terminal width from which the one-table layout fits


def records_of(summary: list[SummaryRow]) -> list[dict[str, Any]]:
    """One dict per row and metric: what ``--format json|csv`` prints."""
    out = []
    for row in summary:
        base = {"task": row.task, "backend": row.key.backend, "device": row.key.device,
                "mode": row.key.mode, "variant": row.key.variant, "ok": len(row.ok),
                "runs": len(row.records), "unstable": row.unstable, "epoch_time_cv": row.cv}
        if not row.ok:
            out.append({**base, "metric": None, "error": first_error(row.records)})
            continue
        for col in COLUMNS:
            c = row.cells[col.key]
            s = c.summary
            extra = {}
            if col.key == "quality" and row.test_interval:
                extra = dict(zip(("test_set_low", "test_set_high"), row.test_interval))
            out.append({**base, "metric": row.info.metric if col.key == "quality" else col.key,
                        "unit": col.unit, "median": s.median, "low": s.low, "high": s.high,
                        "n": s.n, "scoring": c.scoring, "note": c.note, **extra})
    return out


def fold_records(views: list[FoldView]) -> list[dict[str, Any]]:
    return [{"task": v.task, "run": v.run, "protocol": v.protocol, "metric": v.metric,
             "fold": i, "value": value, "test_samples": n, "mean": v.mean, "overall": v.overall}
            for v in views for i, value, n in v.folds]


def render(records: list[RunRecord], fmt: str, console: Console) -> None:
    summary = rows(records)
    modes = mode_rows(records) if has_modes(records) else []  # a section when modes differ
    folds = fold_views(records)
    if fmt == "json":
        print(json.dumps(records_of(summary) + mode_records(modes) + fold_records(folds),
                         indent=1, default=str))
    elif fmt == "csv":
        buf = io.StringIO()
        data = records_of(summary) + mode_records(modes) + fold_records(folds)
        keys = list(dict.fromkeys(k for d in data for k in d))
        writer = csv.DictWriter(buf, fieldnames=keys)
        writer.writeheader()
        writer.writerows(data)
        print(buf.getvalue(), end="")
    else:
        (_wide if console.width >= WIDE else _long)(summary, console)
        _folds(folds, console)
        _notes(summary, records, console)
        print_modes(modes, console)


def _value(row: SummaryRow, key: str) -> tuple[str, str]:
    """(median, interval) as text for one cell."""
    col = next(c for c in COLUMNS if c.key == key)
    c = row.cells[key]
    s = c.summary
    if s.median is None:  # a short word in the value column, the why in the interval's
        if c.scoring == "invalid":
            return "invalid", c.reason
        return "n/a", c.note
    median = col.fmt.format(s.median)
    if c.scoring == "olympic":
        interval = f"olympic mean of {s.n}"
    elif c.scoring == "mean" and s.n >= 2:
        interval = f"{col.fmt.format(s.low)} - {col.fmt.format(s.high)}, mean of {s.n}"
    elif s.n < 2:
        interval = "n=1"
    else:
        interval = f"{col.fmt.format(s.low)} - {col.fmt.format(s.high)}"
    if c.note:
        interval = f"{interval}; {c.note}"
    if key == "train_throughput" and row.unstable:
        median += " !"
    return median, interval


def _test_set(row: SummaryRow) -> str:
    """The test-set bootstrap interval (test examples resampled), apart from the seeds'."""
    if row.test_interval is None:
        return ""
    low, high = row.test_interval
    return f"{low:.4f} - {high:.4f}"


def _folds(views: list[FoldView], console: Console) -> None:
    for v in views:
        what = "window" if v.kind == "walk-forward" else "fold"
        parts = [f"{what} {i} {value:.4f}" for i, value, _ in v.folds]
        tail = f"mean {v.mean:.4f}"
        if v.overall is not None:
            tail += f", overall RMSE {v.overall:.4f}"
        console.print(f"{v.task} {v.run}, {v.protocol}: {'; '.join(parts)}; {tail}",
                      soft_wrap=False)


def _name(row: SummaryRow) -> str:
    return f"{row.key.label} {row.key.device}"


def _long(summary: list[SummaryRow], console: Console) -> None:
    for task in dict.fromkeys(r.task for r in summary):
        mine = [r for r in summary if r.task == task]
        info = mine[0].info
        target = "" if info.target is None else f", target {info.target:g} (validation)"
        table = Table(title=f"{task}: {info.metric}{target}", box=box.SIMPLE, padding=(0, 1),
                      title_justify="left")
        table.add_column("run", no_wrap=True)
        table.add_column("ok", no_wrap=True)
        table.add_column("metric", no_wrap=True)
        table.add_column("value", justify="right", no_wrap=True)
        table.add_column("95% interval", overflow="fold")
        for row in mine:
            ok = f"{len(row.ok)}/{len(row.records)}"
            if not row.ok:  # a recorded skip (no GPU, no such mode) is not an error
                skipped = all(r.status is Status.SKIPPED for r in row.records)
                table.add_row(_name(row), ok, "skipped" if skipped else "error", "",
                              first_error(row.records)[:120])
                continue
            for i, col in enumerate(COLUMNS):
                if row.cells[col.key].summary.n == 0 and not row.cells[col.key].note:
                    continue  # nothing to say (device memory on a CPU)
                label = f"{info.metric} (test)" if col.key == "quality" else col.short
                table.add_row(_name(row) if i == 0 else "", ok if i == 0 else "", label,
                              *_value(row, col.key))
                if col.key == "quality" and (t := _test_set(row)):
                    table.add_row("", "", "  test-set CI", "", t)
            table.add_section()
        console.print(table)


def _wide(summary: list[SummaryRow], console: Console) -> None:
    table = Table(title="median and 95% bootstrap interval over seeds", box=box.SIMPLE_HEAD)
    for name in ("task", "run", "ok"):
        table.add_column(name, no_wrap=True)
    for col in COLUMNS:
        table.add_column(col.short, justify="right")
    for row in summary:
        head = [row.task, _name(row), f"{len(row.ok)}/{len(row.records)}"]
        if not row.ok:
            table.add_row(*head, first_error(row.records)[:80], *[""] * (len(COLUMNS) - 1))
            continue
        cells = []
        for col in COLUMNS:
            median, interval = _value(row, col.key)
            prefix = f"{row.info.metric} " if col.key == "quality" else ""
            if col.key == "quality" and (t := _test_set(row)):
                interval = f"{interval}\n{t}"
            cells.append(f"{prefix}{median}\n{interval}" if interval else median)
        table.add_row(*head, *cells)
    console.print(table)


def _notes(summary: list[SummaryRow], records: list[RunRecord], console: Console) -> None:
    if any(r.test_interval for r in summary):
        console.print("value: median over seeds (mean over folds under a protocol); 95% "
                      "interval over seeds; test-set CI: 95% interval from resampling the test "
                      "examples of each run (median over runs)")
    unstable = [f"{r.task} {_name(r)} ({r.cv:.0%})" for r in summary if r.unstable]
    if unstable:
        console.print(f"! unstable: steady epoch times vary more than {UNSTABLE_CV:.0%} "
                      f"(std/mean) in {', '.join(unstable)}; its throughput is suspect")
    if any(r.cells["time_to_target"].scoring == "olympic" for r in summary):
        console.print("time to target with 5+ runs: MLPerf scoring (drop the fastest and the "
                      "slowest, mean of the rest; a run that never converged is the slowest)")
    for w in config_warnings(records):
        console.print(f"[yellow]warning:[/] {w}")
