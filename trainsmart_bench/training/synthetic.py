"""The synthetic task's objective, run where a training run would be (see tasks/synthetic)."""

from __future__ import annotations

import os
import time
from typing import Any

from trainsmart_bench.results.unit import EpochFn, EpochReport, StopReason, UnitSpec
from trainsmart_bench.tasks.synthetic import SYNTHETIC, final_value

OBJECTIVE = SYNTHETIC.objective  # the task declares it; this module is where it runs


def synthetic_objective(spec: UnitSpec, on_epoch: EpochFn | None = None) -> dict[str, Any]:
    """The synthetic task's "training": the same result layout as ``child.run_spec``."""
    task = SYNTHETIC.resolve(None, **spec.params)
    p = dict(task.params)
    final, x = final_value(p), p["x"]
    curve, stopped_by = [], StopReason.EPOCHS
    t0 = time.perf_counter()
    for epoch in range(1, int(p["epochs"]) + 1):
        if p["fail_above"] is not None and x > p["fail_above"]:
            raise RuntimeError(f"synthetic failure at x={x:.3f} > {p['fail_above']}")
        if p["exit_above"] is not None and x > p["exit_above"]:
            os._exit(3)
        if p["hang_above"] is not None and x > p["hang_above"]:
            time.sleep(3600)
        time.sleep(float(p["epoch_sleep"]))
        value = final + 1.0 / epoch
        curve.append({"epoch": epoch, "val_objective": value})
        if spec.epoch_test:  # as training.loop does for tuning-table builds
            curve[-1].update(test_objective=value + 0.05, test_s=0.0)
        report = EpochReport(epoch, value, loss=value, epochs=int(p["epochs"]),
                             elapsed_s=time.perf_counter() - t0)
        if on_epoch is not None and not on_epoch(report):
            stopped_by = StopReason.PRUNED
            break
    best = min(c["val_objective"] for c in curve)
    return {
        "status": "ok", "params": p, "target": task.target,
        "metrics": {"best_val": best, "objective": final + 0.05, "epochs_trained": len(curve)},
        "curve": curve, "timings": {"stopped_by": stopped_by}, "framework_version": None,
    }
