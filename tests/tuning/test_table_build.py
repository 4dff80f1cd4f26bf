"""Building a table through the real execution path: resume, extend, settings, spot check."""

from __future__ import annotations

import pytest

from trainsmart_bench.cli import main
from trainsmart_bench.errors import ConfigError
from trainsmart_bench.tuning.table import Table
from trainsmart_bench.tuning.table_build import BuildSettings, build, check, plan

SETTINGS = BuildSettings("synthetic", "none", replicate_every=3, replicate_seeds=2)


@pytest.fixture(scope="module")
def fixture_table(tmp_path_factory):
    """Five synthetic configurations, every third with two seeds: 7 runs, each its own process."""
    path = tmp_path_factory.mktemp("table") / "synthetic.json.gz"
    build(path, SETTINGS, 5)
    return path


def test_every_run_is_recorded_with_its_identity_curves_and_times(fixture_table):
    t = Table.load(fixture_table)
    assert [(e["index"], e["seed"]) for e in t.entries] == [
        (0, 0), (0, 1), (1, 0), (2, 0), (3, 0), (3, 1), (4, 0)]
    assert len({e["identity"] for e in t.entries}) == 7  # seed and config are in the identity
    for e in t.entries:
        assert e["status"] == "ok" and len(e["val"]) == len(e["test"]) == 4
        assert e["test"] == pytest.approx([v + 0.05 for v in e["val"]])  # per-epoch test
        assert len(e["epoch_s"]) == 4 and e["startup_s"] > 0
    h = t.header
    assert h["fixed"] == {"epochs": 4} and h["identity"]["protocol"] == {"epoch_test": True}
    assert h["sessions"][0]["runs"] == 7 and h["sessions"][0]["env"]["python"]


def test_resume_trains_nothing_and_extending_trains_only_the_new_configs(fixture_table):
    t = Table.load(fixture_table)
    assert plan(t, SETTINGS, 5) == []
    todo = plan(t, SETTINGS, 7)
    assert [(i, s) for i, s, _ in todo] == [(5, 0), (6, 0), (6, 1)]
    with pytest.raises(ConfigError, match="other settings"):
        build(fixture_table, BuildSettings("synthetic", "none", seed=1), 5)


def test_spot_check_matches_within_the_seed_spread_and_catches_a_changed_value(
        fixture_table, tmp_path):
    checks = check(fixture_table, n=5)
    assert len(checks) == 5 and all(c.ok and c.same_identity for c in checks)
    t = Table.load(fixture_table)
    t.entries[2]["val"][-1] += 0.01  # a recorded value that its run does not reproduce
    bad = t.save(tmp_path / "changed.json.gz")
    checks = check(bad, n=5)
    assert [c.index for c in checks if not c.ok] == [t.entries[2]["index"]]


def test_cli_table_and_tune_on_it(fixture_table, tmp_path, capsys):
    assert main(["table", "info", str(fixture_table)]) == 0
    assert main(["tune", "--table", str(fixture_table), "--tuner", "random,grid",
                 "--trials", "6", "--studies", "4", "--workers", "1,2",
                 "--results", str(tmp_path / "tune")]) == 0
    out = capsys.readouterr().out
    assert "significant after Holm" in out and "time to target" in out
    assert "performance profiles" in out and "workers" in out
    assert len(list((tmp_path / "tune").glob("*/study.json"))) == 2 * 4 * 2


def test_extending_keeps_the_design_the_table_was_built_with(tmp_path, capsys):
    out = str(tmp_path / "t.json.gz")
    base = ["table", "build", "--task", "synthetic", "--backend", "none", "--out", out,
            "--replicate-seeds", "1"]
    assert main([*base, "--configs", "1", "--no-grid"]) == 0
    assert main([*base, "--configs", "2"]) == 0  # no --no-grid: the table's own design
    t = Table.load(out)
    assert t.header["design"]["method"] == "scrambled Sobol"
    assert [e["index"] for e in t.entries] == [0, 1]
    assert main([*base, "--configs", "3", "--seed", "1"]) == 2  # other settings: refused
    assert "other settings" in capsys.readouterr().err


def test_table_comparison_output_keeps_names_whole_at_80_columns(fixture_table, tmp_path,
                                                                 capsys, monkeypatch):
    from trainsmart_bench.cli import tune_tables

    monkeypatch.setattr(tune_tables.console, "width", 80)
    assert main(["tune", "--table", str(fixture_table), "--tuner", "random,optuna-tpe",
                 "--trials", "6", "--studies", "3", "--workers", "1,2",
                 "--results", str(tmp_path / "tune")]) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if str(tmp_path) not in line]  # paths: whole
    assert "…" not in out and max(len(line) for line in lines) <= 80
    for name in ("optuna-tpe", "regret", "norm.", "avg rank", "ms/trial", "simulated s",
                 "by seconds", "final regret", "sim. wall s"):
        assert name in out, name


def test_table_check_output_keeps_names_whole_at_80_columns(fixture_table, capsys,
                                                            monkeypatch):
    from trainsmart_bench.cli import table

    monkeypatch.setattr(table.console, "width", 80)
    assert main(["table", "check", str(fixture_table), "--configs", "2"]) == 0
    out = capsys.readouterr().out
    assert "…" not in out and "tol." in out and "identity" in out and "same" in out
    assert max(len(line) for line in out.splitlines()) <= 80


def test_a_table_keeps_the_target_it_was_built_with(tmp_path):
    """Recalibrating a task's target changes no recorded curve: the table stays extendable
    and its spot check still finds the same identities."""
    path = tmp_path / "t.json.gz"
    old = BuildSettings("synthetic", "none", replicate_every=100, replicate_seeds=1,
                        target=0.5)  # built when the task's target was 0.5 (today: 0.1)
    build(path, old, 1)
    now = BuildSettings("synthetic", "none", replicate_every=100, replicate_seeds=1)
    table = build(path, now, 2)  # no "other settings"
    assert [e["index"] for e in table.entries] == [0, 1]
    assert table.header["identity"]["target"] == 0.5
    (c,) = check(path, n=1)
    assert c.same_identity and c.ok
