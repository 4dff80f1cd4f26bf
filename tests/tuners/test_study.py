"""The study loop: equal budgets, epochs counted, failures recorded, resume, record format."""

from __future__ import annotations

import json
from typing import ClassVar

import pytest

from tests.tuners.helpers import missing, tuner_params
from trainsmart_bench.errors import ConfigError
from trainsmart_bench.registry import TUNERS
from trainsmart_bench.results.records import SCHEMA_VERSION, Status
from trainsmart_bench.tuners.random import RandomTuner
from trainsmart_bench.tuning.evaluators import InProcessEvaluator
from trainsmart_bench.tuning.study import TrialRecord, load_study, run_study

PINNED = {"act": "relu"}  # a continuous space, so that every tuner (cmaes too) can run


def study(tmp_path, tuner, trials, **kw):
    kw.setdefault("evaluator", InProcessEvaluator())
    return run_study("synthetic", "none", tuner, trials, store_dir=tmp_path, **kw)


def test_every_tuner_gets_the_same_budget_and_epochs_are_counted(tmp_path):
    runnable = [n for n in sorted(TUNERS) if not missing(n)]
    assert {"random", "grid"} <= set(runnable)
    for name in runnable:
        s = study(tmp_path, name, 6, params=PINNED)
        assert [r.trial for r in s.trials] == list(range(6)), name
        assert sorted(p.name for p in s.path.glob("trial-*.json")) == [
            f"trial-{i:04d}.json" for i in range(6)]
        for r in s.trials:
            assert r.epochs == len(r.curve) == r.metrics["epochs_trained"]
            assert r.epochs == 4 or (r.pruned and 1 <= r.epochs < 4)
        assert s.summary["n_trials"] == 6
        assert s.summary["epochs"] == sum(r.epochs for r in s.trials)
        assert s.summary["library"]["version"], name


def test_pruning_saves_epochs_and_records_them(tmp_path):
    pytest.importorskip("ray")
    s = study(tmp_path, "ray-asha", 12, params={"epochs": 9})
    pruned = [r for r in s.trials if r.pruned]
    assert pruned and all(r.epochs < 9 for r in pruned)
    assert s.summary["pruned"] == len(pruned)
    assert s.summary["epochs"] == sum(r.epochs for r in s.trials) < 12 * 9


def test_epoch_budget_counts_epochs_actually_trained_and_is_spent_exactly(tmp_path):
    s = study(tmp_path, "random", 50, budget_epochs=10, budget_unit="epochs")
    # 4 epochs per trial: the third trial is stopped by the budget after 2, and is not pruned
    assert len(s.trials) == 3 and s.summary["epochs"] == 10
    last = s.trials[-1]
    assert last.epochs == 2 and not last.pruned and last.status.value == "ok"
    assert last.timings["worker"]["stopped_by"] == "budget"
    assert s.summary["config"]["budget_unit"] == "epochs"


def test_a_budget_unit_needs_its_limit(tmp_path):
    with pytest.raises(ConfigError, match="needs that limit"):
        study(tmp_path, "random", 5, budget_unit="epochs")


def test_seconds_budget_starts_no_trial_past_it(tmp_path):
    s = study(tmp_path, "random", 100, budget_seconds=0.2,
              params={"epoch_sleep": 0.02, "epochs": 2})
    spent = [r.seconds for r in s.trials]
    assert 1 < len(spent) < 100
    assert sum(spent[:-1]) < 0.2 <= sum(spent)
    assert s.summary["best_so_far_seconds"][-1][0] == pytest.approx(sum(spent), rel=1e-3)


def test_failing_trials_are_recorded_and_the_study_goes_on(tmp_path):
    s = study(tmp_path, "random", 12, params={"fail_above": 1.0})
    failed = [r for r in s.trials if r.status is Status.FAILED]
    assert failed and len(s.trials) == 12
    for r in failed:
        assert r.config["x"] > 1.0 and r.value is None and r.test_value is None
        assert "synthetic failure" in r.error and "Traceback" in r.error
    assert s.summary["status_counts"] == {"ok": 12 - len(failed), "failed": len(failed)}
    assert s.summary["best"]["config"]["x"] <= 1.0


def test_crashed_and_hung_trial_processes_become_records(tmp_path):
    crashed = run_study("synthetic", "none", "random", 2, store_dir=tmp_path / "a",
                        params={"exit_above": -10.0}, timeout=60)
    assert [r.status for r in crashed.trials] == [Status.FAILED] * 2
    assert "exited with status 3" in crashed.trials[0].error
    hung = run_study("synthetic", "none", "random", 1, store_dir=tmp_path / "b",
                     params={"hang_above": -10.0}, timeout=1.5)
    (r,) = hung.trials
    assert r.status is Status.TIMEOUT and "timeout" in r.error and r.epochs == 0
    assert 1.5 <= r.timings["train_s"] < 10


class Broken(RandomTuner):
    """Raises in every third suggest and proposes an out-of-range value in every fourth."""

    name: ClassVar[str] = "broken"
    calls = 0

    def suggest(self, n=1):
        Broken.calls += 1
        if Broken.calls % 3 == 0:
            raise RuntimeError("tuner bug")
        configs = super().suggest(n)
        if Broken.calls % 4 == 0:
            configs[0]["x"] = 99.0
            self._pending[max(self._pending)] = (configs[0], None)
        return configs


class Spy(RandomTuner):
    name: ClassVar[str] = "spy"
    seen: ClassVar[list] = []

    def observe(self, configs, values):
        Spy.seen.extend(values)
        super().observe(configs, values)


@pytest.fixture
def extra_tuners():
    """Broken and Spy load as user tuners do (``module:Class``), not through the registry."""
    Broken.calls, Spy.seen[:] = 0, []


def test_a_broken_tuner_costs_trials_not_the_study(tmp_path, extra_tuners):
    s = study(tmp_path, f"{__name__}:Broken", 8)
    errors = [r.error or "" for r in s.trials]
    assert len(s.trials) == 8
    assert sum("suggest() raised: RuntimeError: tuner bug" in e for e in errors) == 2
    assert sum("invalid suggestion" in e for e in errors) >= 1
    assert all(r.status is Status.FAILED for r, e in zip(s.trials, errors) if e)


def test_records_format_and_test_scores_stay_hidden(tmp_path, extra_tuners):
    s = study(tmp_path, f"{__name__}:Spy", 4)
    assert Spy.seen == [r.value for r in s.trials]
    for r in s.trials:
        assert r.test_value is not None and r.test_value != r.value
        d = json.loads((s.path / f"trial-{r.trial:04d}.json").read_text())
        assert TrialRecord.from_dict(d) == r
        assert d["kind"] == "trial" and d["schema_version"] == SCHEMA_VERSION
        assert {"suggest_s", "train_s", "observe_s", "report_s"} <= set(d["timings"])
        assert {"hostname", "pid", "ray_node_id"} <= set(d["node"])
    summary = json.loads((s.path / "study.json").read_text())
    assert summary["state"] == "finished" and summary["n_trials"] == 4
    assert len(summary["best_so_far_trials"]) == len(summary["best_so_far_seconds"]) == 4
    assert summary["best_so_far_trials"] == sorted(summary["best_so_far_trials"], reverse=True)
    from importlib.metadata import version

    assert summary["library"] == {"import": "numpy", "version": version("numpy")}


def interrupt_after(k):
    def on_trial(record):
        if record.trial == k - 1:
            raise KeyboardInterrupt

    return on_trial


@pytest.mark.parametrize("name", tuner_params(
    ["random", "grid", "ray-random", "ray-asha", "optuna-tpe", "hyperopt-tpe", "ray-hyperopt"]))
def test_resume_after_interrupt(tmp_path, name):
    with pytest.raises(KeyboardInterrupt):
        study(tmp_path / "cut", name, 7, on_trial=interrupt_after(3), params=PINNED)
    summary, before = load_study(next((tmp_path / "cut").iterdir()))
    assert summary["state"] == "running" and len(before) == 3
    resumed = study(tmp_path / "cut", name, 7, params=PINNED)
    assert [r.trial for r in resumed.trials] == list(range(7))
    assert resumed.trials[:3] == before  # kept, not re-run
    assert resumed.summary["n_trials"] == 7
    if name in ("random", "grid", "ray-random", "ray-asha", "hyperopt-tpe"):  # replayed: the
        whole = study(tmp_path / "whole", name, 7, params=PINNED)  # same as uninterrupted
        assert [r.config for r in resumed.trials] == [r.config for r in whole.trials]
    configs = [json.dumps(r.config, sort_keys=True) for r in resumed.trials]
    assert len(set(configs)) == 7


def test_resume_refuses_other_settings(tmp_path):
    study(tmp_path, "random", 2)
    with pytest.raises(ConfigError, match="other settings"):
        study(tmp_path, "random", 4, params={"epochs": 2})
    again = study(tmp_path, "random", 4)  # a larger budget continues the same study
    assert len(again.trials) == 4


def test_no_trial_timeout_is_strict_json_and_resumes(tmp_path):
    """--timeout none (math.inf) is written as null, not as JSON's non-standard Infinity, and a
    second run with the same settings finds the finished study."""
    import math

    def refuse(token):
        raise AssertionError(f"non-standard JSON constant {token}")

    first = study(tmp_path, "random", 2, timeout=math.inf)
    text = (first.path / "study.json").read_text()
    assert json.loads(text, parse_constant=refuse)["config"]["timeout"] is None
    again = study(tmp_path, "random", 2, timeout=math.inf)
    assert again.trials == first.trials


def test_pinning_every_parameter_is_an_error(tmp_path):
    everything = {"x": 0.0, "lr": 0.01, "units": 8, "layers": 1, "act": "relu"}
    with pytest.raises(ConfigError, match="nothing is left to tune"):
        study(tmp_path, "random", 2, params=everything)
    with pytest.raises(ConfigError, match="unknown hyperparameters"):
        study(tmp_path, "random", 2, params={"nope": 1})


@pytest.mark.slow
def test_digits_mlp_with_torch_in_real_processes(tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("optuna")
    s = run_study("digits-mlp", "torch", "optuna-tpe", 2, store_dir=tmp_path,
                  params={"epochs": 2}, threads=1, timeout=600)
    assert [r.status for r in s.trials] == [Status.OK, Status.OK], [r.error for r in s.trials]
    for r in s.trials:
        assert r.epochs == 2 and 0 < r.value <= 1 and 0 < r.test_value <= 1
        assert set(r.config) == {"lr", "batch_size", "width", "dropout"}
        assert r.timings["train_s"] > r.metrics["train_time"] > 0
    assert s.summary["metric"] == "accuracy" and s.summary["evaluation"] == "process"


def test_no_resume_starts_afresh(tmp_path):
    first = study(tmp_path, "random", 4, params={"fail_above": -10.0})
    assert all(r.status is Status.FAILED for r in first.trials)
    again = study(tmp_path, "random", 2, params={"fail_above": -10.0}, resume=False)
    assert len(again.trials) == 2
    assert sorted(p.name for p in again.path.glob("trial-*.json")) == [
        "trial-0000.json", "trial-0001.json"]
    with pytest.raises(ConfigError, match="other settings"):  # the old settings are gone too
        study(tmp_path, "random", 2, resume=True)


def test_a_cross_validated_study_scores_each_trial_by_its_mean_over_folds(tmp_path):
    from trainsmart_bench.tuning.evaluators import ProcessEvaluator

    s = run_study("digits-mlp", "torch", "random", 2, study_seed=0, store_dir=tmp_path,
                  params={"epochs": 2, "batch_size": 64, "width": 16, "dropout": 0.0},
                  threads=1, protocol="kfold:3", evaluator=ProcessEvaluator())
    assert s.config.protocol == "kfold:3" and "kfold3" in s.config.study_id
    assert s.summary["identity_fields"]["protocol"] == "kfold:3"
    for trial in s.trials:
        assert trial.status is Status.OK, trial.error
        folds = trial.timings["worker"]["folds"]
        assert [f["fold"] for f in folds] == ["kfold:3/1", "kfold:3/2", "kfold:3/3"]
        per_fold = [f["best_val"] for f in folds]
        assert len(set(per_fold)) > 1  # three different held-out folds
        assert trial.value == pytest.approx(sum(per_fold) / 3)


def test_records_from_before_pruners_were_named_read_as_what_they_ran(tmp_path):
    """Before pruners were named, 'optuna-tpe' carried a MedianPruner: such records (no
    'pruner' field) are read as optuna-tpe+median, and today's plain optuna-tpe does not
    resume them."""
    pytest.importorskip("optuna")
    from trainsmart_bench.tuning.records import load_studies

    s = study(tmp_path / "new", "optuna-tpe+median", 3, params=PINNED)
    old = tmp_path / "old" / s.path.name.replace("optuna-tpe+median", "optuna-tpe")
    old.mkdir(parents=True)
    for p in s.path.glob("*.json"):  # as the earlier version wrote them
        d = json.loads(p.read_text())
        for part in (d, d.get("config"), d.get("identity_fields")):
            if isinstance(part, dict) and "tuner" in part:
                part["tuner"] = "optuna-tpe"
                part.pop("pruner", None)
        (old / p.name).write_text(json.dumps(d))
    (summary,) = load_studies(tmp_path / "old")
    assert summary["config"]["tuner"] == "optuna-tpe+median"
    assert summary["config"]["pruner"] == "median"
    _, trials = load_study(old)
    assert {(t.tuner, t.pruner) for t in trials} == {("optuna-tpe+median", "median")}
    with pytest.raises(ConfigError, match="other settings.*pruner"):
        study(tmp_path / "old", "optuna-tpe", 4, params=PINNED)
    plain = study(tmp_path / "plain", "optuna-tpe", 3, params=PINNED)
    assert plain.summary["config"]["pruner"] is None
    assert plain.summary["identity_fields"]["pruner"] is None and plain.summary["pruned"] == 0
