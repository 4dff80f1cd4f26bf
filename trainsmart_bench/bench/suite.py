"""What the asv modules call: the parameter grid, units, and one metric of one cell.

Every ``track_*`` method of ``benchmarks/bench_training.py`` is ``metric_value(...)`` for one
metric. ``setup`` raises ``NotImplementedError`` (asv's "skipped", shown as n/a) with the reason
when a cell cannot run here or a metric does not apply; a failed run raises ``RunFailed``.
"""

from __future__ import annotations

import os
from pathlib import Path

from trainsmart_bench.bench.memo import RunMemo
from trainsmart_bench.bench.profiles import current_profile
from trainsmart_bench.results.records import METRICS, RunRecord, Status

ENV_RECORDS = "TRAINSMART_BENCH_RECORDS"  # also keep every run record here (for the report)
PARAM_NAMES = ["task", "backend", "device", "mode"]
QUALITY = ("accuracy", "rmse")
TRACKED = (*QUALITY, "train_throughput", "inference_throughput", "time_to_target",
           "startup_time", "compile_time", "peak_host_memory", "peak_device_memory")
ASV_UNITS = {"s": "seconds", "bytes": "bytes"}  # the units asv formats itself
IMPORT_STATEMENT = "import trainsmart_bench"
STARTS = ("cold", "warm")
WHOLE_UNIT_BACKENDS = ("torch", "keras")  # the two that start warm (execution.warm)


def whole_unit_code(kind: str, start: str, backend: str = "torch") -> str:
    """A whole ``trainsmart`` command, as asv's ``timeraw_`` times it in a fresh interpreter:
    one digits-mlp run (``run``: 10 epochs, one seed) or a 10-trial random study (``study``:
    3 epochs a trial) on ``backend``, started ``cold`` or ``warm``, records in a temporary
    directory. What it costs beyond training is the suite's overhead per run or trial."""
    if kind not in ("run", "study") or start not in STARTS or backend not in WHOLE_UNIT_BACKENDS:
        raise ValueError(f"whole_unit_code({kind!r}, {start!r}, {backend!r})")
    args = (["run", "--seeds", "1", "--format", "json"] if kind == "run" else
            ["tune", "--tuner", "random", "--trials", "10", "--studies", "1",
             "--set", "epochs=3"])
    args += ["--task", "digits-mlp", "--backend", backend, "--start", start, "--no-resume"]
    return ("import contextlib, io, sys, tempfile\n"
            "from trainsmart_bench.cli import main\n"
            "with tempfile.TemporaryDirectory() as out, "
            "contextlib.redirect_stdout(io.StringIO()):\n"
            f"    rc = main({args!r} + ['--results', out])\n"
            "if rc:\n"
            "    sys.exit(rc)\n")


class RunFailed(RuntimeError):
    """The training run of a cell failed or timed out: asv records the metric as failed."""


def params() -> list[list[str]]:
    """asv's ``params``: task x backend x device x mode of the active profile."""
    return current_profile().asv_params()


def timeout() -> float:
    """asv's ``timeout`` for one metric: one training run plus process start-up."""
    return current_profile().timeout + 120.0


def unit(metric: str) -> str:
    """The asv unit of a metric: its METRICS unit, in asv's spelling where asv has one."""
    name = METRICS[metric][0]
    return ASV_UNITS.get(name, name)


def start_run() -> str:
    """asv's ``setup_cache``: a memo directory inside asv's cache directory of this run."""
    root = Path.cwd() / "trainsmart-runs"
    root.mkdir(exist_ok=True)
    return str(root)


def not_applicable(metric: str, task: str, device: str) -> str | None:
    """Why ``metric`` does not apply to the cell, decided before anything trains."""
    from trainsmart_bench.tasks import get_task

    spec = get_task(task)
    if metric in QUALITY and metric != spec.metric:
        return f"{task} is scored by {spec.metric}, not {metric}"
    if metric == "peak_device_memory" and device == "cpu":
        return "a cpu run has no device memory to report"
    return None


def missing_data(task: str) -> str | None:
    """Why the task's dataset cannot be loaded (not cached, e.g. offline), or None."""
    from trainsmart_bench.datasets import get_loader
    from trainsmart_bench.tasks import get_task

    dataset = get_task(task).dataset
    if get_loader(dataset).is_ready():
        return None
    return (f"dataset {dataset!r} is not cached (offline?); run `trainsmart data fetch {dataset}` "
            f"or `trainsmart data import {dataset} PATH`")


def split_task(param: str) -> tuple[str, str | None]:
    """An asv task parameter: ``TASK`` or ``TASK+PROTOCOL`` (e.g. movielens-mf+kfold:5)."""
    task, _, protocol = param.partition("+")
    return task, protocol or None


def cell_records(run_dir: str, task: str, backend: str, device: str,
                 mode: str = "eager") -> list[RunRecord]:
    """The cell's training records under the active profile (trained once per asv run): one,
    or one per fold of its protocol."""
    from trainsmart_bench.tasks import get_task
    from trainsmart_bench.training.protocols import folds

    name, protocol = split_task(task)
    if reason := missing_data(name):
        raise NotImplementedError(reason)
    profile = current_profile()
    memo = RunMemo(run_dir, export=os.environ.get(ENV_RECORDS) or None)
    models = str(Path(run_dir) / "models")  # kept, for the serving benchmarks to serve
    return [memo.record(profile.cell(name, backend, device, mode, f.label if f else None),
                        profile.params(name), timeout=profile.timeout, save_models=models)
            for f in folds(protocol, get_task(name))]


def metric_value(run_dir: str, metric: str, task: str, backend: str, device: str,
                 mode: str = "eager") -> float:
    """One metric of one cell (the mean over its folds under a protocol); NotImplementedError
    (skip) or RunFailed when there is none. A mode the backend or device lacks is a skip with
    the reason its run recorded."""
    if reason := not_applicable(metric, split_task(task)[0], device):
        raise NotImplementedError(reason)
    records = cell_records(run_dir, task, backend, device, mode)
    for record in records:
        if record.status is Status.SKIPPED:
            raise NotImplementedError(record.error or "skipped")
        if record.status is not Status.OK:
            raise RunFailed(f"{record.key} {record.status.value}: {record.error}")
    values = [record.value(metric) for record in records]
    if any(v is None for v in values):
        raise NotImplementedError(_why_none(records[0], metric))
    return sum(values) / len(values)


def _why_none(record: RunRecord, metric: str) -> str:
    if metric == "time_to_target":
        epochs = record.value("epochs_trained")
        within = f" in {epochs:.0f} epochs" if epochs is not None else ""
        return f"validation never reached the target {record.target}{within}"
    return f"{record.backend} on {record.device} does not report {metric}"
