"""Load records forgivingly, group them by task/backend/device, summarize each metric.

Everything a view shows is computed here into typed data; nothing here writes HTML.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trainsmart_bench.report.analysis import best_indices
from trainsmart_bench.report.fmt import first_line
from trainsmart_bench.results.records import METRICS, RunRecord, Status, validate
from trainsmart_bench.results.stats import Summary
from trainsmart_bench.results.summary import (
    COLUMNS,
    UNSTABLE_CV,
    Column,
    RowKey,
    by_row,
    by_task,
    stability,
    task_info,
)
from trainsmart_bench.results.summary import cell as summary_cell


@dataclass(frozen=True)
class Problem:
    source: str
    message: str


@dataclass
class Loaded:
    runs: list[RunRecord] = field(default_factory=list)
    tuning: list[dict[str, Any]] = field(default_factory=list)  # kind "trial" / "study"
    problems: list[Problem] = field(default_factory=list)
    files: int = 0


def load(paths: Iterable[str | Path]) -> Loaded:
    """Read every *.json under the paths; anything unreadable becomes a Problem, never an error."""
    out = Loaded()
    for p in map(Path, paths):
        if not p.exists():
            out.problems.append(Problem(str(p), "no such file or directory"))
            continue
        found = sorted(p.rglob("*.json")) if p.is_dir() else [p]
        if not found:
            out.problems.append(Problem(str(p), "no *.json records found here"))
        for f in (f for f in found if not _served(p, f)):
            out.files += 1
            _load_file(f, out)
    return out


def _served(root: Path, f: Path) -> bool:
    """Under an ``inference/`` folder: inference records and LoadGen's logs, which the
    deployment section reads (``report.deploy_view``)."""
    return "inference" in f.relative_to(root).parts[:-1]


def _load_file(f: Path, out: Loaded) -> None:
    try:
        d = json.loads(f.read_text(encoding="utf-8"))
        kind = validate(d)
        if kind == "inference":
            raise ValueError("an inference record: give the results folder above its "
                             "inference/ folder to see it in the deployment section")
        if kind in ("trial", "study"):
            out.tuning.append({**d, "_source": str(f)})
        else:
            out.runs.append(RunRecord.from_dict(d))
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        out.problems.append(Problem(str(f), f"{type(exc).__name__}: {first_line(str(exc))}"))


@dataclass(frozen=True)
class Cell:
    summary: Summary
    values: tuple[float, ...]  # per seed, in shown units
    best: bool = False
    ratio: float | None = None  # median / baseline median (same task and device)
    note: str = ""
    scoring: str = "median"  # time to target: "olympic" (MLPerf, 5+ runs) or "invalid"


@dataclass(frozen=True)
class Row:
    backend: str  # the row's label: backend, mode where not eager, [what sets it apart]
    device: str
    records: tuple[RunRecord, ...]
    cells: dict[str, Cell]
    key: RowKey | None = None

    @property
    def cv(self) -> float | None:
        """Median spread of steady epoch times over the ok runs (std / mean)."""
        return stability(self.ok)

    @property
    def unstable(self) -> bool:
        return self.cv is not None and self.cv > UNSTABLE_CV

    @property
    def ok(self) -> list[RunRecord]:
        return [r for r in self.records if r.status is Status.OK]

    @property
    def statuses(self) -> Counter[str]:
        return Counter(r.status.value for r in self.records)

    @property
    def reason(self) -> str:
        """First line of the first error among the non-ok runs."""
        return next((first_line(r.error) for r in self.records
                     if r.status is not Status.OK and r.error), "")


@dataclass(frozen=True)
class TaskTable:
    task: str  # with "@profile" when there is one
    metric: str
    direction: str
    target: float | None
    baseline: str
    rows: tuple[Row, ...]

    def column_direction(self, col: Column) -> str:
        return self.direction if col.key == "quality" else METRICS[col.key][1]


def _cell(col: Column, metric: str, ok: list[RunRecord]) -> Cell:
    c = summary_cell(col, metric, ok)
    return Cell(c.summary, c.values, note=c.note, scoring=c.scoring)


def build_tables(runs: list[RunRecord], baseline: str = "torch") -> list[TaskTable]:
    return [_table(name, recs, baseline) for name, recs in by_task(runs).items()]


def _table(name: str, recs: list[RunRecord], baseline: str) -> TaskTable:
    info = task_info(recs[0].task, recs)
    metric, direction, target = info.metric, info.direction, info.target
    groups = by_row(recs)
    keys = sorted(groups, key=lambda k: (k.device, k.backend != baseline, k.backend, k.mode,
                                         k.variant))
    cells = {k: {c.key: _cell(c, metric, [r for r in groups[k] if r.status is Status.OK])
                 for c in COLUMNS} for k in keys}
    base_key = {k.device: k for k in keys if k.backend == baseline and k.mode == "eager"
                and not k.variant}
    probe = TaskTable(name, metric, direction, target, baseline, ())
    for col in COLUMNS:
        eligible = [_eligible(cells[k][col.key]) for k in keys]
        contenders = sum(v is not None for v in eligible)  # a lone row is not "best"
        best = best_indices(eligible, probe.column_direction(col)) if contenders > 1 else set()
        for i, k in enumerate(keys):
            c = cells[k][col.key]
            base = cells[base_key[k.device]][col.key] if k.device in base_key else None
            ratio = _ratio(c, base) if base_key.get(k.device) != k else None
            cells[k][col.key] = Cell(c.summary, c.values, i in best, ratio, c.note, c.scoring)
    rows = tuple(Row(k.label, k.device, tuple(sorted(groups[k], key=lambda r: r.seed)),
                     cells[k], k) for k in keys)
    return TaskTable(name, metric, direction, target, baseline, rows)


def _eligible(c: Cell) -> float | None:
    """Best-marking candidates: time to target counts only where every ok run reached it."""
    return None if c.note else c.summary.median


def _ratio(c: Cell, base: Cell | None) -> float | None:
    if base is None or base.summary.median in (None, 0) or c.summary.median is None:
        return None
    return c.summary.median / base.summary.median
