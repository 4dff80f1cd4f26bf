"""Runs a matrix of (task, backend, device, seed) cells, each as one unit in its own process.

A crash, an out-of-memory kill or a timeout of one run becomes a failed record and the others
go on; Ctrl-C stops after killing the current run and keeps every record already written.
Locally the cells run one after another through ``execution.process``; with a Ray address
they run as Ray tasks through ``execution.ray``: the same unit, the same record.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from trainsmart_bench.env import default_threads, environment
from trainsmart_bench.execution.process import DEFAULT_TIMEOUT, run_unit
from trainsmart_bench.results.records import RunRecord, Status, metric, run_key
from trainsmart_bench.results.store import RecordStore

EpochListener = Callable[["Cell", Mapping[str, Any]], None]
RecordListener = Callable[[RunRecord, bool], None]  # (record, reused from an earlier run?)


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


def unit_spec(cell: Cell, params: Mapping[str, Any] | None, data_dir: str | None,
              threads: int | None) -> dict[str, Any]:
    """What the child process trains for this cell."""
    return {"task": cell.task, "backend": cell.backend, "device": cell.device,
            "seed": cell.seed, "profile": cell.profile, "params": dict(params or {}),
            "data_dir": data_dir, "threads": int(threads or default_threads())}


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def cpu_busy(seconds: float = 0.5) -> float:
    """Share of all cores busy during the ``seconds`` before a run (this process is idle then).

    Not the load average: that still counts the previous run of this matrix for a minute.
    """
    import psutil

    return round(psutil.cpu_percent(interval=seconds) / 100, 3)


def run_cell(cell: Cell, *, data_dir: str | None = None, threads: int | None = None,
             timeout: float = DEFAULT_TIMEOUT, params: dict[str, Any] | None = None,
             env: dict[str, Any] | None = None,
             on_epoch: EpochListener | None = None) -> RunRecord:
    """Run one cell in a child process and return its record (never raises for a failed run)."""
    started, busy = now(), cpu_busy()  # other work on the machine skews every clock
    spec = unit_spec(cell, params, data_dir, threads)
    listen = (lambda r: on_epoch(cell, r) or True) if on_epoch else None
    result = run_unit(spec, timeout, listen)
    env = {**(env if env is not None else environment()), "cpu_busy_before": busy}
    return to_record(cell, result, env, started)


def to_record(cell: Cell, r: dict[str, Any], env: dict[str, Any], started: str) -> RunRecord:
    """A unit's result as the cell's run record."""
    env = {**env, "dataset": r.get("dataset"), "framework_version": r.get("framework_version"),
           "threads": r.get("threads")}
    if r.get("node", {}).get("ray_node_id"):
        env["node"] = r["node"]
    error = r.get("error")
    if r.get("traceback"):
        error = f"{error}\n{r['traceback']}"
    return RunRecord(
        task=cell.task, backend=cell.backend, device=cell.device, seed=cell.seed,
        profile=cell.profile, status=Status(r["status"]), params=r.get("params", {}),
        metrics={k: metric(k, v) for k, v in r.get("metrics", {}).items()},
        curve=r.get("curve", []),
        timings={**r.get("timings", {}), "process_wall_s": r.get("wall_s")},
        target=r.get("target"), reached_target=r.get("reached_target"), error=error,
        env=env, started=started,
    )


def run_matrix(
    cells: Iterable[Cell],
    store: RecordStore,
    *,
    resume: bool = True,
    on_record: RecordListener | None = None,
    on_epoch: EpochListener | None = None,
    ray_address: str | None = None,
    data_dir: str | None = None,
    threads: int | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    params: dict[str, Any] | None = None,
) -> list[RunRecord]:
    """Run every cell not already recorded; each record is written the moment its run ends."""
    cells = list(cells)
    threads = int(threads or default_threads())  # resolved once, here, for every cell
    done: dict[str, RunRecord] = {}
    todo: list[Cell] = []
    for cell in cells:
        if resume and store.has(cell.key):
            existing = store.read(cell.key)
            if existing.status in (Status.OK, Status.SKIPPED):
                done[cell.key] = existing
                if on_record:
                    on_record(existing, True)
                continue
        todo.append(cell)

    def finish(record: RunRecord) -> None:
        store.write(record)
        done[record.key] = record
        if on_record:
            on_record(record, False)

    env = environment()
    if ray_address:
        _on_ray(todo, ray_address, env, finish, on_epoch, data_dir, threads, timeout, params)
    else:
        for cell in todo:
            finish(run_cell(cell, env=env, data_dir=data_dir, threads=threads, timeout=timeout,
                            params=params, on_epoch=on_epoch))
    return [done[c.key] for c in cells if c.key in done]  # in the order of ``cells``


def _on_ray(cells: list[Cell], address: str, env: dict[str, Any],
            finish: Callable[[RunRecord], None], on_epoch: EpochListener | None,
            data_dir: str | None, threads: int, timeout: float,
            params: dict[str, Any] | None) -> None:
    from trainsmart_bench.execution.ray import RayCluster

    by_key = {c.key: c for c in cells}
    started = now()

    def listen(key: str, report: Mapping[str, Any]) -> bool:
        if on_epoch:
            on_epoch(by_key[key], report)
        return True

    with RayCluster(address) as cluster:
        cluster.run_many([(c.key, unit_spec(c, params, data_dir, threads)) for c in cells],
                         timeout, listen,
                         lambda key, r: finish(to_record(by_key[key], r, env, started)))
