"""``--timeout``: a positive number of seconds or ``none`` (no limit); anything else is
refused while the arguments are parsed, before anything trains, for every command that has it."""

from __future__ import annotations

import json
import math

import pytest

from trainsmart_bench.cli import build_parser, main

COMMANDS = {  # every command with --timeout, with what else it needs to parse
    "run": ["run", "--task", "digits-mlp"],
    "tune": ["tune", "--task", "digits-mlp"],
    "table build": ["table", "build", "--task", "digits-mlp", "--configs", "2"],
    "table check": ["table", "check", "some-table.json.gz"],
}
BAD = ["-1", "0", "-0", "0.0", "-0.5", "nan", "NaN", "inf", "-inf", "Infinity", "1e400",
       "garbage", "10s", "", " ", "none please"]


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("value", BAD)
def test_a_bad_timeout_is_refused_naming_the_value_and_what_is_allowed(
        tmp_path, monkeypatch, capsys, command, value):
    monkeypatch.chdir(tmp_path)  # where the records would go (./runs, ./results/tune, tables/)
    with pytest.raises(SystemExit) as exit_:
        main([*COMMANDS[command], f"--timeout={value}"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2
    assert f"argument --timeout: {value!r}" in err
    assert "a positive number of seconds" in err and "'none' for no limit" in err
    assert not any(tmp_path.iterdir())


def test_the_issue_s_spelling_is_refused_too(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--task", "digits-mlp", "--timeout", "-1"])
    assert "argument --timeout: '-1'" in capsys.readouterr().err


@pytest.mark.parametrize("value,seconds", [("600", 600.0), ("0.5", 0.5), ("1e-3", 1e-3),
                                           ("none", math.inf), ("None", math.inf),
                                           (" NONE ", math.inf)])
@pytest.mark.parametrize("command", COMMANDS)
def test_a_positive_number_or_none_is_taken(command, value, seconds):
    args = build_parser().parse_args([*COMMANDS[command], "--timeout", value])
    assert args.timeout == seconds


@pytest.mark.parametrize("command", COMMANDS)
def test_the_default_is_a_finite_limit(command):
    assert build_parser().parse_args(COMMANDS[command]).timeout == 3600.0


def test_run_without_a_limit_trains(tmp_path, capsys):
    """``none`` reaches the process runner as ``math.inf``: no deadline, and the run is ok."""
    pytest.importorskip("sklearn")
    rc = main(["run", "--task", "digits-mlp", "--backend", "sklearn", "--seeds", "1",
               "--threads", "1", "--timeout", "none", "--format", "json",
               "--results", str(tmp_path)])
    assert rc == 0, capsys.readouterr().err
    (record,) = tmp_path.glob("*.json")
    assert json.loads(record.read_text())["status"] == "ok"


def test_tune_without_a_limit_runs_its_trials(tmp_path):
    """Each trial in its own process, watched without a deadline."""
    assert main(["tune", "--task", "synthetic", "--backend", "none", "--tuner", "random",
                 "--trials", "2", "--studies", "1", "--threads", "1", "--set", "epochs=2",
                 "--timeout", "none", "--results", str(tmp_path)]) == 0
    (study,) = tmp_path.glob("*/study.json")
    summary = json.loads(study.read_text())
    assert summary["config"]["timeout"] is None  # no limit, written as strict-JSON null
    assert summary["status_counts"] == {"ok": 2}
