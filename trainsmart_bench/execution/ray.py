"""The one Ray adapter: units of training as Ray tasks on an existing cluster.

Each Ray task runs ``execution.process.run_unit`` on whichever node Ray picks: the same child
process, timeout and result as on this machine, plus the node it ran on. Ray places tasks by
their resource request: ``num_cpus`` = the unit's threads and one GPU for a cuda unit, so a
node never runs more training threads than it has cores. On the node, a unit then takes that
many cores from its host's core allocator (one small actor per host) and pins its child to
them, so two units never share a core; the record lists the cores it had. Epoch reports
travel to the driver through one ``ray.util.queue.Queue``; where the driver answers them (a
pruning tuner), each unit gets a second queue for the answers. Nodes need trainsmart-bench
(and the backend) installed. ``trainsmart run --ray-address`` and ``trainsmart tune
--ray-address`` both use it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from trainsmart_bench.env import default_threads
from trainsmart_bench.registry import require
from trainsmart_bench.results.unit import EpochFn, EpochReport, UnitSpec

KeyedEpochFn = Callable[[Any, EpochReport], bool]  # (unit key, report) -> keep going?
ResultFn = Callable[[Any, dict[str, Any]], None]


class CoreAllocator:
    """The cores of one host, handed out to the units running there (a Ray actor)."""

    def __init__(self) -> None:
        import os

        self.free = sorted(os.sched_getaffinity(0))
        self.held: dict[str, list[int]] = {}

    def acquire(self, owner: str, n: int) -> list[int] | None:
        if len(self.free) < n:
            return None
        self.held[owner], self.free = self.free[:n], self.free[n:]
        return self.held[owner]

    def release(self, owner: str) -> None:
        self.free = sorted(self.free + self.held.pop(owner, []))


def _cores(n: int, owner: str) -> tuple[Any, list[int]]:
    """This host's allocator and ``n`` cores from it (waits while others hold them)."""
    import socket

    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    node = ray.get_runtime_context().get_node_id()
    allocator = ray.remote(CoreAllocator).options(
        name=f"trainsmart-cores-{socket.gethostname()}", namespace="trainsmart",
        get_if_exists=True, lifetime="detached", num_cpus=0,
        scheduling_strategy=NodeAffinitySchedulingStrategy(node, soft=False)).remote()
    while (cores := ray.get(allocator.acquire.remote(owner, n))) is None:
        time.sleep(0.05)
    return allocator, cores


def _remote_unit(spec: dict[str, Any], timeout: float, key: Any, up: Any,
                 down: Any) -> dict[str, Any]:
    """A unit on a Ray node: its spec travels as JSON (``UnitSpec.from_json`` says so when
    the node runs another version of the suite), its epoch reports back the same way."""
    import uuid

    import ray

    from trainsmart_bench.execution.process import run_unit
    from trainsmart_bench.results.unit import UnitSpec

    unit = UnitSpec.from_json(spec)

    def relay(report: EpochReport) -> bool:
        up.put((key, report.to_json()))
        wait = None if math.isinf(timeout) else timeout  # inf: a unit without a timeout
        return True if down is None else bool(down.get(timeout=wait))

    owner = uuid.uuid4().hex
    allocator, cores = _cores(unit.threads, owner)
    try:
        result = run_unit(unit.replace(cpus=tuple(cores)), timeout, relay)
    finally:
        ray.get(allocator.release.remote(owner))
    result["node"]["ray_node_id"] = ray.get_runtime_context().get_node_id()
    return result


class RayCluster:
    """A connection to an existing cluster that runs units as resource-sized Ray tasks."""

    where = "ray"

    def __init__(self, address: str) -> None:
        ray = require("ray", "ray", "--ray-address")
        from ray.util.queue import Queue

        self._ray, self._queue = ray, Queue
        self._owns = not ray.is_initialized()
        if self._owns:
            ray.init(address=address, log_to_driver=False, logging_level="WARNING")
        self._up = Queue(actor_options={"num_cpus": 0})  # the channel takes no CPU slot
        self._pending: dict[Any, tuple[Any, Any, float]] = {}  # ref -> (key, answers, start)
        self._downs: dict[Any, Any] = {}  # key -> its answer queue (None: answered on node)
        self._errors: dict[Any, str] = {}
        self._checked: set[tuple] = set()

    def resources(self, spec: UnitSpec) -> dict[str, float]:
        """What a unit asks Ray for: exactly the cores and GPU its child will use."""
        return {"num_cpus": float(spec.threads or default_threads()),
                "num_gpus": 1.0 if spec.device == "cuda" else 0.0}

    def check_fits(self, spec: UnitSpec) -> None:
        """A unit no node can hold would wait forever: say so before submitting it."""
        from trainsmart_bench.errors import ConfigError

        need = self.resources(spec)
        nodes = [n.get("Resources", {}) for n in self._ray.nodes() if n.get("Alive")]
        if not any(n.get("CPU", 0) >= need["num_cpus"] and n.get("GPU", 0) >= need["num_gpus"]
                   for n in nodes):
            most = max((n.get("CPU", 0) for n in nodes), default=0)
            raise ConfigError(
                f"no node of the Ray cluster has {need['num_cpus']:g} CPUs"
                f"{' and a GPU' if need['num_gpus'] else ''} for one run (the largest has "
                f"{most:g} CPUs); pass --threads {int(most) or 1} or add a larger node")

    def run_many(self, units: Sequence[tuple[Any, UnitSpec]], timeout: float,
                 on_epoch: KeyedEpochFn, on_result: ResultFn, answers: bool = False) -> None:
        """Submit every unit, relay epoch reports, hand each result over as it arrives.

        With ``answers`` the driver's ``on_epoch`` decides whether a unit goes on (one answer
        queue per unit); without, every report is answered ``go`` on the node."""
        try:
            for key, spec in units:
                self.submit(key, spec, timeout, answers)
            while self.wait(on_epoch, on_result):
                pass
        finally:
            self.cancel()

    def submit(self, key: Any, spec: UnitSpec, timeout: float,
               answers: bool = False) -> None:
        """Start one unit (``wait`` hands over its reports and its result)."""
        need = tuple(sorted(self.resources(spec).items()))
        if need not in self._checked:  # once per size of unit
            self.check_fits(spec)
            self._checked.add(need)
        down = self._queue(actor_options={"num_cpus": 0}) if answers else None
        task = self._ray.remote(**self.resources(spec), max_retries=0,
                                scheduling_strategy="SPREAD")(_remote_unit)
        ref = task.remote(spec.to_json(), timeout, key, self._up, down)
        self._pending[ref] = (key, down, time.perf_counter())
        self._downs[key] = down

    def wait(self, on_epoch: KeyedEpochFn, on_result: ResultFn, timeout: float = 0.05) -> int:
        """Relay the epoch reports so far and hand over the units that ended (waiting up to
        ``timeout`` seconds for one); returns how many units are still running."""
        self._relay(on_epoch, self._downs, self._errors)
        done, _ = self._ray.wait(list(self._pending), num_returns=1, timeout=timeout)
        for ref in done:
            key, down, t0 = self._pending.pop(ref)
            self._relay(on_epoch, self._downs, self._errors)
            result = self._result(ref, t0)
            if key in self._errors:  # a listener that raised: that unit fails with its error
                result.update(status="failed", error=self._errors.pop(key))
            self._downs.pop(key, None)
            on_result(key, result)
            if down is not None:
                down.shutdown(force=True)
        return len(self._pending)

    def cancel(self) -> None:
        """Stop every unit still running."""
        for ref, (_, down, _) in self._pending.items():
            self._ray.cancel(ref, force=True)
            if down is not None:
                down.shutdown(force=True)
        self._pending.clear()
        self._downs.clear()

    def run(self, spec: UnitSpec, timeout: float, on_epoch: EpochFn) -> dict[str, Any]:
        """One unit, its epoch reports answered by ``on_epoch`` (a tuning trial)."""
        out: dict[str, Any] = {}
        self.run_many([(0, spec)], timeout, lambda _, r: on_epoch(r),
                      lambda _, result: out.update(result), answers=True)
        return out

    def _relay(self, on_epoch: KeyedEpochFn, downs: Mapping[Any, Any],
               errors: dict[Any, str]) -> None:
        from ray.util.queue import Empty

        while True:
            try:
                key, report = self._up.get(block=False)
            except Empty:
                return
            try:
                keep = bool(on_epoch(key, EpochReport.from_json(report)))
            except Exception as exc:  # noqa: BLE001 - a failing listener stops that unit
                errors[key] = f"the epoch listener raised {type(exc).__name__}: {exc}"
                keep = False
            if downs.get(key) is not None:
                downs[key].put(keep)

    def _result(self, ref: Any, t0: float) -> dict[str, Any]:
        try:
            return self._ray.get(ref)
        except Exception as exc:  # noqa: BLE001 - a lost node or worker is a failed unit
            return {"status": "failed", "error": f"Ray task failed: {type(exc).__name__}: {exc}",
                    "reported": [], "wall_s": time.perf_counter() - t0, "node": {}}

    def close(self) -> None:
        self._up.shutdown(force=True)
        if self._owns:
            self._ray.shutdown()

    def __enter__(self) -> RayCluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
