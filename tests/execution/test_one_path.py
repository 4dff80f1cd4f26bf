"""A benchmark run and a tuning trial go through one execution path: the same child, the same
thread environment, the same numbers."""

from __future__ import annotations

import pytest

from trainsmart_bench.execution.matrix import Cell, run_cell
from trainsmart_bench.results import Status
from trainsmart_bench.tuning.study import run_study

pytest.importorskip("torch")
PINNED = {"epochs": 3, "lr": 0.003, "batch_size": 32, "dropout": 0.0}


def test_a_run_and_a_trial_of_one_config_give_bit_identical_curves(tmp_path):
    study = run_study("digits-mlp", "torch", "grid", 3, study_seed=0, params=PINNED,
                      store_dir=tmp_path, threads=1)
    trial = next(t for t in study.trials if t.config == {"width": 32})
    assert trial.status is Status.OK, trial.error
    run = run_cell(Cell("digits-mlp", "torch", "cpu", 0), threads=1,
                   params={**PINNED, "width": 32})
    assert run.status is Status.OK, run.error
    assert [e["val_accuracy"] for e in run.curve] == trial.curve  # bit for bit
    assert run.value("accuracy") == trial.test_value
    assert run.env["threads"] == trial.threads  # the same pools, measured in each child
    assert trial.threads["torch"]["intra"] == 1 and trial.threads["cores"]
    assert trial.threads["env"]["OMP_NUM_THREADS"] == "1"


def test_a_child_dies_with_its_parent(tmp_path):
    """A matrix killed hard (SIGKILL, no cleanup) leaves no training run behind."""
    import os
    import signal
    import subprocess
    import sys
    import time

    import psutil

    code = ("from trainsmart_bench.execution.matrix import Cell, run_cell; "
            "run_cell(Cell('digits-mlp', 'torch', 'cpu', 0), threads=1, "
            "params={'epochs': 100000})")
    parent = subprocess.Popen([sys.executable, "-c", code])
    deadline = time.time() + 60
    child = None
    while time.time() < deadline and child is None:
        kids = psutil.Process(parent.pid).children(recursive=True)
        child = next((k for k in kids if "training.child" in " ".join(k.cmdline())), None)
        time.sleep(0.2)
    assert child is not None, "the child started"
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    psutil.wait_procs([child], timeout=10)
    assert not child.is_running() or child.status() == psutil.STATUS_ZOMBIE
