"""The one table model: which columns a summary of runs has, how records group into rows, and
each cell's median and interval over seeds. The CLI summary and the HTML report both read it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from trainsmart_bench.results.records import METRICS, RunRecord, Status
from trainsmart_bench.results.stats import Summary, bootstrap_median

MIB = 2**20


@dataclass(frozen=True)
class Column:
    key: str  # a METRICS name, or "quality" for the task's own metric
    label: str  # long label (report)
    short: str  # short label (terminal)
    unit: str
    scale: float = 1.0  # stored value / scale = shown value
    fmt: str = "{:,.4g}"  # terminal format of the shown value


COLUMNS: tuple[Column, ...] = (
    Column("quality", "quality", "quality", "", fmt="{:.4f}"),
    Column("train_throughput", "train throughput", "train/s", "samples/s", fmt="{:,.0f}"),
    Column("inference_throughput", "inference throughput", "infer/s", "samples/s",
           fmt="{:,.0f}"),
    Column("time_to_target", "time to target", "to target s", "s", fmt="{:.1f}"),
    Column("startup_time", "startup", "startup s", "s", fmt="{:.2f}"),
    Column("peak_host_memory", "peak host memory", "host MiB", "MiB", MIB, "{:,.0f}"),
    Column("peak_device_memory", "peak device memory", "device MiB", "MiB", MIB, "{:,.0f}"),
)


@dataclass(frozen=True)
class TaskInfo:
    metric: str
    direction: str  # "max" | "min" | "none"
    target: float | None

    def column_direction(self, col: Column) -> str:
        return self.direction if col.key == "quality" else METRICS[col.key][1]


def _finite(value: object) -> float | None:
    import math

    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def task_info(task: str, records: Iterable[RunRecord]) -> TaskInfo:
    """Metric, direction and target of a task; guessed from the records for unknown tasks."""
    from trainsmart_bench.errors import ConfigError
    from trainsmart_bench.tasks import get_task

    records = list(records)
    target = next((_finite(r.target) for r in records if _finite(r.target) is not None), None)
    try:
        spec = get_task(task)
        return TaskInfo(spec.metric, spec.direction.value,
                        target if target is not None else spec.target)
    except ConfigError:
        names = {k for r in records for k in r.metrics}
        metric = next((m for m in ("accuracy", "rmse", "f1_macro", "mae") if m in names), "")
        return TaskInfo(metric, METRICS.get(metric, ("", "none"))[1], target)


def task_label(r: RunRecord) -> str:
    return r.task + (f"@{r.profile}" if r.profile else "")


def by_task(records: Iterable[RunRecord]) -> dict[str, list[RunRecord]]:
    out: dict[str, list[RunRecord]] = defaultdict(list)
    for r in records:
        out[task_label(r)].append(r)
    return dict(sorted(out.items()))


def by_row(records: Iterable[RunRecord]) -> dict[tuple[str, str], list[RunRecord]]:
    """One task's records by (backend, device)."""
    out: dict[tuple[str, str], list[RunRecord]] = defaultdict(list)
    for r in records:
        out[(r.backend, r.device)].append(r)
    return dict(out)


@dataclass(frozen=True)
class CellSummary:
    summary: Summary
    values: tuple[float, ...]  # per ok run, in shown units
    missing: int = 0  # ok runs without a value (time to target: not reached)

    @property
    def note(self) -> str:
        n = len(self.values) + self.missing
        return f"not reached {self.missing}/{n}" if self.missing else ""


def cell(col: Column, metric: str, ok: list[RunRecord]) -> CellSummary:
    """The column's median and interval over the ok runs of one row."""
    name = metric if col.key == "quality" else col.key
    raw = [_finite(r.value(name)) for r in ok]
    values = tuple(v / col.scale for v in raw if v is not None)
    missing = sum(v is None for v in raw) if col.key == "time_to_target" else 0
    return CellSummary(bootstrap_median(values), values, missing)


def first_error(records: Iterable[RunRecord]) -> str:
    return next((r.error.splitlines()[0] for r in records
                 if r.status is not Status.OK and r.error), "")


def summary_rows(records: list[RunRecord]) -> tuple[list[str], list[list[str]]]:
    """The terminal summary: one row per task x backend x device, medians [intervals]."""
    header = ["task", "backend", "device", "ok/n"] + [c.short for c in COLUMNS]
    rows = []
    for task, recs in by_task(records).items():
        info = task_info(recs[0].task, recs)
        for (backend, device), group in sorted(by_row(recs).items()):
            ok = [r for r in group if r.status is Status.OK]
            row = [task, backend, device, f"{len(ok)}/{len(group)}"]
            if not ok:
                reason, status = first_error(group), group[0].status.value
                row += [f"{status}: {reason[:80]}" if reason else status]
                rows.append(row + [""] * (len(COLUMNS) - 1))
                continue
            for col in COLUMNS:
                c = cell(col, info.metric, ok)
                text = c.summary.format(col.fmt)
                if col.key == "quality":
                    text = f"{info.metric} {text}"
                if c.missing:
                    text = f"{text} ({c.missing} not reached)" if c.values else "not reached"
                row.append(text)
            rows.append(row)
    return header, rows
