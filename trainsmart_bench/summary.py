"""Group run records by (task, backend, device) and summarize each metric over seeds."""

from __future__ import annotations

from collections import defaultdict

from trainsmart_bench.records import RunRecord, Status
from trainsmart_bench.stats import bootstrap_median

COLUMNS = (
    ("quality", None, "{:.4f}"),
    ("train_throughput", "train samples/s", "{:,.0f}"),
    ("inference_throughput", "infer samples/s", "{:,.0f}"),
    ("time_to_target", "time to target s", "{:.1f}"),
    ("startup_time", "startup s", "{:.2f}"),
    ("peak_host_memory", "peak host MiB", "{:,.0f}"),
    ("peak_device_memory", "peak device MiB", "{:,.0f}"),
)


def group(records: list[RunRecord]) -> dict[tuple[str, str, str, str], list[RunRecord]]:
    groups: dict[tuple[str, str, str, str], list[RunRecord]] = defaultdict(list)
    for r in records:
        groups[(r.task, r.profile or "", r.backend, r.device)].append(r)
    return dict(sorted(groups.items()))


def quality_metric(task: str) -> str:
    from trainsmart_bench.tasks import get_task

    return get_task(task).metric


def summary_rows(records: list[RunRecord]) -> tuple[list[str], list[list[str]]]:
    header = ["task", "backend", "device", "ok/n"]
    header += [label or "quality" for _, label, _ in COLUMNS]
    rows = []
    for (task, profile, backend, device), recs in group(records).items():
        ok = [r for r in recs if r.status is Status.OK]
        row = [task + (f"@{profile}" if profile else ""), backend, device, f"{len(ok)}/{len(recs)}"]
        if not ok:
            reason = next((r.error for r in recs if r.error), "")
            status = recs[0].status.value
            row += [f"{status}: {reason.splitlines()[0][:80]}" if reason else status]
            row += [""] * (len(COLUMNS) - 1)
            rows.append(row)
            continue
        q = quality_metric(task)
        for name, _, fmt in COLUMNS:
            metric = q if name == "quality" else name
            values = [r.value(metric) for r in ok]
            if metric.startswith("peak_"):
                values = [None if v is None else v / 2**20 for v in values]
            s = bootstrap_median(values)
            text = s.format(fmt)
            if name == "quality":
                text = f"{q} {text}"
            if name == "time_to_target" and s.n < len(ok):
                text = f"{text} ({len(ok) - s.n} not reached)" if s.n else "not reached"
            row.append(text)
        rows.append(row)
    return header, rows
