"""``python -m trainsmart_bench.training.child SPEC OUT``: one unit of training in its own process.

The one child entry point: a benchmark run, a tuning trial and an asv cell all come here.
It reads a JSON ``results.unit.UnitSpec``, trains (``run_spec``, or the objective the task
declares), and writes a JSON result to OUT atomically. While it trains it talks to its parent
over a pipe:

* after every epoch it writes one JSON line on its stdout, a ``results.unit.EpochReport``
  (anything else printed to stdout is sent to stderr), and waits
  for the parent's answer on its stdin, ``go`` or ``stop`` (a pruned trial);
* the parent (``trainsmart_bench.execution.process``) owns the clock: a crash, a kill or a
  timeout of this process becomes a failed result there; nothing here needs to survive it.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import socket
import sys
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from trainsmart_bench.errors import SkipRun
from trainsmart_bench.jsonfile import atomic_write_json
from trainsmart_bench.results.unit import EpochFn, EpochReport, UnitSpec, as_spec

DEFAULT_OBJECTIVE = "trainsmart_bench.training.child:run_spec"
# Set in a child forked warm (``execution.warm``): the server's one cold import, which this
# process did not pay; kept in the record and in its startup time.
WARM: dict[str, Any] | None = None


def run_spec(spec: UnitSpec, on_epoch: EpochFn | None = None) -> dict[str, Any]:
    """Train one (task, backend, device, seed) as the spec says; returns the result dict."""
    from trainsmart_bench.env import thread_pools
    from trainsmart_bench.metrics.resources import peak_host_memory
    from trainsmart_bench.mode import parse_mode
    from trainsmart_bench.registry import BACKEND_EXTRAS, install_hint, resolve
    from trainsmart_bench.tasks import get_task
    from trainsmart_bench.training.data import prepare
    from trainsmart_bench.training.loop import train
    from trainsmart_bench.training.protocols import Fold

    t = time.perf_counter()  # import_s: the task's code (a plugin) and the framework's
    load_plugin(spec)
    task = get_task(spec.task).resolve(spec.profile, **spec.params)
    if spec.target is not None:  # pinned (a tuning table keeps its build's target)
        task = replace(task, target=float(spec.target))
    mode = parse_mode(spec.mode or "eager")
    try:
        backend_cls = resolve("backend", spec.backend)
    except ImportError as exc:
        hint = install_hint(BACKEND_EXTRAS.get(spec.backend, "all"))
        raise SkipRun(f"backend {spec.backend!r} is not installed ({exc}); {hint}") from exc
    backend = backend_cls()
    backend.check(task, spec.device)
    if not backend.device_available(spec.device):
        raise SkipRun(f"device {spec.device!r} is not available to {spec.backend} here")
    backend.check_mode(mode, spec.device)
    backend.setup(spec.device, spec.threads, spec.seed, mode)
    import_s = time.perf_counter() - t
    t = time.perf_counter()
    fold = Fold.from_label(spec.fold)
    data = prepare(task, spec.data_dir, backend=spec.backend, fold=fold)
    data_s = time.perf_counter() - t
    result = train(backend, task, data, spec.seed, on_epoch=on_epoch, import_s=import_s,
                   epoch_test=spec.epoch_test)
    result.metrics["peak_host_memory"] = peak_host_memory()
    result.metrics.update(backend.compile_stats())
    if WARM:  # startup as a cold process would have paid it: the import was paid once
        result.timings["warm"] = dict(WARM)
        if result.metrics.get("startup_time") is not None:
            result.metrics["startup_time"] += float(WARM["server_import_s"])
    outcome = {"status": "failed", "error": result.error} if result.error else {"status": "ok"}
    if spec.save_model and not result.error:
        t = time.perf_counter()
        outcome["model"] = save_model(backend, result, spec.save_model)
        result.timings["save_model_s"] = time.perf_counter() - t
    return {
        **outcome, "params": dict(task.params), "target": task.target,
        "metrics": result.metrics, "curve": result.curve,
        "timings": {**result.timings, "data_s": data_s, "stopped_by": result.stopped_by},
        "reached_target": result.reached_target,
        "framework_version": backend.version(),
        "threads": {**thread_pools(), "cores": sorted(os.sched_getaffinity(0))},
        "dataset": {"name": data.dataset, "checksum": data.dataset_checksum,
                    "source": data.dataset_source},
    }


def save_model(backend: Any, result: Any, stem: str) -> dict[str, Any]:
    """Keep the trained model in its framework's format, and its own test predictions (what
    every serving runtime is checked against); both named by the run's identity, with their
    digests in the record."""
    import numpy as np

    from trainsmart_bench.datasets.files import file_digest

    path = Path(f"{stem}.{backend.model_format}")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        backend.save_model(result.state, path)
    except NotImplementedError as exc:  # the run stands; serving it is a recorded skip
        return {"skipped": str(exc) or f"{backend.name} cannot save this model"}
    predictions = Path(f"{stem}.test-predictions.npy")
    np.save(predictions, np.asarray(result.test_out), allow_pickle=False)
    return {"path": str(path.resolve()), "format": backend.model_format,
            "sha256": file_digest(path), "bytes": path.stat().st_size,
            "test_predictions": {"path": str(predictions.resolve()),
                                 "sha256": file_digest(predictions)}}


def load_plugin(spec: UnitSpec) -> None:
    """A user task's unit: load its code in this process too (it must be importable here)."""
    if spec.plugin:
        from trainsmart_bench.tasks import plugins

        plugins.load(spec.plugin)


def node() -> dict[str, Any]:
    return {"hostname": socket.gethostname(), "pid": os.getpid(), "ray_node_id": None}


def call_objective(spec: UnitSpec | Mapping[str, Any], on_epoch: EpochFn,
                   objective: Callable[..., dict[str, Any]] | None = None) -> dict[str, Any]:
    """Run the objective (default: the one the task declares, else the training loop) here;
    exceptions become results."""
    try:
        spec = as_spec(spec)
        if objective is None:
            module, _, attr = (spec.objective or DEFAULT_OBJECTIVE).partition(":")
            objective = getattr(importlib.import_module(module), attr)
        result = objective(spec, on_epoch=on_epoch)
    except (SkipRun, NotImplementedError) as exc:
        result = {"status": "skipped", "error": str(exc) or type(exc).__name__}
    except Exception as exc:  # noqa: BLE001 - every failure becomes a record
        result = {"status": "failed", "error": f"{type(exc).__name__}: {exc}",
                  "traceback": traceback.format_exc(limit=20)}
    result["node"] = node()
    return result


def die_with_parent() -> None:
    """Have the kernel kill this process when its parent dies (Linux): a benchmark killed
    hard must not leave its training run behind, competing for the cores."""
    import ctypes
    import signal

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the closed pipe stops it at the next epoch
        return
    if os.getppid() == 1:  # the parent died before the call
        os._exit(1)


def main(argv: list[str] | None = None) -> int:
    began = time.time()  # the parent subtracts its own stamps: interpreter start, and exit
    die_with_parent()
    args = sys.argv[1:] if argv is None else argv
    data = json.loads(Path(args[0]).read_text())
    if data.get("cpus"):  # pin before any thread pool starts
        os.sched_setaffinity(0, [int(c) for c in data["cpus"]])
    channel = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # anything else printed to stdout goes to stderr, off the channel

    def on_epoch(report: EpochReport) -> bool:
        channel.write(json.dumps(report.to_json()) + "\n")
        channel.flush()
        return sys.stdin.readline().strip() == "go"  # parent gone (EOF): stop

    result = call_objective(data, on_epoch)
    result["clock"] = {"main_at": began, "done_at": time.time()}
    atomic_write_json(Path(args[1]), result)
    return 0


def leave(rc: int) -> None:
    """Exit without the interpreter's teardown: the result is on disk, and unwinding a
    framework's modules (TensorFlow's, PyTorch's) costs up to a second per run that nothing
    needs. Standard streams are flushed first; the parent reaps the process group."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(rc)


if __name__ == "__main__":
    leave(main())
