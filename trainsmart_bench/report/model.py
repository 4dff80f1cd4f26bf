"""Load records forgivingly, group them by task/backend/device, summarize each metric.

Everything a view shows is computed here into typed data; nothing here writes HTML.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trainsmart_bench.records import METRICS, RunRecord, SchemaError, Status, check_schema
from trainsmart_bench.report.analysis import best_indices
from trainsmart_bench.report.fmt import MIB, first_line, num
from trainsmart_bench.stats import Summary, bootstrap_median


@dataclass(frozen=True)
class Column:
    key: str  # a METRICS name, or "quality" for the task's own metric
    label: str
    unit: str
    scale: float = 1.0  # stored value / scale = shown value
    direction: str = "none"


COLUMNS: tuple[Column, ...] = (
    Column("quality", "quality", ""),
    Column("train_throughput", "train throughput", "samples/s"),
    Column("inference_throughput", "inference throughput", "samples/s"),
    Column("time_to_target", "time to target", "s"),
    Column("startup_time", "startup", "s"),
    Column("peak_host_memory", "peak host memory", "MiB", MIB),
    Column("peak_device_memory", "peak device memory", "MiB", MIB),
)


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
        files = sorted(p.rglob("*.json")) if p.is_dir() else [p]
        if not files:
            out.problems.append(Problem(str(p), "no *.json records found here"))
        for f in files:
            out.files += 1
            _load_file(f, out)
    return out


def _load_file(f: Path, out: Loaded) -> None:
    try:
        d = json.loads(f.read_text(encoding="utf-8"))
        if not isinstance(d, dict):
            raise SchemaError(f"expected a JSON object, found {type(d).__name__}")
        check_schema(d)
        kind = d.get("kind", "run")
        if kind in ("trial", "study"):
            out.tuning.append({**d, "_source": str(f)})
        elif kind == "run":
            out.runs.append(_checked(RunRecord.from_dict(d)))
        else:
            raise SchemaError(f"unknown record kind {kind!r}")
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        out.problems.append(Problem(str(f), f"{type(exc).__name__}: {first_line(str(exc))}"))


def _checked(r: RunRecord) -> RunRecord:
    for name in ("task", "backend", "device"):
        if not isinstance(getattr(r, name), str) or not getattr(r, name):
            raise SchemaError(f"field {name!r} must be a non-empty string")
    if not isinstance(r.seed, int) or not isinstance(r.profile, (str, type(None))):
        raise SchemaError("seed must be an integer and profile a string or null")
    return r


def task_info(task: str, records: list[RunRecord]) -> tuple[str, str, float | None]:
    """(metric, direction, target) for a task; guessed from the records for unknown tasks."""
    from trainsmart_bench.errors import ConfigError
    from trainsmart_bench.tasks import get_task

    target = next((num(r.target) for r in records if num(r.target) is not None), None)
    try:
        spec = get_task(task)
        return spec.metric, spec.direction.value, target if target is not None else spec.target
    except ConfigError:
        names = {k for r in records for k in r.metrics}
        metric = next((m for m in ("accuracy", "rmse", "f1_macro", "mae") if m in names), "")
        return metric, METRICS.get(metric, ("", "none"))[1], target


@dataclass(frozen=True)
class Cell:
    summary: Summary
    values: tuple[float, ...]  # per seed, in shown units
    best: bool = False
    ratio: float | None = None  # median / baseline median (same task and device)
    note: str = ""


@dataclass(frozen=True)
class Row:
    backend: str
    device: str
    records: tuple[RunRecord, ...]
    cells: dict[str, Cell]

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


def _values(col: Column, metric: str, records: list[RunRecord]) -> list[float]:
    name = metric if col.key == "quality" else col.key
    out = [num(r.value(name)) for r in records]
    return [v / col.scale for v in out if v is not None]


def _cell(col: Column, metric: str, ok: list[RunRecord]) -> Cell:
    values = _values(col, metric, ok)
    note = ""
    if col.key == "time_to_target" and ok:
        missed = sum(1 for r in ok if num(r.value("time_to_target")) is None)
        note = f"not reached {missed}/{len(ok)}" if missed else ""
    return Cell(bootstrap_median(values), tuple(values), note=note)


def build_tables(runs: list[RunRecord], baseline: str = "torch") -> list[TaskTable]:
    by_task: dict[str, list[RunRecord]] = defaultdict(list)
    for r in runs:
        by_task[r.task + (f"@{r.profile}" if r.profile else "")].append(r)
    return [_table(name, recs, baseline) for name, recs in sorted(by_task.items())]


def _table(name: str, recs: list[RunRecord], baseline: str) -> TaskTable:
    metric, direction, target = task_info(recs[0].task, recs)
    groups: dict[tuple[str, str], list[RunRecord]] = defaultdict(list)
    for r in recs:
        groups[(r.backend, r.device)].append(r)
    keys = sorted(groups, key=lambda k: (k[1], k[0] != baseline, k[0]))
    cells = {k: {c.key: _cell(c, metric, [r for r in groups[k] if r.status is Status.OK])
                 for c in COLUMNS} for k in keys}
    probe = TaskTable(name, metric, direction, target, baseline, ())
    for col in COLUMNS:
        eligible = [_eligible(cells[k][col.key]) for k in keys]
        contenders = sum(v is not None for v in eligible)  # a lone row is not "best"
        best = best_indices(eligible, probe.column_direction(col)) if contenders > 1 else set()
        for i, k in enumerate(keys):
            c = cells[k][col.key]
            base = cells.get((baseline, k[1]), {}).get(col.key)
            ratio = _ratio(c, base) if k[0] != baseline else None
            cells[k][col.key] = Cell(c.summary, c.values, i in best, ratio, c.note)
    rows = tuple(Row(k[0], k[1], tuple(sorted(groups[k], key=lambda r: r.seed)), cells[k])
                 for k in keys)
    return TaskTable(name, metric, direction, target, baseline, rows)


def _eligible(c: Cell) -> float | None:
    """Best-marking candidates: time to target counts only where every ok run reached it."""
    return None if c.note else c.summary.median


def _ratio(c: Cell, base: Cell | None) -> float | None:
    if base is None or base.summary.median in (None, 0) or c.summary.median is None:
        return None
    return c.summary.median / base.summary.median
