"""Per-metric regression thresholds on synthetic asv result files."""

from __future__ import annotations

import math
import re

import pytest

from tests.bench.bench_asv_files import write_results
from trainsmart_bench.bench import asvresults
from trainsmart_bench.bench.compare import (
    Thresholds,
    compare_commits,
    compare_values,
    format_table,
    judge,
    rule_for,
)
from trainsmart_bench.cli import main as cli_main

OLD, NEW = "a" * 40, "b" * 40
ACC = "bench_training.Accuracy.track_accuracy"
RMSE = "bench_training.RMSE.track_rmse"
TPUT = "bench_training.TrainThroughput.track_train_throughput"
START = "bench_training.StartupTime.track_startup_time"
IMPORT = "bench_import.Import.timeraw_import_trainsmart_bench"
NAN = math.nan


def _pair(tmp_path, before: dict, after: dict):
    write_results(tmp_path, OLD, before, date=1)
    write_results(tmp_path, NEW, after, date=2)
    return tmp_path


def _verdicts(results, name: str) -> list[str]:
    (comparison,) = compare_commits(str(results), OLD, NEW)
    return [r.verdict for r in comparison.rows if r.benchmark == name]


@pytest.mark.parametrize("after,verdict", [
    (0.950, "REGRESSION"),  # 1 point down
    (0.957, "same"),        # 0.3 points down
    (0.955, "same"),        # exactly 0.5 points: not more than the threshold
    (0.970, "better"),
])
def test_accuracy_threshold_is_absolute_points(tmp_path, after, verdict):
    results = _pair(tmp_path, {ACC: [0.96, 0.96]}, {ACC: [after, 0.96]})
    assert _verdicts(results, ACC) == [verdict, "same"]
    assert main([str(results), OLD, NEW]) == (1 if verdict == "REGRESSION" else 0)


@pytest.mark.parametrize("after,verdict", [(0.890, "REGRESSION"), (0.882, "same")])
def test_rmse_threshold_is_an_absolute_rise(tmp_path, after, verdict):
    results = _pair(tmp_path, {RMSE: [0.88, NAN]}, {RMSE: [after, NAN]})
    assert _verdicts(results, RMSE) == [verdict, "n/a"]


@pytest.mark.parametrize("after,verdict", [(850.0, "REGRESSION"), (950.0, "same"),
                                           (1200.0, "better")])
def test_throughput_threshold_is_relative(tmp_path, after, verdict):
    results = _pair(tmp_path, {TPUT: [1000.0, 5000.0]}, {TPUT: [after, 5000.0]})
    assert _verdicts(results, TPUT) == [verdict, "same"]
    assert main([str(results), OLD, NEW]) == (1 if verdict == "REGRESSION" else 0)


def test_times_are_reported_but_do_not_gate(tmp_path, capsys):
    results = _pair(tmp_path, {START: [2.0, 1.0], IMPORT: [0.1]},
                    {START: [3.0, 1.0], IMPORT: [0.2]})
    assert _verdicts(results, START) == ["worse", "same"]
    assert _verdicts(results, IMPORT) == ["worse"]
    assert main([str(results), OLD, NEW]) == 0
    out = capsys.readouterr().out
    assert "+50.0%" in out and "(+10%)" in out and "no regressions" in out


def test_a_metric_that_now_fails_is_a_regression(tmp_path, capsys):
    results = _pair(tmp_path, {ACC: [0.96, 0.97]}, {ACC: [None, 0.97]})
    assert _verdicts(results, ACC) == ["FAILED", "same"]
    assert main([str(results), OLD, NEW]) == 1
    assert "1 regression(s)" in capsys.readouterr().out


def test_skipped_and_new_cells_are_not_judged(tmp_path):
    results = _pair(tmp_path, {ACC: [NAN, 0.9]}, {ACC: [0.5, NAN]})
    assert _verdicts(results, ACC) == ["n/a", "n/a"]


def test_table_lists_params_values_and_thresholds(tmp_path):
    results = _pair(tmp_path, {ACC: [0.96, 0.96], TPUT: [1000.0, 1.0]},
                    {ACC: [0.95, 0.96], TPUT: [850.0, 1.0]})
    (comparison,) = compare_commits(str(results), OLD, NEW)
    table = format_table(comparison)
    assert re.search(r"^Accuracy\.track_accuracy +digits-mlp, torch, cpu +0\.96 +0\.95 ", table,
                     re.M)
    assert "-1.00 pts" in table and "-0.5 pts" in table and "REGRESSION" in table
    assert "-15.0%" in table and "-10%" in table
    assert table.endswith("2 regression(s)")


def test_custom_thresholds(tmp_path):
    results = _pair(tmp_path, {ACC: [0.96, 0.96]}, {ACC: [0.95, 0.96]})
    (comparison,) = compare_commits(str(results), OLD, NEW, th=Thresholds(quality_points=2))
    assert not comparison.regressions
    assert main([str(results), OLD, NEW, "--quality-points", "2"]) == 0


def test_previous_finds_the_last_earlier_commit(tmp_path, capsys):
    write_results(tmp_path, "c" * 40, {ACC: [0.5, 0.5]}, date=0)
    results = _pair(tmp_path, {ACC: [0.96, 0.96]}, {ACC: [0.95, 0.96]})
    write_results(tmp_path, "d" * 40, {ACC: [0.1, 0.1]}, date=9, machine="other")
    assert asvresults.previous_commit(results, NEW, "box") == OLD
    assert main([str(results), "previous", NEW, "--machine", "box"]) == 1
    assert "aaaaaaaa -> bbbbbbbb" in capsys.readouterr().out
    assert main([str(results), "previous", "c" * 8]) == 0  # nothing older: nothing to compare


def test_missing_commit_is_exit_2(tmp_path, capsys):
    results = _pair(tmp_path, {ACC: [0.96, 0.96]}, {ACC: [0.95, 0.96]})
    assert main([str(results), OLD, "e" * 40]) == 2
    assert "no asv results for commit" in capsys.readouterr().err


def test_environments_pair_by_name_or_alone(tmp_path):
    write_results(tmp_path, OLD, {ACC: [0.9, 0.9]}, env="existing-py_a")
    write_results(tmp_path, NEW, {ACC: [0.9, 0.9]}, env="existing-py_b")
    (comparison,) = compare_commits(str(tmp_path), OLD, NEW)
    assert (comparison.before.env, comparison.after.env) == ("existing-py_a", "existing-py_b")


def test_rules_per_metric():
    assert rule_for(ACC).kind == "quality" and rule_for(ACC).gate
    assert rule_for(TPUT).relative and rule_for(TPUT).gate
    assert not rule_for(START).gate and not rule_for(IMPORT).gate
    assert judge(1.0, 2.0, rule_for("bench_training.X.track_epochs_trained")) == "-"
    assert judge(1.0, 2.0, rule_for("bench_tuning.TunerTime.track_tuner_time", unit="seconds")
                 ) == "worse"
    assert judge(1.0, 2.0, rule_for("bench_tuning.BestValue.track_best_val")) == "-"


def test_served_models_gate_on_p90_latency_and_offline_throughput():
    p90 = rule_for("bench_serving.P90Latency.track_p90_latency", unit="seconds")
    offline = rule_for("bench_serving.OfflineThroughput.track_offline_throughput")
    assert p90.gate and p90.direction == "min" and offline.gate and offline.direction == "max"
    assert judge(1.0e-3, 1.2e-3, p90) == "REGRESSION" and judge(1.0e-3, 1.05e-3, p90) != (
        "REGRESSION")
    assert judge(1000.0, 850.0, offline) == "REGRESSION" and judge(1000.0, 1200.0, offline) == (
        "better")


def main(argv: list[str]) -> int:
    """``trainsmart bench-compare ARGV``."""
    return cli_main(["bench-compare", *argv])


def test_the_mode_axis_compares_each_mode_with_itself_and_old_results_as_eager():
    """A mode param is one more asv parameter: each mode is compared with the same mode, and
    results from before the axis existed are the eager cells."""
    cell = ("'mnist-mlp'", "'torch'", "'cpu'")
    old = {(TPUT, cell): 1000.0}
    new = {(TPUT, (*cell, "'eager'")): 800.0, (TPUT, (*cell, "'compiled'")): 2000.0}
    verdicts = {r.params[-1]: r.verdict for r in compare_values(old, new)}
    assert verdicts == {"'eager'": "REGRESSION", "'compiled'": "n/a"}
    newer = {(TPUT, (*cell, "'eager'")): 820.0, (TPUT, (*cell, "'compiled'")): 1500.0}
    verdicts = {r.params[-1]: r.verdict for r in compare_values(new, newer)}
    assert verdicts == {"'eager'": "same", "'compiled'": "REGRESSION"}
    assert {(r.benchmark, r.params) for r in compare_values(new, old)} == set(new)  # reversed
