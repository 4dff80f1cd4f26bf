"""The modes view: every (backend, mode) against the eager fp32 runs of the same backend, the
way the PyTorch compiler dashboard compares compiled with eager, and the accuracy gate that
keeps a fast but wrong mode from being celebrated. The CLI summary and the report read it.

Per task, device, backend and mode (other than ``eager``):
* ``speedup``: median train throughput of the mode / median of eager (= eager time / mode
  time), with a 95% bootstrap interval of that ratio over seeds;
* ``compile_time``: the mode's cold warm-up (``training.loop``), next to eager's;
* ``memory_ratio``: median peak memory of the mode / eager (device memory where both report
  it, else the process's peak host memory);
* the gate: the mode *fails* when a majority of its runs never reached the task's target on
  validation, or when its median test quality is worse than the lower end of eager's 95%
  interval by more than ``QUALITY_TOLERANCE`` (rising above eager's interval is not a
  failure). Without eager runs to compare with, the gate is ``n/a``.
``geomeans``: the geometric mean of the speedups over tasks, per backend, device and mode, with
how many of those tasks passed the gate.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from trainsmart_bench.mode import BASELINE
from trainsmart_bench.results.records import RunRecord
from trainsmart_bench.results.stats import Summary, bootstrap_median, bootstrap_ratio
from trainsmart_bench.results.summary import SummaryRow, finite, first_error, rows

# Quality may fall this far (absolute: 0.5 accuracy points, 0.005 RMSE) beyond eager's interval
# before the gate fails; the same figures bench-compare calls a quality regression.
QUALITY_TOLERANCE = 0.005
SPEED = "train_throughput"


@dataclass(frozen=True)
class Gate:
    status: str  # "pass" | "fail" | "n/a"
    reasons: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return self.status + (f": {'; '.join(self.reasons)}" if self.reasons else "")


@dataclass(frozen=True)
class ModeRow:
    task: str
    backend: str
    device: str
    mode: str
    runs: int  # ok runs of the mode
    speedup: Summary
    compile_time: Summary
    eager_compile_time: Summary
    memory_ratio: float | None
    memory: str  # "device" | "host": which peak the ratio compares
    quality: Summary
    eager_quality: Summary
    metric: str
    gate: Gate
    note: str = ""  # why the mode has no numbers (a skip's reason, an error)
    status: str = "ok"  # without ok runs: the runs' statuses ("skipped", "failed", ...)


def _values(row: SummaryRow, metric: str) -> list[float]:
    return [v for r in row.ok if (v := finite(r.value(metric))) is not None]


def _median(row: SummaryRow, metric: str) -> float | None:
    return bootstrap_median(_values(row, metric)).median


def _memory(mode: SummaryRow, eager: SummaryRow) -> tuple[float | None, str]:
    for kind in ("device", "host"):
        a, b = _median(mode, f"peak_{kind}_memory"), _median(eager, f"peak_{kind}_memory")
        if a is not None and b:
            return a / b, kind
    return None, ""


def gate(mode: SummaryRow, eager: SummaryRow | None) -> Gate:
    """Pass or fail a mode's quality against the task's target and the eager runs."""
    if eager is None or not eager.ok:
        return Gate("n/a", ("no eager runs of this backend to compare with",))
    if not mode.ok:
        return Gate("n/a", ())
    reasons = []
    info = mode.info
    reached = [r.reached_target for r in mode.ok if r.reached_target is not None]
    if info.target is not None and reached and 2 * sum(reached) <= len(reached):
        reasons.append(f"{len(reached) - sum(reached)} of {len(reached)} runs never reached "
                       f"the target {info.target:g} (validation)")
    q, base = mode.cells["quality"].summary, eager.cells["quality"].summary
    if q.median is not None and base.median is not None and info.direction in ("max", "min"):
        if info.direction == "max" and q.median < base.low - QUALITY_TOLERANCE:
            reasons.append(f"{info.metric} {q.median:.4f} below eager's interval "
                           f"[{base.low:.4f}, {base.high:.4f}] by more than "
                           f"{QUALITY_TOLERANCE:g}")
        elif info.direction == "min" and q.median > base.high + QUALITY_TOLERANCE:
            reasons.append(f"{info.metric} {q.median:.4f} above eager's interval "
                           f"[{base.low:.4f}, {base.high:.4f}] by more than "
                           f"{QUALITY_TOLERANCE:g}")
    return Gate("fail" if reasons else "pass", tuple(reasons))


def mode_rows(records: Iterable[RunRecord]) -> list[ModeRow]:
    """One row per task, device, backend and non-eager mode (configuration variants apart)."""
    table = [r for r in rows(records) if not r.key.variant]
    eager = {(r.task, r.key.backend, r.key.device): r for r in table if r.key.mode == BASELINE}
    out = []
    for row in table:
        if row.key.mode == BASELINE:
            continue
        base = eager.get((row.task, row.key.backend, row.key.device))
        speed = bootstrap_ratio(_values(row, SPEED), _values(base, SPEED) if base else [])
        memory, kind = _memory(row, base) if base and row.ok else (None, "")
        empty = Summary(None, None, None, 0)
        out.append(ModeRow(
            row.task, row.key.backend, row.key.device, row.key.mode, len(row.ok), speed,
            bootstrap_median(_values(row, "compile_time")),
            bootstrap_median(_values(base, "compile_time")) if base else empty,
            memory, kind, row.cells["quality"].summary,
            base.cells["quality"].summary if base else empty, row.info.metric,
            gate(row, base), "" if row.ok else first_error(row.records) or "no ok runs",
            "ok" if row.ok else ", ".join(sorted({r.status.value for r in row.records}))))
    return out


@dataclass(frozen=True)
class GeoMean:
    backend: str
    device: str
    mode: str
    speedup: float
    tasks: int  # tasks with a speedup
    passed: int  # of those, tasks whose gate passed


def geomeans(mode_table: Iterable[ModeRow]) -> list[GeoMean]:
    groups: dict[tuple[str, str, str], list[ModeRow]] = defaultdict(list)
    for m in mode_table:
        if m.speedup.median is not None and m.speedup.median > 0:
            groups[(m.backend, m.device, m.mode)].append(m)
    return [GeoMean(b, d, mode, math.exp(sum(math.log(m.speedup.median) for m in ms)
                                         / len(ms)), len(ms),
                    sum(m.gate.status == "pass" for m in ms))
            for (b, d, mode), ms in sorted(groups.items())]


def has_modes(records: Iterable[RunRecord]) -> bool:
    """Whether the records hold more than one mode (the modes view has something to say)."""
    return len({r.mode for r in records}) > 1
