"""Runs a matrix of (task, backend, device, seed) cells, each in its own fresh process.

A crash, an out-of-memory kill or a timeout of one run becomes a failed record and the others
go on; Ctrl-C stops after killing the current run and keeps every record already written.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trainsmart_bench.env import environment
from trainsmart_bench.records import RecordStore, RunRecord, Status, metric, run_key

DEFAULT_TIMEOUT = 3600.0


@dataclass(frozen=True)
class Cell:
    task: str
    backend: str
    device: str
    seed: int
    profile: str | None = None

    @property
    def key(self) -> str:
        return run_key(self.task, self.backend, self.device, self.seed, self.profile)


def default_threads() -> int:
    import psutil

    return psutil.cpu_count(logical=False) or os.cpu_count() or 1


def run_cell(
    cell: Cell,
    *,
    data_dir: str | None = None,
    threads: int | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    params: dict[str, Any] | None = None,
    env: dict[str, Any] | None = None,
) -> RunRecord:
    """Run one cell in a subprocess and return its record (never raises for a failed run)."""
    spec = {"task": cell.task, "backend": cell.backend, "device": cell.device, "seed": cell.seed,
            "profile": cell.profile, "params": params or {}, "data_dir": data_dir,
            "threads": threads or default_threads()}
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    busy = _cpu_busy()  # other work on the machine skews every clock: record it
    with tempfile.TemporaryDirectory(prefix="trainsmart-run-") as tmp:
        spec_path, out_path = Path(tmp, "spec.json"), Path(tmp, "result.json")
        spec_path.write_text(json.dumps(spec))
        result, wall = _spawn(spec_path, out_path, timeout)
    env = {**(env if env is not None else environment()), "cpu_busy_before": busy}
    return _record(cell, result, env, started, wall)


def _cpu_busy(seconds: float = 0.5) -> float:
    """Share of all cores busy during the ``seconds`` before a run (this process is idle then).

    Not the load average: that still counts the previous run of this matrix for a minute.
    """
    import psutil

    return round(psutil.cpu_percent(interval=seconds) / 100, 3)


def _spawn(spec_path: Path, out_path: Path, timeout: float) -> tuple[dict[str, Any], float]:
    cmd = [sys.executable, "-m", "trainsmart_bench.worker", str(spec_path), str(out_path)]
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        _, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill(proc)
        return {"status": "timeout", "error": f"run exceeded its {timeout:.0f} s timeout"}, timeout
    except KeyboardInterrupt:
        _kill(proc)
        raise
    wall = time.perf_counter() - t
    if out_path.is_file():
        return json.loads(out_path.read_text()), wall
    rc = proc.returncode
    why = f"killed by signal {-rc}" if rc < 0 else f"exited with status {rc}"
    if rc == -signal.SIGKILL:
        why += " (likely out of memory)"
    tail = "\n".join((stderr or "").strip().splitlines()[-15:])
    return {"status": "failed", "error": f"worker {why}\n{tail}".strip()}, wall


def _kill(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _record(cell: Cell, r: dict[str, Any], env: dict[str, Any], started: str,
            wall: float) -> RunRecord:
    env = {**env, "dataset": r.get("dataset"), "framework_version": r.get("framework_version")}
    error = r.get("error")
    if r.get("traceback"):
        error = f"{error}\n{r['traceback']}"
    return RunRecord(
        task=cell.task, backend=cell.backend, device=cell.device, seed=cell.seed,
        profile=cell.profile, status=Status(r["status"]), params=r.get("params", {}),
        metrics={k: metric(k, v) for k, v in r.get("metrics", {}).items()},
        curve=r.get("curve", []), timings={**r.get("timings", {}), "process_wall_s": wall},
        target=r.get("target"), reached_target=r.get("reached_target"), error=error,
        env=env, started=started,
    )


def run_matrix(
    cells: Iterable[Cell],
    store: RecordStore,
    *,
    resume: bool = True,
    on_record: Callable[[RunRecord, bool], None] | None = None,
    ray_address: str | None = None,
    **kwargs: Any,
) -> list[RunRecord]:
    """Run every cell not already recorded; each record is written the moment its run ends.

    With ``ray_address`` the cells run as Ray tasks on that cluster (see ``ray_cells``).
    """
    cells = list(cells)
    done: dict[str, RunRecord] = {}
    todo: list[Cell] = []
    for cell in cells:
        if resume and store.has(cell.key):
            existing = RunRecord.from_dict(json.loads(store.path(cell.key).read_text()))
            if existing.status in (Status.OK, Status.SKIPPED):
                done[cell.key] = existing
                if on_record:
                    on_record(existing, True)
                continue
        todo.append(cell)
    if ray_address:
        from trainsmart_bench.ray_cells import run_on_ray

        fresh = run_on_ray(todo, store, ray_address, on_record, **kwargs)
    else:
        env = environment()
        fresh = []
        for cell in todo:
            record = run_cell(cell, env=env, **kwargs)
            store.write(record)
            fresh.append(record)
            if on_record:
                on_record(record, False)
    done.update((r.key, r) for r in fresh)
    return [done[c.key] for c in cells if c.key in done]  # in the order of ``cells``
