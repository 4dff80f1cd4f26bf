"""Evaluating one tuning trial: in its own process, optionally as a Ray task on a cluster.

``python -m trainsmart_bench.study_trial SPEC OUT`` trains one config through the worker's
``run_spec`` (or the spec's ``objective``) and talks to its parent over a pipe:

* after every epoch the child writes ``{"epoch": e, "value": v}`` as one JSON line on its
  stdout (the framework's own prints are sent to stderr) and waits for the answer line on its
  stdin, ``go`` or ``stop``. Every tuner goes through this one path; a tuner that does not
  prune always answers ``go``, a pruning one answers with its ``report()``;
* the result is written atomically to OUT, as by ``trainsmart_bench.worker``.

The parent enforces the timeout on the whole process and turns a crash, a kill or a timeout
into a failed result. With a Ray address, ``RayEvaluator`` runs that same parent code as a Ray
task (``num_cpus``/``num_gpus`` requested, spread over the nodes); the epoch reports travel
to the driver, where the tuner lives, through a pair of ``ray.util.queue.Queue``.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from trainsmart_bench.records import atomic_write_json

EpochFn = Callable[[int, float], bool]  # (epoch, val objective) -> keep training?
DEFAULT_OBJECTIVE = "trainsmart_bench.worker:run_spec"


def _node() -> dict[str, Any]:
    return {"hostname": socket.gethostname(), "pid": os.getpid(), "ray_node_id": None}


def call_objective(spec: dict[str, Any], on_epoch: EpochFn,
                   objective: Callable[..., dict[str, Any]] | None = None) -> dict[str, Any]:
    """Run the objective (default: the one the spec names) here; exceptions become results."""
    import importlib

    from trainsmart_bench.trainer import SkipRun

    try:
        if objective is None:
            module, _, attr = spec.get("objective", DEFAULT_OBJECTIVE).partition(":")
            objective = getattr(importlib.import_module(module), attr)
        result = objective(spec, on_epoch=on_epoch)
    except (SkipRun, NotImplementedError) as exc:
        result = {"status": "skipped", "error": str(exc) or type(exc).__name__}
    except Exception as exc:  # noqa: BLE001 - a failing trial is a record, not a crash
        result = {"status": "failed", "error": f"{type(exc).__name__}: {exc}",
                  "traceback": traceback.format_exc(limit=20)}
    result["node"] = _node()
    return result


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    spec = json.loads(Path(args[0]).read_text())
    channel = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # anything else printed to stdout goes to stderr, off the channel

    def on_epoch(epoch: int, value: float) -> bool:
        channel.write(json.dumps({"epoch": int(epoch), "value": float(value)}) + "\n")
        channel.flush()
        return sys.stdin.readline().strip() == "go"  # parent gone (EOF): stop

    atomic_write_json(Path(args[1]), call_objective(spec, on_epoch))
    return 0


# -- the parent side ----------------------------------------------------------------------------
class ProcessEvaluator:
    """Each trial in a fresh ``python -m trainsmart_bench.study_trial`` process."""

    where = "process"

    def __call__(self, spec: dict[str, Any], timeout: float, on_epoch: EpochFn) -> dict[str, Any]:
        with tempfile.TemporaryDirectory(prefix="trainsmart-trial-") as tmp:
            spec_path, out_path = Path(tmp, "spec.json"), Path(tmp, "result.json")
            spec_path.write_text(json.dumps(spec))
            with open(Path(tmp, "stderr.txt"), "w+") as err:
                return self._run(spec_path, out_path, err, timeout, on_epoch, spec)

    def _run(self, spec_path, out_path, err, timeout, on_epoch, spec) -> dict[str, Any]:
        threads = str(spec.get("threads") or 1)
        env = {**os.environ, "OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads}
        cmd = [sys.executable, "-m", "trainsmart_bench.study_trial", str(spec_path), str(out_path)]
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err,
                                text=True, bufsize=1, start_new_session=True, env=env)
        lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=_pump, args=(proc.stdout, lines), daemon=True).start()
        reported: list[float] = []
        try:
            why = _converse(proc, lines, t0 + timeout, on_epoch, reported)
        except BaseException:
            _kill(proc)
            raise
        wall = time.perf_counter() - t0
        if why:
            _kill(proc)
            result = {"status": "timeout" if why == "timeout" else "failed",
                      "error": f"trial exceeded its {timeout:.0f} s timeout" if why == "timeout"
                      else why}
        elif out_path.is_file():
            result = json.loads(out_path.read_text())
        else:
            err.seek(0)
            tail = "\n".join(err.read().strip().splitlines()[-15:])
            rc = proc.returncode
            how = f"killed by signal {-rc}" if rc < 0 else f"exited with status {rc}"
            result = {"status": "failed", "error": f"trial process {how}\n{tail}".strip()}
        result.setdefault("node", {"hostname": socket.gethostname(), "pid": proc.pid,
                                   "ray_node_id": None})
        result["reported"], result["wall_s"] = reported, wall
        return result


def _pump(stream, lines: queue.Queue) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


def _converse(proc, lines: queue.Queue, deadline: float, on_epoch: EpochFn,
              reported: list[float]) -> str | None:
    """Answer every epoch report until the child closes its end; returns why it was cut short."""
    while True:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.perf_counter()))
        except queue.Empty:
            return "timeout"
        if line is None:
            break
        msg = json.loads(line)
        reported.append(msg["value"])
        try:
            keep = bool(on_epoch(msg["epoch"], msg["value"]))
        except Exception as exc:  # noqa: BLE001 - the tuner's report() failed
            return f"the tuner's report() raised {type(exc).__name__}: {exc}"
        try:
            proc.stdin.write("go\n" if keep else "stop\n")
            proc.stdin.flush()
        except (BrokenPipeError, OSError):
            pass
    try:
        proc.wait(timeout=max(1.0, deadline - time.perf_counter()))
    except subprocess.TimeoutExpired:
        return "timeout"
    return None


def _kill(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


class InProcessEvaluator:
    """Calls the objective in this process: no isolation and no timeout. For unit tests of
    the loop and the overhead benchmark; a study of real training uses a process per trial.
    ``objective(spec, on_epoch=...)`` defaults to the one the spec names."""

    where = "in-process"

    def __init__(self, objective: Callable[..., dict[str, Any]] | None = None) -> None:
        self.objective = objective

    def __call__(self, spec: dict[str, Any], timeout: float, on_epoch: EpochFn) -> dict[str, Any]:
        reported: list[float] = []

        def relay(epoch: int, value: float) -> bool:
            reported.append(float(value))
            return bool(on_epoch(epoch, value))

        t0 = time.perf_counter()
        result = call_objective(spec, relay, self.objective)
        result["reported"], result["wall_s"] = reported, time.perf_counter() - t0
        return result


class RayEvaluator:
    """Each trial as a Ray task on an existing cluster, which runs it in its own process there.

    The task asks for ``num_cpus``/``num_gpus`` and is spread over the nodes (``SPREAD``); it
    runs ``ProcessEvaluator`` on its node and relays each epoch report to the driver and the
    tuner's answer back. Nodes need trainsmart-bench (and the backend) installed.
    """

    where = "ray"

    def __init__(self, address: str, num_cpus: float = 1, num_gpus: float = 0) -> None:
        from trainsmart_bench.tuners.base import require

        ray = require("ray", "ray", "--ray-address")
        from ray.util.queue import Queue

        self._ray, self._owns = ray, not ray.is_initialized()
        if self._owns:
            ray.init(address=address, log_to_driver=False, logging_level="WARNING")
        self._up = Queue(actor_options={"num_cpus": 0})  # the channel's actors take no CPU slot
        self._down = Queue(actor_options={"num_cpus": 0})
        self._task = ray.remote(num_cpus=num_cpus, num_gpus=num_gpus, max_retries=0,
                                scheduling_strategy="SPREAD")(_ray_trial)

    def __call__(self, spec: dict[str, Any], timeout: float, on_epoch: EpochFn) -> dict[str, Any]:
        ray = self._ray
        t0 = time.perf_counter()
        ref = self._task.remote(spec, timeout, self._up, self._down)
        try:
            return self._relay(ref, t0, timeout, on_epoch)
        except BaseException:  # Ctrl-C: the trial must not go on running on the cluster
            ray.cancel(ref, force=True)
            raise

    def _relay(self, ref: Any, t0: float, timeout: float, on_epoch: EpochFn) -> dict[str, Any]:
        from ray.util.queue import Empty

        ray, seen = self._ray, []  # the epochs reported, should the task be lost
        while not ray.wait([ref], timeout=0)[0]:
            try:
                epoch, value = self._up.get(timeout=0.05)
            except Empty:
                if time.perf_counter() - t0 > timeout + 60:  # the node's own timeout failed
                    ray.cancel(ref, force=True)
                    return {"status": "timeout", "error": f"Ray task exceeded {timeout:.0f} s",
                            "reported": seen, "wall_s": time.perf_counter() - t0}
                continue
            seen.append(float(value))
            try:
                keep = bool(on_epoch(epoch, value))
            except Exception as exc:  # noqa: BLE001 - the tuner's report() failed
                ray.cancel(ref, force=True)
                return {"status": "failed", "reported": seen, "wall_s": time.perf_counter() - t0,
                        "error": f"the tuner's report() raised {type(exc).__name__}: {exc}"}
            self._down.put(keep)
        try:
            return ray.get(ref)
        except Exception as exc:  # noqa: BLE001 - a lost node or worker is a failed trial
            return {"status": "failed", "error": f"Ray task failed: {type(exc).__name__}: {exc}",
                    "reported": seen, "wall_s": time.perf_counter() - t0}

    def close(self) -> None:
        for q in (self._up, self._down):
            q.shutdown(force=True)
        if self._owns:
            self._ray.shutdown()


def _ray_trial(spec: dict[str, Any], timeout: float, up: Any, down: Any) -> dict[str, Any]:
    import ray

    def relay(epoch: int, value: float) -> bool:
        up.put((epoch, value))
        return bool(down.get(timeout=timeout))

    result = ProcessEvaluator()(spec, timeout, relay)
    result["node"]["ray_node_id"] = ray.get_runtime_context().get_node_id()
    return result


__all__ = ["InProcessEvaluator", "ProcessEvaluator", "RayEvaluator", "call_objective"]

if __name__ == "__main__":
    sys.exit(main())
