"""The one table model: which columns a summary of runs has, how records group into rows, and
each cell's median and interval over seeds. The CLI summary (table, JSON, CSV) and the HTML
report all read it.

Rows are (task, backend, device, mode) and, where runs of one such row ran with different
settings, one row per configuration (``variant`` says what differs): runs of different
configurations are never pooled. Time to target is scored MLPerf's way with five or more
runs (``ttt_olympic``); with fewer, as the median with its bootstrap interval.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

from trainsmart_bench.results.identity import differences
from trainsmart_bench.results.records import METRICS, RunRecord, Status
from trainsmart_bench.results.stats import Summary, bootstrap_interval, bootstrap_median

MIB = 2**20
UNSTABLE_CV = 0.10  # steady epoch times varying more than this (std / mean) flag a row
OLYMPIC_MIN_RUNS = 5  # MLPerf: with this many runs, drop the fastest and the slowest


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


def finite(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def task_info(task: str, records: Iterable[RunRecord]) -> TaskInfo:
    """Metric, direction and target of a task; guessed from the records for unknown tasks."""
    from trainsmart_bench.errors import ConfigError
    from trainsmart_bench.tasks import get_task

    records = list(records)
    target = next((finite(r.target) for r in records if finite(r.target) is not None), None)
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


@dataclass(frozen=True)
class RowKey:
    backend: str
    device: str
    mode: str = "eager"
    variant: str = ""  # what sets this configuration apart from others of the same row

    @property
    def label(self) -> str:
        return " ".join(p for p in (self.backend, "" if self.mode == "eager" else self.mode,
                                    f"[{self.variant}]" if self.variant else "") if p)


def by_row(records: Iterable[RunRecord]) -> dict[RowKey, list[RunRecord]]:
    """One task's records by (backend, device, mode) and configuration."""
    groups: dict[tuple[str, str, str], dict[str, list[RunRecord]]] = defaultdict(dict)
    for r in records:
        groups[(r.backend, r.device, r.mode)].setdefault(r.config_id, []).append(r)
    out: dict[RowKey, list[RunRecord]] = {}
    for (backend, device, mode), configs in groups.items():
        labels = _variants(configs) if len(configs) > 1 else {c: "" for c in configs}
        for config, recs in configs.items():
            out[RowKey(backend, device, mode, labels[config])] = recs
    return out


def _variants(configs: dict[str, list[RunRecord]]) -> dict[str, str]:
    """A short label per configuration: its values of the fields where they differ."""
    fields = {c: _flat_settings(recs[0]) for c, recs in configs.items()}
    keys = sorted({k for f in fields.values() for k in f
                   if len({repr(g.get(k)) for g in fields.values()}) > 1})
    return {c: ", ".join(f"{k.removeprefix('params.')}={f.get(k)}" for k in keys[:3]) or c[:8]
            for c, f in fields.items()}


def _flat_settings(r: RunRecord) -> dict[str, object]:
    out: dict[str, object] = {}
    for k, v in r.identity_fields.items():
        if k == "seed":
            continue
        if isinstance(v, dict):
            out.update({f"{k}.{kk}": vv for kk, vv in v.items()})
        else:
            out[k] = v
    return out


SHARED_ACROSS_BACKENDS = ("params", "target", "dataset", "threads", "cpus", "protocol",
                          "suite_version", "profile")


def config_warnings(records: Iterable[RunRecord]) -> list[str]:
    """Per task: settings that should be equal across the compared rows but are not."""
    out = []
    for task, recs in by_task(records).items():
        firsts = {}
        for key, rows in by_row(recs).items():
            firsts[key.label + " " + key.device] = {
                k: rows[0].identity_fields.get(k) for k in SHARED_ACROSS_BACKENDS}
        (a_name, a), *others = list(firsts.items()) or [("", {})]
        for b_name, b in others:
            diff = differences(a, b, limit=2)
            if diff:
                out.append(f"{task}: {b_name.strip()} ran with other settings than "
                           f"{a_name.strip()}: {'; '.join(diff)}")
    return out


@dataclass(frozen=True)
class CellSummary:
    summary: Summary
    values: tuple[float, ...]  # per ok run, in shown units
    missing: int = 0  # ok runs without a value (time to target: not reached)
    scoring: str = "median"  # "median" | "mean" (over folds) | "olympic" (MLPerf, 5+ runs)
    #                         | "invalid" (MLPerf: 2 runs never reached the target)
    missed_by: str = ""  # time to target: the best validation value of the runs that missed

    @property
    def reason(self) -> str:
        """Why runs lack a value, without the verdict ('' when none lacks one)."""
        why = f" ({self.missed_by})" if self.missed_by else ""
        if self.scoring == "invalid":
            return f"{self.missing} runs never reached the target{why}"
        n = len(self.values) + self.missing
        return f"not reached {self.missing}/{n}{why}" if self.missing else ""

    @property
    def note(self) -> str:
        return f"invalid: {self.reason}" if self.scoring == "invalid" else self.reason


def ttt_olympic(values: list[float], missing: int) -> CellSummary:
    """MLPerf's score of time to target over 5+ runs: drop the fastest and the slowest (a
    run that never converged counts as the slowest) and average the rest; two runs that
    never converged invalidate the cell."""
    if missing >= 2:
        return CellSummary(Summary(None, None, None, len(values)), tuple(values), missing,
                           "invalid")
    kept = sorted(values)[1:] if missing else sorted(values)[1:-1]
    mean = sum(kept) / len(kept)
    return CellSummary(Summary(mean, min(kept), max(kept), len(kept)), tuple(values), missing,
                       "olympic")


def cell(col: Column, metric: str, ok: list[RunRecord]) -> CellSummary:
    """The column's summary over the ok runs of one row."""
    name = metric if col.key == "quality" else col.key
    raw = [finite(r.value(name)) for r in ok]
    values = [v / col.scale for v in raw if v is not None]
    if col.key == "quality" and any(r.fold for r in ok):
        return mean_over_folds(values)
    if col.key != "time_to_target":
        return CellSummary(bootstrap_median(values), tuple(values))
    missing = sum(v is None for v in raw)
    why = missed_by(metric, [r for r, v in zip(ok, raw, strict=True) if v is None])
    if len(ok) >= OLYMPIC_MIN_RUNS:
        return replace(ttt_olympic(values, missing), missed_by=why)
    return CellSummary(bootstrap_median(values), tuple(values), missing, missed_by=why)


def missed_by(metric: str, missed: list[RunRecord]) -> str:
    """'best validation 0.9611 < target 0.975': how close the runs that missed the target
    came to it (the best of their best), so a reader sees why it was not reached."""
    targets = [r.target for r in missed if r.target is not None]
    values = [v for r in missed for e in r.curve if isinstance(e, dict)
              and (v := finite(e.get(f"val_{metric}"))) is not None]
    if not targets or not values:
        return ""
    if METRICS.get(metric, ("", "max"))[1] == "min":
        return f"best validation {min(values):.4g} > target {targets[0]:g}"
    return f"best validation {max(values):.4g} < target {targets[0]:g}"


def mean_over_folds(values: list[float]) -> CellSummary:
    """Cross-validated quality: the mean over folds (and seeds) with the bootstrap interval
    of that mean, as cross-validation results are usually given."""
    if len(values) < 2 or len(set(values)) < 2:
        return CellSummary(bootstrap_median(values), tuple(values), scoring="mean")
    mean = sum(values) / len(values)
    low, high = bootstrap_interval(values, "mean")
    return CellSummary(Summary(mean, low, high, len(values)), tuple(values), scoring="mean")


def test_set_interval(metric: str, ok: list[RunRecord]) -> tuple[float, float] | None:
    """The median over runs of each run's test-set bootstrap interval (test examples
    resampled), shown apart from the interval over seeds."""
    lows = [v for r in ok if (v := finite(r.value(f"{metric}_test_low"))) is not None]
    highs = [v for r in ok if (v := finite(r.value(f"{metric}_test_high"))) is not None]
    if not lows or not highs:
        return None
    return statistics.median(lows), statistics.median(highs)


def stability(ok: list[RunRecord]) -> float | None:
    """The median over runs of the spread of steady epoch times (std / mean), or None."""
    cvs = [v for r in ok if (v := finite(r.value("epoch_time_cv"))) is not None]
    return sorted(cvs)[len(cvs) // 2] if cvs else None


def first_error(records: Iterable[RunRecord]) -> str:
    return next((r.error.splitlines()[0] for r in records
                 if r.status is not Status.OK and r.error), "")


@dataclass(frozen=True)
class SummaryRow:
    task: str
    info: TaskInfo
    key: RowKey
    records: tuple[RunRecord, ...]
    cells: dict[str, CellSummary]
    cv: float | None

    @property
    def ok(self) -> list[RunRecord]:
        return [r for r in self.records if r.status is Status.OK]

    @property
    def test_interval(self) -> tuple[float, float] | None:
        return test_set_interval(self.info.metric, self.ok)

    @property
    def unstable(self) -> bool:
        return self.cv is not None and self.cv > UNSTABLE_CV


def row_groups(records: Iterable[RunRecord]) -> Iterator[tuple[str, TaskInfo, RowKey,
                                                               list[RunRecord]]]:
    """Each row's records in the summary's order: (task label, task info, row key, records)."""
    for task, recs in by_task(records).items():
        info = task_info(recs[0].task, recs)
        for key, group in sorted(by_row(recs).items(), key=lambda kv: (
                kv[0].device, kv[0].backend, kv[0].mode, kv[0].variant)):
            yield task, info, key, group


def rows(records: Iterable[RunRecord]) -> list[SummaryRow]:
    out = []
    for task, info, key, group in row_groups(records):
        ok = [r for r in group if r.status is Status.OK]
        cells = {c.key: cell(c, info.metric, ok) for c in COLUMNS}
        out.append(SummaryRow(task, info, key, tuple(group), cells, stability(ok)))
    return out
