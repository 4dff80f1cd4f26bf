"""The run matrix: one process per run, failures isolated, timeouts, skips, resume."""

from __future__ import annotations

import json

import pytest

from trainsmart_bench.errors import ConfigError
from trainsmart_bench.execution.matrix import Cell, run_cell, run_matrix
from trainsmart_bench.results import RecordStore, Status

pytest.importorskip("torch")
FAST = {"epochs": 3}


def test_run_records_every_metric(tmp_path):
    rec = run_cell(Cell("digits-mlp", "torch", "cpu", 0), threads=1, params=FAST)
    assert rec.status is Status.OK, rec.error
    for name in ("accuracy", "f1_macro", "train_throughput", "inference_throughput",
                 "startup_time", "peak_host_memory", "param_count", "epochs_trained"):
        assert rec.value(name) is not None and rec.value(name) > 0, name
    assert rec.value("param_count") == 64 * 32 + 32 + 32 * 10 + 10
    assert rec.metrics["accuracy"].unit == "fraction" and rec.metrics["accuracy"].direction == "max"
    assert len(rec.curve) == 3 and rec.timings["warmup_excluded"] is True
    assert rec.env["dataset"]["checksum"] and rec.env["framework_version"]
    assert rec.params["epochs"] == 3 and rec.seed == 0
    assert 0.0 <= rec.env["cpu_busy_before"] <= 1.0
    phases = rec.timings["phases"]  # where the run's time went, every phase measured
    for name in ("probe_s", "spawn_s", "import_s", "data_s", "build_s", "first_epoch_s",
                 "epochs_s", "validation_s", "inference_s", "test_metrics_s", "bootstrap_s",
                 "exit_s", "other_s"):
        assert phases[name] >= 0.0, name
    assert phases["total_s"] == pytest.approx(rec.timings["process_wall_s"] + phases["probe_s"])
    assert phases["other_s"] < 0.2 * phases["total_s"], phases  # the phases explain the run


def test_same_seed_same_result_different_seed_differs():
    a = run_cell(Cell("digits-mlp", "torch", "cpu", 0), threads=1, params=FAST)
    b = run_cell(Cell("digits-mlp", "torch", "cpu", 0), threads=1, params=FAST)
    c = run_cell(Cell("digits-mlp", "torch", "cpu", 1), threads=1, params=FAST)
    losses = [[e["loss"] for e in r.curve] for r in (a, b, c)]
    assert losses[0] == losses[1] and losses[0] != losses[2]


def test_failures_are_isolated_and_resume_skips_finished(tmp_path):
    store = RecordStore(tmp_path)
    cells = [Cell("digits-mlp", "torch", "cpu", 0), Cell("digits-mlp", "torch", "cuda", 0)]
    with pytest.raises(ConfigError, match="lr=-1.0"):  # refused before anything trains
        run_matrix(cells, store, threads=1, params={"epochs": 2, "lr": -1.0})
    assert not list(tmp_path.glob("*.json"))
    records = run_matrix(cells, store, threads=1, params=FAST)
    assert records[0].status is Status.OK  # a failed cell is retried on resume
    assert records[1].status in (Status.SKIPPED, Status.OK)  # no GPU here: skipped with reason
    if records[1].status is Status.SKIPPED:
        assert "cuda" in records[1].error
    ok = next(p for p in tmp_path.glob("*.json") if "__cpu__" in p.name)
    stamp = ok.stat().st_mtime_ns
    seen = []
    run_matrix(cells, store, threads=1, params=FAST,
               on_record=lambda r, c: seen.append((r.device, c)))
    skipped = records[1].status is Status.SKIPPED
    assert seen == [("cpu", True), ("cuda", not skipped)], "an ok record is reused; a skip "
    "is checked again (cheap, and the machine may have changed)"
    assert ok.stat().st_mtime_ns == stamp


def test_timeout_becomes_a_record_and_the_next_run_goes_on(tmp_path):
    """One matrix: the torch cell would train for 100,000 epochs and is killed at the timeout;
    the sklearn cell after it (one fit, epochs mean nothing to it) still runs and is recorded."""
    store, timeout = RecordStore(tmp_path), 12.0
    cells = [Cell("digits-mlp", "torch", "cpu", 0), Cell("digits-mlp", "sklearn", "cpu", 0)]
    seen = []
    slow, rest = run_matrix(cells, store, threads=1, timeout=timeout,
                            params={"epochs": 100_000},
                            on_record=lambda r, reused: seen.append((r.backend, reused)))
    assert seen == [("torch", False), ("sklearn", False)]
    assert slow.status is Status.TIMEOUT and "timeout" in slow.error
    assert timeout <= slow.timings["process_wall_s"] < timeout + 10  # killed, not waited for
    assert rest.status is Status.OK, rest.error
    assert rest.value("accuracy") > 0.8
    on_disk = sorted((r.backend, r.status.value) for r in store)
    assert on_disk == [("sklearn", "ok"), ("torch", "timeout")]
    assert sorted(json.loads(p.read_text())["status"] for p in tmp_path.glob("*.json")) == [
        "ok", "timeout"]


def test_bad_hyperparameters_are_refused_before_training(tmp_path):
    with pytest.raises(ConfigError, match="unknown hyperparameters"):
        run_cell(Cell("digits-mlp", "torch", "cpu", 0), threads=1, params={"nope": 1})
    with pytest.raises(ConfigError, match="epochs=-1: must be an integer >= 1"):
        run_cell(Cell("digits-mlp", "torch", "cpu", 0), threads=1, params={"epochs": -1})
