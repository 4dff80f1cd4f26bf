"""Reference convergence points, the way MLPerf sets its quality targets.

Each task's target is a validation figure (the held-out split evaluated after every epoch,
which is what time-to-target is judged on), calibrated from reference runs of its default
schedule: every backend, several seeds. The rule: the worst best-validation value over all
reference runs, rounded to the step towards "easier" (down for accuracy, up for RMSE), so
every reference run reaches the target within the schedule. The runs' epochs and seconds to
that target are kept in ``tasks/convergence.json`` beside the tasks, with the machine, the
command and the commit, and ``trainsmart tasks`` names that source.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from trainsmart_bench.jsonfile import atomic_write_json, read_json
from trainsmart_bench.results.records import RunRecord, Status

CONVERGENCE = Path(__file__).resolve().parent.parent / "tasks" / "convergence.json"
STEP = 0.005
RULE = (f"worst best-validation value over the reference runs, rounded to {STEP:g} towards "
        "easier (down for accuracy, up for RMSE): every reference run reaches it")


def calibrated_target(bests: Iterable[float], direction: str, step: float = STEP) -> float:
    values = list(bests)
    if direction == "max":
        return round(math.floor(min(values) / step + 1e-9) * step, 6)
    return round(math.ceil(max(values) / step - 1e-9) * step, 6)


def reached(curve: list[Mapping[str, Any]], key: str, target: float,
            direction: str) -> tuple[int | None, float | None]:
    """(epoch, seconds) at which the curve first meets the target, or (None, None)."""
    for e in curve:
        v = e.get(key)
        if v is not None and (v >= target if direction == "max" else v <= target):
            return int(e["epoch"]), float(e["wall_s"])
    return None, None


def reference_entry(records: list[RunRecord], metric: str, direction: str,
                    command: str) -> dict[str, Any]:
    """A task's reference convergence point from its runs (ok runs only)."""
    from trainsmart_bench.env import cpu_model, git_commit

    ok = [r for r in records if r.status is Status.OK and r.curve]
    if not ok:
        raise ValueError("no successful reference run to calibrate from")
    key = f"val_{metric}"
    best = {id(r): (max if direction == "max" else min)(e[key] for e in r.curve) for r in ok}
    target = calibrated_target(best.values(), direction)
    runs = []
    for r in sorted(ok, key=lambda r: (r.backend, r.seed)):
        epoch, seconds = reached(r.curve, key, target, direction)
        runs.append({"backend": r.backend, "seed": r.seed, "best": round(best[id(r)], 6),
                     "epochs": len(r.curve), "epoch_to_target": epoch,
                     "seconds_to_target": None if seconds is None else round(seconds, 3)})
    first = ok[0]
    return {
        "metric": metric, "direction": direction, "split": "validation", "target": target,
        "rule": RULE, "params": first.params, "runs": runs, "command": command,
        "machine": {"cpu": cpu_model(), "cores": first.env.get("cpu_physical_cores"),
                    "threads": first.identity_fields.get("threads")},
        "date": first.started[:10], "commit": git_commit(),
    }


def load(path: Path | None = None) -> dict[str, Any]:
    path = path or CONVERGENCE
    return read_json(path) if path.is_file() else {"schema_version": 1, "tasks": {}}


def save(entries: Mapping[str, dict[str, Any]], path: Path | None = None) -> Path:
    path = path or CONVERGENCE
    data = load(path)
    data["tasks"] = {**data.get("tasks", {}), **entries}
    data["tasks"] = dict(sorted(data["tasks"].items()))
    return atomic_write_json(path, data)


def source(task_label: str, data: Mapping[str, Any] | None = None) -> str:
    """One line saying where a task's target comes from, for ``trainsmart tasks``."""
    entry = (data if data is not None else load()).get("tasks", {}).get(task_label)
    if not entry:
        return ""
    runs = entry["runs"]
    epochs = [r["epoch_to_target"] for r in runs if r["epoch_to_target"] is not None]
    backends = sorted({r["backend"] for r in runs})
    seeds = len({r["seed"] for r in runs})
    span = f"epochs {min(epochs)}-{max(epochs)}" if epochs else "never"
    return (f"calibrated {entry['date']}: {len(runs)} reference runs ({', '.join(backends)} x "
            f"{seeds} seeds) reach {entry['target']:g} on validation in {span}")
