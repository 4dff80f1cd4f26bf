"""How the study loop evaluates a trial: the suite's one execution path, or in-process (tests).

Every evaluator is ``evaluator(spec, timeout, on_epoch) -> result`` on a ``results.unit.UnitSpec``,
where ``on_epoch`` gets each ``results.unit.EpochReport`` and answers whether the trial goes on (a
pruning tuner's decision):

* ``ProcessEvaluator``: ``execution.process.run_unit``, a fresh child process per trial, the
  same one a benchmark run uses (same thread settings, same timeout and kill);
* ``RayEvaluator``: the same unit as a Ray task on an existing cluster (``execution.ray``);
* ``InProcessEvaluator``: the objective called here, for unit tests of the loop and the
  overhead benchmark; no isolation and no timeout.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from trainsmart_bench.results.unit import EpochFn, EpochReport, UnitSpec
from trainsmart_bench.training.child import call_objective


class ProcessEvaluator:
    """Each trial in a fresh child process (``execution.process.run_unit``)."""

    where = "process"

    def __call__(self, spec: UnitSpec, timeout: float, on_epoch: EpochFn) -> dict[str, Any]:
        from trainsmart_bench.execution.process import run_unit

        return run_unit(spec, timeout, on_epoch)


class RayEvaluator:
    """Each trial as a Ray task on an existing cluster, asking for the trial's threads (and a
    GPU for cuda); the tuner's answers to its epoch reports travel back to the node."""

    where = "ray"

    def __init__(self, address: str) -> None:
        from trainsmart_bench.execution.ray import RayCluster

        self._cluster = RayCluster(address)

    def __call__(self, spec: UnitSpec, timeout: float, on_epoch: EpochFn) -> dict[str, Any]:
        return self._cluster.run(spec, timeout, on_epoch)

    @property
    def cluster(self) -> Any:
        """The connection, for a study with several trials in flight (``tuning.parallel``)."""
        return self._cluster

    def close(self) -> None:
        self._cluster.close()


class InProcessEvaluator:
    """Calls the objective in this process. ``objective(spec, on_epoch=...)`` defaults to the
    one the spec names."""

    where = "in-process"

    def __init__(self, objective: Callable[..., dict[str, Any]] | None = None) -> None:
        self.objective = objective

    def __call__(self, spec: UnitSpec, timeout: float, on_epoch: EpochFn) -> dict[str, Any]:
        reported: list[float] = []

        def relay(report: EpochReport) -> bool:
            reported.append(report.value)
            return bool(on_epoch(report))

        t0 = time.perf_counter()
        result = call_objective(spec, relay, self.objective)
        result["reported"], result["wall_s"] = reported, time.perf_counter() - t0
        return result


__all__ = ["InProcessEvaluator", "ProcessEvaluator", "RayEvaluator"]


class CrossValidated:
    """A trial evaluated under an evaluation protocol: one unit per fold (through the inner
    evaluator), its objective the mean over folds of each fold's best validation value, its
    test value the mean of the folds' held-out scores. Folds run one after another; a pruner
    sees the mean curve when the trial ends, not epoch by epoch (a fold cannot be pruned on
    the others' behalf)."""

    def __init__(self, inner: Any, folds: list[str]) -> None:
        self.inner, self.folds = inner, list(folds)
        self.where = f"{getattr(inner, 'where', type(inner).__name__)}, {len(self.folds)} folds"

    def __call__(self, spec: UnitSpec, timeout: float, on_epoch: EpochFn) -> dict[str, Any]:
        results = [self.inner(spec.replace(fold=f), timeout, lambda r: True) for f in self.folds]
        bad = next((r for r in results if r.get("status") != "ok"), None)
        if bad is not None:
            return {**bad, "error": f"a fold {bad.get('status')}: {bad.get('error')}"}
        curves = [r.get("reported", []) for r in results]
        depth = min(len(c) for c in curves)
        metrics: dict[str, Any] = {}
        for name in results[0].get("metrics", {}):
            values = [r["metrics"].get(name) for r in results]
            if all(isinstance(v, (int, float)) for v in values):
                metrics[name] = sum(values) / len(values)
        return {
            **results[0], "metrics": metrics,
            "reported": [sum(c[i] for c in curves) / len(curves) for i in range(depth)],
            "wall_s": sum(float(r.get("wall_s", 0.0)) for r in results),
            "timings": {**results[0].get("timings", {}), "folds": [
                {"fold": f, "best_val": r["metrics"].get("best_val"),
                 "epochs": r["metrics"].get("epochs_trained")}
                for f, r in zip(self.folds, results)]},
        }

    def close(self) -> None:
        if hasattr(self.inner, "close"):
            self.inner.close()
