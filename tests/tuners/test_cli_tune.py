"""``trainsmart tune`` end to end on the synthetic task (a process per trial)."""

from __future__ import annotations

import json

import pytest

from trainsmart_bench.cli import main


def test_tune_runs_studies_and_prints_the_table(tmp_path, capsys, monkeypatch):
    pytest.importorskip("optuna")
    monkeypatch.setenv("COLUMNS", "200")
    rc = main(["tune", "--task", "synthetic", "--backend", "none", "--tuner", "random,optuna-tpe",
               "--trials", "3", "--studies", "2", "--threads", "1", "--set", "epochs=2",
               "--results", str(tmp_path)])
    out = capsys.readouterr().out
    assert rc == 0
    for word in ("random", "optuna-tpe", "normalized", "rank", "overhead/trial", "ms"):
        assert word in out
    studies = sorted(p.name for p in tmp_path.iterdir())
    assert len(studies) == 4 and all(s.startswith("synthetic__none__cpu__") for s in studies)
    summary = json.loads((tmp_path / studies[0] / "study.json").read_text())
    assert summary["state"] == "finished" and summary["config"]["params"] == {"epochs": 2}


def test_tune_rejects_an_unknown_pinned_parameter_before_training(tmp_path, capsys):
    rc = main(["tune", "--task", "digits-mlp", "--backend", "torch", "--tuner", "random",
               "--set", "no_such_param=1", "--trials", "2", "--studies", "1",
               "--results", str(tmp_path)])
    assert rc == 2
    assert "unknown hyperparameters ['no_such_param']" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


def test_tune_rejects_unknown_names(tmp_path, capsys):
    assert main(["tune", "--task", "synthetic", "--tuner", "nope", "--results",
                 str(tmp_path)]) == 2
    assert "unknown tuner" in capsys.readouterr().err


def test_tune_table_keeps_names_whole_at_80_columns(tmp_path, capsys, monkeypatch):
    from trainsmart_bench.cli import tune

    monkeypatch.setattr(tune.console, "width", 80)
    assert main(["tune", "--task", "synthetic", "--backend", "none", "--tuner",
                 "random,hyperopt-tpe", "--trials", "3", "--studies", "2", "--threads", "1",
                 "--set", "epochs=2", "--results", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if str(tmp_path) not in line]
    assert max(len(line) for line in lines) <= 80 and "…" not in out
    for name in ("hyperopt-tpe", "random", "best (val)", "normalized", "overhead/trial"):
        assert name in out, name


def test_tune_budget_defaults_to_epochs_when_the_tuners_prune_differently(tmp_path, capsys,
                                                                           monkeypatch):
    """random prunes nothing and ray-asha stops trials early: compared per trial ASHA would
    look worse than it is, so the default budget is epochs, as many as 2 unpruned trials
    train; every score says which budget it used."""
    pytest.importorskip("ray")
    monkeypatch.setenv("COLUMNS", "200")
    rc = main(["tune", "--task", "synthetic", "--backend", "none", "--tuner", "random,ray-asha",
               "--trials", "2", "--budget", "epochs", "--studies", "1", "--threads", "1",
               "--set", "epochs=3", "--results", str(tmp_path)])
    out = capsys.readouterr().out
    assert rc == 0 and "budget 6 epochs per study (epochs:6)" in out
    assert "ray-random+asha" in out  # the name says what ran
    summaries = [json.loads(p.read_text()) for p in tmp_path.glob("*/study.json")]
    assert {s["config"]["tuner"] for s in summaries} == {"random", "ray-random+asha"}
    for s in summaries:
        assert s["config"]["budget_unit"] == "epochs" and s["epochs"] == 6


@pytest.mark.parametrize("flags, message", [
    (["--budget", "minutes:3"], "the unit is one of"),
    (["--budget", "trials:0"], "positive whole number"),
    (["--budget", "trials:5", "--epochs-budget", "9"], "both set the budget"),
    (["--trials", "0"], "at least 1"),
    (["--tuner", "random+median"], "unknown tuner 'random+median'"),
])
def test_tune_refuses_a_bad_budget_or_name_before_training(tmp_path, capsys, flags, message):
    args = ["tune", "--task", "synthetic", "--backend", "none", "--tuner", "random",
            "--studies", "1", "--results", str(tmp_path), *flags]
    assert main(args) == 2
    assert message in capsys.readouterr().err
    assert not any(tmp_path.iterdir())
