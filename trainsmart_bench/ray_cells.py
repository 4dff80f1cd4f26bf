"""Benchmark cells as Ray tasks on an existing cluster (``trainsmart run --ray-address``).

Each task runs ``runner.run_cell`` on whichever node Ray picks: the same process-per-run code,
the same record, plus the node it ran on. Ray places tasks by their resource request (CPUs =
the run's threads, one GPU for cuda cells); there is no scheduler of ours.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from trainsmart_bench.records import RecordStore, RunRecord
from trainsmart_bench.runner import Cell
from trainsmart_bench.tuners.base import require


def _remote_cell(cell: Cell, kwargs: dict[str, Any]) -> RunRecord:
    import socket

    import ray

    from trainsmart_bench.runner import run_cell

    record = run_cell(cell, **kwargs)
    node_id = ray.get_runtime_context().get_node_id()
    node = {"hostname": socket.gethostname(), "ray_node_id": node_id}
    return RunRecord.from_dict({**record.to_dict(), "env": {**record.env, "node": node}})


def run_on_ray(
    cells: Iterable[Cell],
    store: RecordStore,
    address: str,
    on_record: Callable[[RunRecord, bool], None] | None = None,
    **kwargs: Any,
) -> list[RunRecord]:
    """Submit every cell, then write each record the moment its task returns."""
    ray = require("ray", "ray", "--ray-address")
    owns = not ray.is_initialized()
    if owns:
        ray.init(address=address, log_to_driver=False, logging_level="WARNING")
    threads = kwargs.get("threads") or 1
    pending: dict[Any, Cell] = {}
    for cell in cells:
        task = ray.remote(num_cpus=threads, num_gpus=1 if cell.device == "cuda" else 0,
                          max_retries=0, scheduling_strategy="SPREAD")(_remote_cell)
        pending[task.remote(cell, kwargs)] = cell
    records = []
    try:
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            cell = pending.pop(done[0])
            record = ray.get(done[0])
            store.write(record)
            records.append(record)
            if on_record:
                on_record(record, False)
    finally:
        for ref in pending:
            ray.cancel(ref, force=True)
        if owns:
            ray.shutdown()
    return records
