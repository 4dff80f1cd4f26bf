"""Real MNIST and CIFAR-10 from ../shared/datasets (skipped, with the reason, where absent)."""

from __future__ import annotations

import subprocess
import sys
import time

import numpy as np
import pytest

from tests.conftest import import_real
from trainsmart_bench.datasets import get_loader

# one xdist worker: the session's real-data dir (each dataset imported once) is per worker
pytestmark = [pytest.mark.realdata, pytest.mark.xdist_group("realdata")]


def test_mnist_real_counts_and_fast_reload(real_data_dir, shared_datasets):
    import_real("mnist", real_data_dir, shared_datasets)
    loader = get_loader("mnist", str(real_data_dir))
    summary = loader.manifest()["summary"]
    assert summary["train"]["count"] == 60000 and summary["test"]["count"] == 10000
    assert summary["train"]["per_class"] == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265,
                                             5851, 5949]
    t = time.process_time()  # CPU time: a busy machine (xdist's other worker) slows the wall
    ds = loader.load()
    assert time.process_time() - t < 1.0, "parsed cache loads in under a CPU second"
    assert ds["x_train"].shape == (60000, 28, 28) and ds["x_train"].dtype == np.uint8


def test_cifar10_real_counts_and_fast_reload(real_data_dir, shared_datasets):
    import_real("cifar10", real_data_dir, shared_datasets)
    loader = get_loader("cifar10", str(real_data_dir))
    summary = loader.manifest()["summary"]
    assert summary["train"]["count"] == 50000 and summary["test"]["count"] == 10000
    assert set(summary["train"]["per_class"].values()) == {5000}
    assert set(summary["test"]["per_class"].values()) == {1000}
    t = time.process_time()  # CPU time: a busy machine (xdist's other worker) slows the wall
    ds = loader.load()
    assert time.process_time() - t < 1.0, "parsed cache loads in under a CPU second"
    # SOURCE.md: sha256 of test pixels in class-then-file-name order; our test batch is in
    # that order, so the documented digest must match exactly
    import hashlib

    assert hashlib.sha256(ds["x_test"].tobytes()).hexdigest() == (
        "52a9dc125982c0440d5eed87474b2f521e96c45a98df08e4329aa42c692b9d9d"
    )


def test_cli_import_then_info_prints_counts(tmp_path, shared_datasets):
    cmd = [sys.executable, "-m", "trainsmart_bench.cli", "data"]
    d = ["--data-dir", str(tmp_path)]
    out = subprocess.run(cmd + ["import", "mnist", str(shared_datasets / "mnist")] + d,
                         capture_output=True, text=True, env={"COLUMNS": "200", **_env()})
    assert out.returncode == 0, out.stderr
    out = subprocess.run(cmd + ["info", "mnist"] + d, capture_output=True, text=True,
                         env={"COLUMNS": "200", **_env()})
    assert out.returncode == 0, out.stderr
    assert "60,000" in out.stdout and "10,000" in out.stdout and "checksum" in out.stdout
    out = subprocess.run(cmd + ["verify"] + d, capture_output=True, text=True, env=_env())
    assert out.returncode == 0 and "ok" in out.stdout


def _env():
    import os

    return dict(os.environ)
