"""The one way a unit of training runs: in a fresh child process, watched by its parent.

``run_unit(spec, timeout, on_epoch)`` starts ``python -m trainsmart_bench.training.child`` on a
``results.unit.UnitSpec`` (``timeout`` in seconds; ``math.inf``: no limit) in a session of its
own, with the thread environment of ``spec.threads`` (the same ``OMP``/``MKL``/TensorFlow
settings for every caller), answers each per-epoch ``results.unit.EpochReport`` with ``go`` or
``stop``, and returns the child's result. A crash, an out-of-memory kill, a broken report
channel or a timeout kills the child's whole process group and becomes a failed (or timed-out)
result with the tail of its stderr; Ctrl-C kills it too and is raised on.

Runs, tuning trials and the asv suite all call this, on this machine or inside a Ray task
(``execution.ray``).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from trainsmart_bench.env import default_threads, thread_env
from trainsmart_bench.results.unit import EpochFn, EpochReport, UnitSpec, always_go, as_spec

CHILD = "trainsmart_bench.training.child"
DEFAULT_TIMEOUT = 3600.0
STDERR_TAIL = 15  # lines of the child's stderr kept in a failed result
__all__ = ["DEFAULT_TIMEOUT", "EpochFn", "always_go", "kill", "run_unit"]


WARM = False  # fork warm children where the framework allows it (``warm_starts``)


@contextlib.contextmanager
def warm_starts(enabled: bool = True) -> Iterator[None]:
    """Inside, units start warm where their backend is fork-safe (``execution.warm``); the
    fork servers are closed on the way out. ``run`` and ``tune`` run inside it unless given
    ``--start cold``; library calls start cold unless asked (``run_unit(warm=True)``)."""
    global WARM
    before, WARM = WARM, bool(enabled)
    try:
        yield
    finally:
        WARM = before
        if enabled and not before:
            from trainsmart_bench.execution.warm import close_all

            close_all()


def run_unit(spec: UnitSpec | Mapping[str, Any], timeout: float = DEFAULT_TIMEOUT,
             on_epoch: EpochFn | None = None, warm: bool | None = None) -> dict[str, Any]:
    """Run one unit in a child process; never raises for a failed unit (only for Ctrl-C).

    ``warm`` (default: as ``warm_starts`` set it) forks the child from a server that imported
    the framework once, where ``execution.warm.supports`` the backend and device; else, and if
    the server cannot start, the child starts cold. The result holds what the child wrote,
    plus ``reported`` (the value of every epoch report), ``wall_s`` (start to exit, as the
    parent saw it) and ``node``."""
    spec = as_spec(spec)
    spec = spec.replace(threads=spec.threads or default_threads())
    with tempfile.TemporaryDirectory(prefix="trainsmart-unit-") as tmp:
        spec_path, out_path = Path(tmp, "spec.json"), Path(tmp, "result.json")
        spec_path.write_text(json.dumps(spec.to_json()))
        with open(Path(tmp, "stderr.txt"), "w+") as err:
            return _watch(spec, spec_path, out_path, err, timeout, on_epoch or always_go,
                          WARM if warm is None else warm)


def _watch(spec: UnitSpec, spec_path: Path, out_path: Path, err: IO[str],
           timeout: float, on_epoch: EpochFn, warm: bool) -> dict[str, Any]:
    env = {**os.environ, **thread_env(spec.threads)}
    argv = [str(spec_path), str(out_path)]
    began = time.time()  # wall-clock stamps: when units ran, e.g. on a cluster's nodes
    t0 = time.perf_counter()
    proc, cold_because = _start_warm(spec, env, argv, err) if warm else (None, None)
    if proc is None:
        proc = subprocess.Popen([sys.executable, "-m", CHILD, *argv], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=err, text=True, bufsize=1,
                                start_new_session=True, env=env)
    lines: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_pump, args=(proc.stdout, lines), daemon=True).start()
    reported: list[float] = []
    try:
        why = _converse(proc, lines, t0 + timeout, on_epoch, reported)
    except BaseException:
        kill(proc)
        raise
    wall = time.perf_counter() - t0
    ended = time.time()
    if why == "timeout":
        kill(proc)
        result = {"status": "timeout", "error": f"exceeded its {timeout:.0f} s timeout"}
    elif why:
        kill(proc)
        result = {"status": "failed", "error": why}
    elif out_path.is_file():
        result = json.loads(out_path.read_text())
    else:
        result = {"status": "failed", "error": _death(proc.returncode, err)}
    result.setdefault("node", {"hostname": os.uname().nodename, "pid": proc.pid,
                               "ray_node_id": None})
    result["reported"], result["wall_s"] = reported, wall
    result["span"] = [began, began + wall]
    _process_timings(result, began, ended)
    if cold_because:
        result.setdefault("timings", {})["cold_start"] = cold_because
    return result


def _start_warm(spec: UnitSpec, env: dict[str, str], argv: list[str],
                err: IO[str]) -> tuple[Any, str | None]:
    """A warm child, or (None, why it starts cold) where its backend cannot fork safely."""
    from trainsmart_bench.execution.warm import server, supports

    if not supports(spec.backend, spec.device):
        return None, None  # a cold start by design: nothing to report per run
    try:
        return server(spec.backend, env).start(argv, err), None
    except (OSError, RuntimeError) as exc:
        return None, f"the {spec.backend} fork server failed: {exc}"


def _process_timings(result: dict[str, Any], began: float, ended: float) -> None:
    """The child's stamps against the parent's: ``spawn_s`` from the spawn to the child's
    ``main`` (the interpreter's start and our package's import), ``exit_s`` from its result
    to the parent seeing it exit. Both wall clocks of this machine."""
    clock = result.pop("clock", None)
    if not clock:
        return
    timings = result.setdefault("timings", {})
    timings["spawn_s"] = max(0.0, clock["main_at"] - began)
    timings["exit_s"] = max(0.0, ended - clock["done_at"])


def _death(rc: int, err: IO[str]) -> str:
    """Why a child ended without writing its result: signal or status, and its stderr."""
    how = f"killed by signal {-rc}" if rc < 0 else f"exited with status {rc}"
    if rc == -signal.SIGKILL:
        how += " (likely out of memory: the kernel's OOM killer sends SIGKILL)"
    err.seek(0)
    tail = "\n".join(err.read().strip().splitlines()[-STDERR_TAIL:])
    return f"training process {how}\n{tail}".strip()


def _pump(stream: IO[str], lines: queue.Queue) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


def _converse(proc: subprocess.Popen, lines: queue.Queue, deadline: float, on_epoch: EpochFn,
              reported: list[float]) -> str | None:
    """Answer every epoch report until the child closes its end; returns why it was cut short."""
    while True:
        try:
            line = lines.get(timeout=_left(deadline, 0.0))
        except queue.Empty:
            return "timeout"
        if line is None:
            break
        try:
            report = EpochReport.from_json(json.loads(line))
            reported.append(report.value)
        except (ValueError, KeyError, TypeError) as exc:
            return f"unreadable epoch report {line.strip()[:200]!r}: {exc}"
        try:
            keep = bool(on_epoch(report))
        except Exception as exc:  # noqa: BLE001 - the listener (a tuner's report()) failed
            return f"the epoch listener raised {type(exc).__name__}: {exc}"
        with contextlib.suppress(BrokenPipeError, OSError):
            proc.stdin.write("go\n" if keep else "stop\n")
            proc.stdin.flush()
    try:
        proc.wait(timeout=_left(deadline, 1.0))
    except subprocess.TimeoutExpired:
        return "timeout"
    return None


def _left(deadline: float, at_least: float) -> float | None:
    """Seconds to wait until ``deadline`` (at least ``at_least``); None, wait without a limit,
    for a unit without a timeout (``math.inf``: the queue and ``wait`` refuse an infinite one)."""
    if math.isinf(deadline):
        return None
    return max(at_least, deadline - time.perf_counter())


def kill(proc: subprocess.Popen) -> None:
    """Kill the child's whole process group (its own workers included) and reap it."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:  # not a group (yet): the process itself
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
