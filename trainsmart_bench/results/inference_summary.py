"""The deployment summary: one row per (task, backend, device, runtime), its figures over
seeds (median, 95% bootstrap interval), for the CLI, JSON/CSV and the report.

Per row: the accuracy gate (all seeds must pass; the worst agreement or difference), the
runtime's test metric against the trained model's, SingleStream latency percentiles,
MultiStream p99, Offline samples/s and the Server's highest valid rate (per batch), and
LoadGen's verdicts. A row that failed the gate keeps its figures but is never ranked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from trainsmart_bench.results.inference import InferenceRecord
from trainsmart_bench.results.records import Status
from trainsmart_bench.results.stats import Summary, bootstrap_median

Key = tuple[str, str, str, str]  # task, backend, device, runtime


@dataclass
class DeployRow:
    task: str
    backend: str
    device: str
    runtime: str
    status: str = "ok"  # ok, or the worst status among its records (skipped, failed, ...)
    why: str | None = None  # a skip's or failure's reason
    gate_passed: bool | None = None
    gate: dict[str, Any] = field(default_factory=dict)  # the worst seed's verdict
    figures: dict[str, Summary] = field(default_factory=dict)  # name -> over seeds
    verdicts: dict[str, str] = field(default_factory=dict)  # scenario@batch -> VALID/INVALID
    quick: bool = True
    exporter: str | None = None


FIGURES = (  # (name, scenario, metric)
    ("single_stream_p50", "single-stream", "latency_p50"),
    ("single_stream_p90", "single-stream", "latency_p90"),
    ("single_stream_p99", "single-stream", "latency_p99"),
    ("multi_stream_p99", "multi-stream", "latency_p99"),
    ("offline_samples_per_s", "offline", "samples_per_s"),
    ("server_max_qps", "server", "server_max_qps"),
    ("ray_serve_max_qps", "server-ray", "server_max_qps"),
)


def rows(records: list[InferenceRecord]) -> list[DeployRow]:
    groups: dict[Key, list[InferenceRecord]] = {}
    for r in records:
        groups.setdefault((r.task, r.backend, r.device, r.runtime), []).append(r)
    return [_row(key, recs) for key, recs in groups.items()]


def _row(key: Key, recs: list[InferenceRecord]) -> DeployRow:
    row = DeployRow(*key)
    bad = [r for r in recs if r.status is not Status.OK]
    if bad:
        lines = (bad[0].error or "").splitlines()  # a record may carry no error text
        row.status, row.why = bad[0].status.value, lines[0][:300] if lines else None
    ok = [r for r in recs if r.status is Status.OK]
    if not ok:
        return row
    row.quick = any(r.loadgen.get("quick", True) for r in ok)
    row.exporter = ok[0].exporter
    gates = {r.seed: r.gate for r in ok}
    row.gate_passed = all(g.get("passed") for g in gates.values())
    row.gate = min(gates.values(), key=lambda g: (bool(g.get("passed")),
                                                   g.get("agreement", 1.0),
                                                   -g.get("max_abs_diff", 0.0)))
    for name, scenario, metric in FIGURES:
        batches = sorted({r.batch for r in ok if r.scenario == scenario})
        for b in batches:
            label = name if scenario in ("single-stream", "multi-stream") else f"{name}@{b}"
            values = [r.metrics.get(metric) for r in ok
                      if r.scenario == scenario and r.batch == b]
            row.figures[label] = bootstrap_median(values)
    for r in ok:
        label = r.scenario if r.scenario in ("single-stream", "multi-stream") else (
            f"{r.scenario}@{r.batch}")
        verdict = r.loadgen.get("validity") or "n/a"
        if row.verdicts.get(label) not in (None, verdict):
            verdict = "mixed"
        row.verdicts[label] = verdict
    return row


def as_dicts(summary: list[DeployRow]) -> list[dict[str, Any]]:
    """Flat dicts for JSON and CSV: figures as median, low, high, n."""
    out = []
    for row in summary:
        d: dict[str, Any] = {"task": row.task, "backend": row.backend, "device": row.device,
                             "runtime": row.runtime, "status": row.status, "why": row.why,
                             "exporter": row.exporter, "gate_passed": row.gate_passed,
                             "agreement": row.gate.get("agreement"),
                             "max_abs_diff": row.gate.get("max_abs_diff"),
                             "test_metric": row.gate.get("test_metric"),
                             "trained_test_metric": row.gate.get("trained_test_metric"),
                             "quick": row.quick}
        for label, s in row.figures.items():
            d.update({label: s.median, f"{label}_low": s.low, f"{label}_high": s.high,
                      f"{label}_n": s.n})
        d.update({f"loadgen_{k}": v for k, v in row.verdicts.items()})
        out.append(d)
    return out
