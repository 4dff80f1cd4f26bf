"""The library side of the asv suite: profiles, skip reasons, one run per cell, datasets."""

from __future__ import annotations

import json
import os

import pytest

from trainsmart_bench import bench
from trainsmart_bench.bench import data, suite
from trainsmart_bench.bench.memo import RunMemo
from trainsmart_bench.bench.profiles import BACKENDS, PROFILES, current_profile, get_profile
from trainsmart_bench.errors import ConfigError
from trainsmart_bench.registry import names
from trainsmart_bench.results.records import METRICS, RunRecord, Status, metric
from trainsmart_bench.tasks import get_task
from trainsmart_bench.training.protocols import folds
from trainsmart_bench.tuning.study import resolve_task


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_every_profile_resolves(name):
    profile = get_profile(name)
    assert set(profile.backends) <= set(names("backend"))
    assert set(profile.devices) <= {"cpu", "cuda"}
    for param in profile.tasks:
        task, protocol = suite.split_task(param)
        cell = profile.cell(task, profile.backends[0], profile.devices[0])
        get_task(task).resolve(cell.profile, **profile.params(task))  # raises if invalid
        folds(protocol, get_task(task))  # raises for a protocol the task cannot take
    assert profile.bench.startswith("^bench_")
    assert set(profile.tuners) <= set(names("tuner")) and profile.tuning_backend in BACKENDS
    for task in profile.tuning_tasks:
        resolve_task(task).resolve(profile.task_profiles.get(task), **profile.params(task))


def test_profile_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv(bench.ENV_PROFILE, raising=False)
    assert current_profile().name == "quick"
    monkeypatch.setenv(bench.ENV_PROFILE, "smoke")
    assert bench.params() == [["digits-mlp"], ["torch", "sklearn"], ["cpu"], ["eager"]]
    monkeypatch.setenv(bench.ENV_PROFILE, "huge")
    with pytest.raises(ConfigError, match="unknown benchmark profile 'huge'"):
        current_profile()


def test_quick_is_the_issue_matrix():
    quick = get_profile("quick")
    assert quick.tasks == ("digits-mlp", "mnist-mlp")
    assert quick.backends == ("torch", "keras", "sklearn") and quick.devices == ("cpu",)
    assert get_profile("full").devices == ("cuda",)


def test_quick_runs_schedules_whose_targets_were_calibrated_on_them():
    """The quick profile shortens schedules through the tasks' own profiles, and each target
    is the one calibrated on that schedule (tasks/convergence.json): the quick report's time
    to target is not judged against a full schedule's target."""
    from trainsmart_bench.training.calibrate import load

    quick, points = get_profile("quick"), load()["tasks"]
    for task in quick.tasks:
        cell = quick.cell(task, "torch", "cpu")
        assert cell.profile and not quick.params(task), task
        label = f"{task}@{cell.profile}"
        resolved = get_task(task).resolve(cell.profile)
        assert points[label]["target"] == resolved.target, label
        assert points[label]["params"]["epochs"] == resolved.params["epochs"], label
        assert all(r["epoch_to_target"] for r in points[label]["runs"]), label


def test_standard_covers_every_cpu_mode_and_full_every_backend():
    standard, full = get_profile("standard"), get_profile("full")
    assert set(standard.modes) == {"eager", "compiled", "max-autotune", "eager-bf16",
                                   "compiled-bf16"}
    assert bench.PARAM_NAMES[-1] == "mode" and standard.asv_params()[-1] == list(standard.modes)
    assert {"keras-jax", "keras-torch"} <= set(full.backends)
    assert {"eager-fp16", "compiled-fp16"} <= set(full.modes)
    cell = standard.cell("mnist-mlp", "torch", "cpu", "compiled-bf16")
    assert cell.mode == "compiled-bf16" and cell.key.endswith("__compiled-bf16__seed0")
    assert "compile_time" in bench.TRACKED


def test_units_are_the_records_units_in_asv_spelling():
    assert bench.unit("accuracy") == "fraction" and bench.unit("rmse") == "rating"
    assert bench.unit("train_throughput") == "samples/s"
    assert bench.unit("time_to_target") == "seconds" and bench.unit("startup_time") == "seconds"
    assert bench.unit("peak_host_memory") == "bytes"
    assert set(bench.TRACKED) <= set(METRICS)


def _record(task="digits-mlp", backend="torch", status=Status.OK, error=None, **values):
    return RunRecord(task=task, backend=backend, device="cpu", seed=0, status=status,
                     metrics={k: metric(k, v) for k, v in values.items()}, target=0.95,
                     error=error)


class FakeRun:
    def __init__(self, record):
        self.record, self.calls = record, []

    def __call__(self, cell, **kwargs):
        self.calls.append((cell, kwargs))
        return self.record


def test_memo_trains_once_per_cell_across_processes(tmp_path):
    fake = FakeRun(_record(accuracy=0.9))
    cell = get_profile("smoke").cell("digits-mlp", "torch", "cpu")
    first = RunMemo(tmp_path / "memo", export=tmp_path / "records", run=fake)
    assert first.record(cell, {"epochs": 2}, timeout=5).value("accuracy") == 0.9
    again = RunMemo(tmp_path / "memo", run=fake)  # a new asv process: reads the file
    assert again.record(cell, {"epochs": 2}).value("accuracy") == 0.9
    assert len(fake.calls) == 1 and fake.calls[0][1] == {"params": {"epochs": 2}, "timeout": 5}
    again.record(cell, {"epochs": 3})  # other overrides: another run
    assert len(fake.calls) == 2
    exported = json.loads((tmp_path / "records" / f"{cell.key}.json").read_text())
    assert exported["metrics"]["accuracy"]["value"] == 0.9


@pytest.fixture
def smoke(monkeypatch, tmp_path):
    monkeypatch.setenv(bench.ENV_PROFILE, "smoke")
    monkeypatch.delenv(bench.ENV_RECORDS, raising=False)

    def use(record):
        fake = FakeRun(record)
        monkeypatch.setattr("trainsmart_bench.bench.memo.run_cell", fake)
        return fake

    monkeypatch.chdir(tmp_path)
    return use


def test_metric_value_reads_one_run_for_all_metrics(smoke):
    fake = smoke(_record(accuracy=0.9, train_throughput=1e4, peak_host_memory=3e8,
                         time_to_target=None))
    run_dir = bench.start_run()
    assert bench.metric_value(run_dir, "accuracy", "digits-mlp", "torch", "cpu") == 0.9
    assert bench.metric_value(run_dir, "train_throughput", "digits-mlp", "torch", "cpu") == 1e4
    with pytest.raises(NotImplementedError, match="never reached the target 0.95"):
        bench.metric_value(run_dir, "time_to_target", "digits-mlp", "torch", "cpu")
    assert len(fake.calls) == 1
    assert fake.calls[0][1]["params"] == {"epochs": 2}


@pytest.mark.parametrize("metric_name,device,reason", [
    ("rmse", "cpu", "digits-mlp is scored by accuracy, not rmse"),
    ("peak_device_memory", "cpu", "a cpu run has no device memory"),
])
def test_inapplicable_metrics_skip_before_training(smoke, metric_name, device, reason):
    fake = smoke(_record(accuracy=0.9))
    with pytest.raises(NotImplementedError, match=reason):
        bench.metric_value(bench.start_run(), metric_name, "digits-mlp", "torch", device)
    assert not fake.calls


def test_skipped_and_failed_runs(smoke):
    smoke(_record(status=Status.SKIPPED, error="device 'cuda' is not available to torch here"))
    with pytest.raises(NotImplementedError, match="not available"):
        bench.metric_value(bench.start_run(), "accuracy", "digits-mlp", "torch", "cpu")
    smoke(_record(backend="sklearn", status=Status.FAILED, error="boom"))
    with pytest.raises(bench.RunFailed, match="failed: boom"):
        bench.metric_value(bench.start_run(), "accuracy", "digits-mlp", "sklearn", "cpu")


def test_uncached_dataset_is_a_skip_with_the_fix(smoke):
    fake = smoke(_record(task="mnist-mlp", accuracy=0.9))
    with pytest.raises(NotImplementedError, match="trainsmart data fetch mnist"):
        bench.metric_value(bench.start_run(), "accuracy", "mnist-mlp", "torch", "cpu")
    assert not fake.calls


def test_prepare_offline_reports_missing_and_keeps_digits(tmp_path):
    statuses = data.prepare(get_profile("quick"), str(tmp_path), shared=tmp_path / "none",
                            download=False)
    by_name = {s.name: s for s in statuses}
    assert by_name["digits"].state == "embedded" and by_name["digits"].ok
    assert by_name["mnist"].state == "missing" and "n/a" in by_name["mnist"].detail
    assert suite.missing_data("digits-mlp") is None


def test_study_runs_once_per_cell_and_skips_missing_tuners(monkeypatch, tmp_path):
    from trainsmart_bench.bench import tuning
    from trainsmart_bench.tuners import MissingDependency

    calls = []

    class FakeStudy:
        summary = {"study_id": "s", "best": {"value": 0.25, "test_value": 0.3},
                   "tuner_s_per_trial": 0.01, "elapsed_s": 2.0, "status_counts": {"ok": 3}}

    def fake_run_study(task, backend, tuner, budget, **kw):
        calls.append((task, backend, tuner, budget, kw["params"]))
        if tuner == "optuna-tpe":
            raise MissingDependency("optuna-tpe needs the 'optuna' package")
        return FakeStudy()

    monkeypatch.setattr("trainsmart_bench.tuning.study.run_study", fake_run_study)
    monkeypatch.setenv(bench.ENV_PROFILE, "standard")
    run_dir = str(tmp_path)
    assert tuning.study_value(run_dir, "best_val", "synthetic", "random") == 0.25
    assert tuning.study_value(run_dir, "test_value", "synthetic", "random") == 0.3
    assert tuning.study_value(run_dir, "study_time", "synthetic", "random") == 2.0
    assert calls == [("synthetic", "torch", "random", 8, {})]
    with pytest.raises(NotImplementedError, match="needs the 'optuna' package"):
        tuning.study_value(run_dir, "best_val", "synthetic", "optuna-tpe")
    with pytest.raises(NotImplementedError, match="trainsmart data fetch mnist"):
        tuning.study_value(run_dir, "best_val", "mnist-mlp", "random")


def test_a_cross_validated_cell_runs_every_fold_and_reports_their_mean(tmp_path, monkeypatch):
    from trainsmart_bench.bench import suite
    from trainsmart_bench.bench.profiles import PROFILES, Profile

    smoke = PROFILES["smoke"]
    cv = Profile(**{**smoke.__dict__, "name": "cv", "tasks": ("digits-mlp+kfold:3",)})
    monkeypatch.setattr(suite, "current_profile", lambda: cv)
    assert suite.split_task("digits-mlp+kfold:3") == ("digits-mlp", "kfold:3")
    records = suite.cell_records(str(tmp_path), "digits-mlp+kfold:3", "torch", "cpu")
    assert [r.fold for r in records] == ["kfold:3/1", "kfold:3/2", "kfold:3/3"]
    value = suite.metric_value(str(tmp_path), "accuracy", "digits-mlp+kfold:3", "torch", "cpu")
    assert value == pytest.approx(sum(r.value("accuracy") for r in records) / 3)
    assert len(list(tmp_path.glob("*.json"))) == 3  # trained once, read by every metric


def test_table_studies_use_tune_s_budget_rule_and_say_it(monkeypatch):
    """The asv table studies read their scores at `trainsmart tune`'s default budget: trials
    while the profile's tuners all prune alike, else as many epochs as 50 unpruned trials
    train."""
    from dataclasses import replace
    from pathlib import Path

    from trainsmart_bench.bench import tuning
    from trainsmart_bench.tuning.budget import Budget

    table = Path(__file__).resolve().parents[2] / "benchmarks/tables/digits-mlp-torch.json.gz"
    base = tuning.current_profile()
    monkeypatch.setattr(tuning, "current_profile", lambda: replace(base, tuners=("random",)))
    assert tuning.table_budget(table)[0] == Budget("trials", 50)
    assert tuning.table_unit("regret", table) == "objective (budget 50 trials)"
    monkeypatch.setattr(tuning, "current_profile",
                        lambda: replace(base, tuners=("random", "optuna-tpe+median")))
    budget, limits = tuning.table_budget(table)
    assert budget == Budget("epochs", 50 * 30) and limits["budget_epochs"] == 1500
    assert tuning.table_unit("seconds_to_target", table) == (
        "simulated seconds (budget 1500 epochs)")


def test_whole_unit_code_is_a_whole_command_asv_can_time(tmp_path):
    """The ``timeraw_`` code of bench_overhead.WholeUnit: a real command, exit 0, quiet."""
    import subprocess
    import sys

    from trainsmart_bench.bench import whole_unit_code

    for kind in ("run", "study"):
        for start in ("cold", "warm"):
            for backend in ("torch", "keras"):
                code = whole_unit_code(kind, start, backend)
                compile(code, f"<{kind} {start} {backend}>", "exec")
                assert f"'--backend', '{backend}'" in code
    with pytest.raises(ValueError):
        whole_unit_code("run", "tepid")
    with pytest.raises(ValueError):
        whole_unit_code("run", "warm", "keras-jax")
    out = subprocess.run([sys.executable, "-c", whole_unit_code("run", "warm")],
                         capture_output=True, text=True, timeout=600,
                         env={**os.environ, "TRAINSMART_DATA_DIR": str(tmp_path)})
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout == ""
