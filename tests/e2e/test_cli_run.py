"""`trainsmart run` as a user runs it: summary table, bad input, Ctrl-C keeps finished runs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

pytest.importorskip("torch")
CMD = [sys.executable, "-m", "trainsmart_bench.cli"]


def _env():
    return {**os.environ, "COLUMNS": "250"}


def test_run_prints_summary_table(tmp_path):
    out = subprocess.run(
        CMD + ["run", "--task", "digits-mlp", "--backend", "torch,sklearn", "--seeds", "2",
               "--set", "epochs=3", "--threads", "1", "--results", str(tmp_path)],
        capture_output=True, text=True, env=_env(), timeout=300,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "median and 95% bootstrap interval over seeds" in out.stdout
    assert "accuracy" in out.stdout and "sklearn" in out.stdout
    assert len(list(tmp_path.glob("*.json"))) == 4


@pytest.mark.parametrize("args,msg", [
    (["--task", "mnist-xl"], "unknown task"),
    (["--task", "digits-mlp", "--backend", "mxnet"], "unknown backend"),
    (["--task", "digits-mlp", "--set", "epochs"], "KEY=VALUE"),
    (["--task", "digits-mlp", "--set", "momentum=0.9"], "unknown hyperparameters"),
    (["--task", "digits-mlp", "--set", "epochs=-1"], "epochs=-1: must be an integer >= 1"),
    (["--task", "digits-mlp", "--set", "dropout=1"], "dropout=1: must be a number >= 0 and < 1"),
    (["--task", "digits-mlp", "--set", "batch_size=0"], "batch_size=0: must be an integer"),
    (["--task", "digits-mlp", "--set", "lr=fast"], "lr='fast': must be a number"),
    (["--task", "digits-mlp", "--profile", "no-such-profile"], "none of digits-mlp has it"),
    (["--task", "digits-mlp", "--cpus", "999"], "not available here"),
])
def test_bad_input_gets_a_clear_error_before_training(tmp_path, args, msg):
    out = subprocess.run(CMD + ["run", "--results", str(tmp_path)] + args, capture_output=True,
                         text=True, env=_env(), timeout=60)
    assert out.returncode == 2 and msg in out.stderr and "Traceback" not in out.stderr
    assert not list(tmp_path.glob("*.json"))


def test_ctrl_c_keeps_finished_records(tmp_path):
    proc = subprocess.Popen(
        CMD + ["run", "--task", "digits-mlp", "--backend", "torch", "--seeds", "20",
               "--set", "epochs=2", "--threads", "1", "--results", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(),
        # a shell without job control starts background jobs with SIGINT ignored, and Python
        # then installs no Ctrl-C handler: give the run the terminal's default, as a user has
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.time() + 240
    while time.time() < deadline and len(list(tmp_path.glob("*.json"))) < 1:
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "finished records are kept" in err
    kept = list(tmp_path.glob("*.json"))
    assert 1 <= len(kept) < 20 and not list(tmp_path.glob(".*"))


def test_missing_dataset_says_how_to_get_it_before_training(tmp_path):
    env = {**_env(), "TRAINSMART_DATA_DIR": str(tmp_path / "empty")}
    for cmd in (["run", "--task", "mnist-mlp", "--results", str(tmp_path / "r")],
                ["tune", "--task", "mnist-mlp", "--results", str(tmp_path / "t")]):
        out = subprocess.run(CMD + cmd, capture_output=True, text=True, env=env, timeout=120)
        assert out.returncode == 2, out.stderr
        assert "trainsmart data fetch mnist" in out.stderr.replace("\n", " ")
        assert "trainsmart data import mnist" in out.stderr.replace("\n", " ")
    assert not (tmp_path / "r").exists() and not list((tmp_path).glob("t/**/*.json"))
