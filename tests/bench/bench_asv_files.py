"""Synthetic asv result trees (asv api_version 2 layout) for the comparison tests."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

PARAMS = [["'digits-mlp'"], ["'torch'", "'sklearn'"], ["'cpu'"]]
UNITS = {
    "bench_training.Accuracy.track_accuracy": "fraction",
    "bench_training.RMSE.track_rmse": "rating",
    "bench_training.TrainThroughput.track_train_throughput": "samples/s",
    "bench_training.TimeToTarget.track_time_to_target": "seconds",
    "bench_training.StartupTime.track_startup_time": "seconds",
    "bench_import.Import.timeraw_import_trainsmart_bench": "seconds",
}
COLUMNS = ["result", "params", "version", "started_at", "duration"]


def write_results(root: Path, commit: str, values: dict[str, list], machine: str = "box",
                  env: str = "existing-py_usr_bin_python", date: int = 0) -> Path:
    """One result file: ``values`` maps a benchmark to its results in param-product order.

    ``date`` is the commit's date and the run's start (ms); benchmarks.json lists every
    benchmark of UNITS as `asv run` writes it, so `asv publish` can read the tree.
    """
    mdir = root / machine
    mdir.mkdir(parents=True, exist_ok=True)
    (mdir / "machine.json").write_text(json.dumps({"machine": machine, "version": 1}))
    results = {}
    for name, vals in values.items():
        params = [] if name.startswith("bench_import") else PARAMS
        n = len(list(itertools.product(*params))) if params else 1
        assert len(vals) == n, name
        results[name] = [vals, params, "v1", date, 1.0]
    data = {"commit_hash": commit, "env_name": env, "date": date,
            "params": {"machine": machine, "python": "3.11"},
            "python": "3.11", "requirements": {}, "env_vars": {}, "result_columns": COLUMNS,
            "results": results, "durations": {}, "version": 2}
    path = mdir / f"{commit[:8]}-{env}.json"
    path.write_text(json.dumps(data))
    (root / "benchmarks.json").write_text(json.dumps(
        {**{k: _benchmark(k, u) for k, u in UNITS.items()}, "version": 2}))
    return path


def _benchmark(name: str, unit: str) -> dict:
    params = [] if name.startswith("bench_import") else PARAMS
    names = [] if not params else ["task", "backend", "device"]
    kind = name.rsplit(".", 1)[-1].split("_", 1)[0]
    return {"name": name, "unit": unit, "params": params, "param_names": names,
            "type": "time" if kind.startswith("time") else "track", "version": "v1",
            "code": f"def {name.rsplit('.', 1)[-1]}(): ...", "timeout": 60.0}
