"""`trainsmart run` does not publish wrong numbers silently: record identity and resume,
output that scripts and 80-column terminals can read, a report that refuses a typo."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import pytest

from trainsmart_bench.cli.run import interleaved

pytest.importorskip("torch")
CMD = [sys.executable, "-m", "trainsmart_bench.cli"]


def trainsmart(*args: str, columns: int = 80, check: bool = True):
    env = {**os.environ, "COLUMNS": str(columns)}
    out = subprocess.run([*CMD, *args], capture_output=True, text=True, env=env, timeout=300)
    if check:
        assert out.returncode == 0, out.stdout + out.stderr
    return out


def run(results, *extra: str, columns: int = 80):
    return trainsmart("run", "--task", "digits-mlp", "--backend", "torch", "--seeds", "1",
                      "--threads", "1", "--results", str(results), *extra, columns=columns)


def test_another_config_gets_its_own_record_and_says_why(tmp_path):
    first = run(tmp_path, "--set", "epochs=2")
    assert "0 of 1 cells reused" in first.stdout and "no record yet" in first.stdout
    second = run(tmp_path, "--set", "epochs=3")
    assert "0 of 1 cells reused" in second.stdout
    assert "recorded with other settings: params.epochs: 2 -> 3" in second.stdout
    files = sorted(tmp_path.glob("*.json"))
    assert len(files) == 2  # neither overwrote the other
    epochs = sorted(json.loads(f.read_text())["params"]["epochs"] for f in files)
    assert epochs == [2, 3]
    third = run(tmp_path, "--set", "epochs=3")
    assert "1 of 1 cells reused" in third.stdout and "(reused)" in third.stdout
    assert len(list(tmp_path.glob("*.json"))) == 2
    rerun = run(tmp_path, "--set", "epochs=3", "--no-resume")
    assert "--no-resume" in rerun.stdout


def test_summary_for_scripts_and_for_an_80_column_terminal(tmp_path):
    out = run(tmp_path, "--set", "epochs=2", "--backend", "torch,sklearn", columns=80)
    lines = out.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert any("torch cpu" in line for line in lines)  # names whole, never folded
    assert any("sklearn cpu" in line for line in lines)
    data = json.loads(run(tmp_path, "--set", "epochs=2", "--backend", "torch,sklearn",
                          "--format", "json").stdout)
    acc = {d["backend"]: d for d in data if d["metric"] == "accuracy"}
    assert set(acc) == {"torch", "sklearn"} and 0.5 < acc["torch"]["median"] <= 1.0
    rows = list(csv.DictReader(io.StringIO(run(
        tmp_path, "--set", "epochs=2", "--backend", "torch,sklearn", "--format", "csv").stdout)))
    assert {r["metric"] for r in rows} >= {"accuracy", "train_throughput", "time_to_target"}
    assert float(next(r for r in rows if r["backend"] == "torch" and
                      r["metric"] == "accuracy")["median"]) == acc["torch"]["median"]


def test_report_refuses_missing_or_empty_input(tmp_path):
    out = trainsmart("report", str(tmp_path / "no-such-dir"), "-o", str(tmp_path / "r.html"),
                     check=False)
    assert out.returncode == 2 and "no such results" in out.stderr
    (tmp_path / "empty").mkdir()
    out = trainsmart("report", str(tmp_path / "empty"), "-o", str(tmp_path / "r.html"),
                     check=False)
    assert out.returncode == 2 and "nothing to report" in out.stderr
    assert not (tmp_path / "r.html").exists()


def test_cells_are_interleaved_seed_by_seed():
    cells = interleaved(["digits-mlp"], ["torch", "keras"], ["cpu"], 3, None)
    assert [(c.seed, c.backend) for c in cells] == [
        (0, "torch"), (0, "keras"), (1, "torch"), (1, "keras"), (2, "torch"), (2, "keras")]
