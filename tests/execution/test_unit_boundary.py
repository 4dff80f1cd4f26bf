"""The typed process boundary: UnitSpec, EpochReport and StopReason, on both sides of it."""

from __future__ import annotations

import json

import pytest

from trainsmart_bench.errors import ConfigError
from trainsmart_bench.execution.matrix import Cell, Settings, unit_spec
from trainsmart_bench.execution.process import run_unit
from trainsmart_bench.results.unit import EpochReport, StopReason, UnitSpec
from trainsmart_bench.tasks import resolve_task
from trainsmart_bench.tuning.study import StudyConfig, StudyRun


def test_unit_spec_json_round_trip_is_exact():
    spec = UnitSpec.build("digits-mlp", "torch", device="cpu", seed=3, mode="compiled",
                          fold="kfold:5/2", params={"lr": 0.01}, threads=2, cpus=(0, 1),
                          epoch_test=True, target=0.9)
    wire = json.loads(json.dumps(spec.to_json()))
    assert UnitSpec.from_json(wire) == spec
    assert wire["cpus"] == [0, 1] and wire["params"] == {"lr": 0.01}


def test_a_unit_spec_from_another_version_is_refused_with_the_reason():
    wire = {**UnitSpec("digits-mlp", "torch").to_json(), "colour": "red"}
    with pytest.raises(ConfigError, match=r"unknown fields \['colour'\].*different versions"):
        UnitSpec.from_json(wire)
    with pytest.raises(ConfigError, match="without"):
        UnitSpec.from_json({"task": "digits-mlp"})


def test_the_task_declares_its_objective_not_a_name_check():
    assert resolve_task("synthetic").objective.endswith(":synthetic_objective")
    assert UnitSpec.build("synthetic", "none").objective == resolve_task("synthetic").objective
    assert UnitSpec.build("digits-mlp", "torch").objective is None  # the training loop


def test_a_run_and_a_trial_of_one_task_carry_the_same_fields(tmp_path):
    """The trial's spec used to be a second hand-built dict, without ``mode`` and ``cpus``."""
    run = unit_spec(Cell("synthetic", "none", "cpu", 0), Settings(threads=1))
    study = StudyRun(StudyConfig("synthetic", "none", "random", budget_trials=1, threads=1),
                     tmp_path, None, False, {}, None)
    trial = study._spec({"x": 0.5})
    same = {"task", "backend", "device", "seed", "profile", "mode", "fold", "threads", "cpus",
            "plugin", "objective", "epoch_test", "target", "data_dir"}
    assert {k: getattr(trial, k) for k in same} == {k: getattr(run, k) for k in same}
    assert trial.params == {"x": 0.5}


def test_stop_reasons_are_one_closed_set_that_reads_old_records():
    assert StopReason.of("pruned") is StopReason.PRUNED and StopReason.PRUNED == "pruned"
    assert json.dumps({"stopped_by": StopReason.BUDGET}) == '{"stopped_by": "budget"}'
    assert StopReason.of(None) is None
    with pytest.raises(ConfigError, match="unknown stop reason 'tired'"):
        StopReason.of("tired")


def test_epoch_reports_cross_the_pipe_typed():
    seen: list[EpochReport] = []

    def listen(report: EpochReport) -> bool:
        seen.append(report)
        return report.epoch < 2  # stop after the second epoch

    spec = UnitSpec.build("synthetic", "none", params={"epochs": 5, "x": 1.0}, threads=1)
    result = run_unit(spec, timeout=60, on_epoch=listen)
    assert result["status"] == "ok", result.get("error")
    assert [r.epoch for r in seen] == [1, 2] and all(isinstance(r.value, float) for r in seen)
    assert seen[0].epochs == 5 and seen[0].elapsed_s is not None
    assert result["timings"]["stopped_by"] == StopReason.PRUNED
    assert EpochReport.from_json(seen[1].to_json()) == seen[1]


def test_a_child_handed_a_bad_spec_fails_with_the_reason_not_a_traceback_only():
    from trainsmart_bench.training.child import call_objective

    result = call_objective({"task": "synthetic", "backend": "none", "colour": 1},
                            lambda r: True)
    assert result["status"] == "failed" and "unknown fields ['colour']" in result["error"]
