"""What benchmarks/bench_serving.py calls: each cell's trained model served per runtime.

The model is the one the training benchmarks trained for the cell (trained once per asv run,
kept with ``save_models``); the first asv process that needs a (cell, runtime) serves it
through SingleStream and Offline, with LoadGen's quick settings, and writes the inference
records; the others read them. A runtime the model's framework lacks, or whose export fails,
is a skip with the reason; one that fails the accuracy gate is a failure (its speed is not
tracked).
"""

from __future__ import annotations

import os
from pathlib import Path

from trainsmart_bench.bench.memo import locked
from trainsmart_bench.bench.profiles import current_profile
from trainsmart_bench.bench.suite import ENV_RECORDS, RunFailed, cell_records
from trainsmart_bench.results.inference import InferenceRecord, InferenceStore
from trainsmart_bench.results.records import Status

PARAM_NAMES = ["task", "backend", "runtime"]
SCENARIOS = ("single-stream", "offline")
TRACKED = {"p90_latency": ("single-stream", "latency_p90", "seconds"),
           "offline_throughput": ("offline", "samples_per_s", "samples/s")}


def params() -> list[list[str]]:
    profile = current_profile()
    return [list(profile.serving_tasks) or ["none"], list(profile.serving_backends),
            list(profile.serving_runtimes)]


def served(run_dir: str, task: str, backend: str, runtime: str) -> list[InferenceRecord]:
    """The (cell, runtime)'s inference records: read, or served now (once per asv run)."""
    from trainsmart_bench.env import default_threads
    from trainsmart_bench.serving.matrix import ServeSettings, serve_runs

    if task == "none":
        raise NotImplementedError("this profile serves no task")
    root = Path(run_dir) / "serving" / f"{task}__{backend}__{runtime}"
    with locked(root.with_suffix(".lock")):
        store = InferenceStore(root)
        done = list(store)
        if done:
            return done
        (run,) = cell_records(run_dir, task, backend, "cpu")
        if run.status is not Status.OK:
            raise NotImplementedError(f"its training run {run.status.value}: {run.error}")
        settings = ServeSettings(runtimes=(runtime,), scenarios=SCENARIOS,
                                 threads=default_threads(),
                                 timeout=current_profile().timeout)
        records = serve_runs([run], settings, store, root)
        if export := os.environ.get(ENV_RECORDS):  # beside the run records, for the report
            for record in records:
                InferenceStore(export).write(record)
        return records


def serving_value(run_dir: str, name: str, task: str, backend: str, runtime: str) -> float:
    scenario, metric, _unit = TRACKED[name]
    records = [r for r in served(run_dir, task, backend, runtime) if r.scenario == scenario]
    if not records:
        raise NotImplementedError(f"no {scenario} record")
    record = records[0]
    if record.status is Status.SKIPPED:
        raise NotImplementedError(record.error or "skipped")
    if record.status is not Status.OK:
        raise RunFailed(f"{record.key} {record.status.value}: {record.error}")
    if not record.gated:
        raise RunFailed(f"{record.key} failed the accuracy gate: {record.gate.get('why')}")
    value = record.metrics.get(metric)
    if value is None:
        raise NotImplementedError(f"LoadGen reported no {metric}")
    return float(value)


def unit(name: str) -> str:
    return TRACKED[name][2]
