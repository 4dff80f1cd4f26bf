"""The training loop on a scripted backend: early stopping, divergence, time-to-target,
warm-up accounting and the per-epoch report; then a diverged run through the child process."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.training.fake_backend import FakeBackend, FakeClock, Script, fake_data, fake_task
from trainsmart_bench.training import loop


@pytest.fixture
def clock(monkeypatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(loop, "time", fake)  # the loop reads time.perf_counter only
    return fake


def train(clock, script, task=None, on_epoch=None, import_s=0.0):
    backend = FakeBackend(script, clock)
    res = loop.train(backend, task or fake_task(), fake_data(), seed=0, on_epoch=on_epoch,
                     import_s=import_s)
    return backend, res


def test_early_stopping_restores_the_best_epochs_weights(clock):
    script = Script(quality=[0.50, 0.70, 0.90, 0.85, 0.80, 0.95])
    backend, res = train(clock, script, fake_task(patience=2))
    assert res.stopped_by == "early_stopping"
    assert res.metrics["epochs_trained"] == 5 and res.timings["best_epoch"] == 3
    assert res.metrics["best_val"] == pytest.approx(0.90)
    np.testing.assert_array_equal(backend.get_weights(backend.state)[0], [3, 3, 3])
    assert res.metrics["accuracy"] == pytest.approx(0.90)  # epoch 3's model, not epoch 5's 0.80
    assert "train 6" not in script.calls


def test_without_patience_the_last_epochs_weights_stay(clock):
    backend, res = train(clock, Script(quality=[0.50, 0.90, 0.60, 0.70, 0.65, 0.75]))
    assert res.stopped_by == "epochs" and res.metrics["epochs_trained"] == 6
    assert res.timings["best_epoch"] == 2
    assert res.metrics["accuracy"] == pytest.approx(0.75)


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_a_diverging_loss_stops_the_run_as_a_failure_without_test_scores(clock, bad):
    reports = []
    script = Script(quality=[0.5, 0.6, 0.7, 0.8, 0.9, 0.9], loss=[1.0, 0.5, bad, 0.1, 0.1, 0.1])
    _, res = train(clock, script, on_epoch=lambda r: reports.append(r) or True)
    assert res.stopped_by == "diverged"
    assert res.error.startswith("diverged at epoch 3: training loss")
    assert res.metrics["epochs_trained"] == 3 and "train 4" not in script.calls
    assert [r.epoch for r in reports] == [1, 2]  # the diverged epoch is not reported
    assert res.metrics["best_val"] == pytest.approx(0.6)
    for name in ("accuracy", "f1_macro", "inference_throughput"):
        assert name not in res.metrics, name


def test_a_normal_run_has_no_error(clock):
    _, res = train(clock, Script(quality=[0.5, 0.6, 0.7, 0.8, 0.9, 0.9]))
    assert res.error is None and res.stopped_by == "epochs"
    assert res.metrics["accuracy"] == pytest.approx(0.9)


def test_time_to_target_is_the_wall_time_at_the_first_epoch_that_meets_it(clock):
    script = Script(quality=[0.50, 0.70, 0.79, 0.81, 0.60, 0.90],
                    epoch_s=[3.0, 1.0, 1.5, 2.0, 1.0, 1.0], build_s=0.5, predict_s=0.25)
    _, res = train(clock, script, fake_task(target=0.8), import_s=7.0)
    assert res.reached_target and res.timings["target_epoch"] == 4
    # build, then per epoch its training and its validation pass; the import is not counted
    expected = 0.5 + (3.0 + 0.25) + (1.0 + 0.25) + (1.5 + 0.25) + (2.0 + 0.25)
    assert res.metrics["time_to_target"] == pytest.approx(expected)
    assert res.curve[3]["wall_s"] == pytest.approx(expected)
    assert [c["val_accuracy"] for c in res.curve] == pytest.approx(script.quality)


def test_a_target_never_met_leaves_time_to_target_unset(clock):
    _, res = train(clock, Script(quality=[0.5] * 6), fake_task(target=0.8))
    assert not res.reached_target
    assert "time_to_target" not in res.metrics and "target_epoch" not in res.timings


def test_first_epoch_is_left_out_of_throughput_and_counted_in_startup(clock):
    script = Script(quality=[0.5] * 4, epoch_s=[5.0, 1.0, 1.0, 2.0], build_s=0.5)
    _, res = train(clock, script, fake_task(epochs=4), import_s=2.0)
    n = len(fake_data().x_train)
    assert res.timings["warmup_excluded"] is True
    assert res.timings["first_epoch_s"] == pytest.approx(5.0)
    assert res.metrics["train_throughput"] == pytest.approx(n * 3 / 4.0)  # epochs 2..4
    assert res.timings["warmup_overhead_s"] == pytest.approx(5.0 - 1.0)  # first - median
    assert res.metrics["startup_time"] == pytest.approx(2.0 + 0.5 + 4.0)
    assert res.metrics["train_time"] == pytest.approx(9.0)
    assert res.metrics["inference_throughput"] == pytest.approx(100 / script.predict_s)


def test_a_single_epoch_is_its_own_throughput_with_no_warmup_overhead(clock):
    _, res = train(clock, Script(quality=[0.5], epoch_s=[4.0]), fake_task(epochs=1))
    assert res.timings["warmup_excluded"] is False
    assert res.metrics["train_throughput"] == pytest.approx(200 / 4.0)
    assert res.timings["warmup_overhead_s"] == 0.0


def test_on_epoch_gets_the_report_and_false_stops_the_run(clock):
    reports = []

    def on_epoch(report):
        reports.append(report.to_json())
        return report.epoch < 2

    script = Script(quality=[0.5, 0.6, 0.7, 0.8, 0.9, 0.9], epoch_s=[2.0] * 6,
                    loss=[0.9, 0.8, 0.7, 0.6, 0.5, 0.4], build_s=0.5, predict_s=0.5)
    _, res = train(clock, script, on_epoch=on_epoch)
    assert reports == [
        {"epoch": 1, "value": pytest.approx(0.5), "loss": pytest.approx(0.9), "epochs": 6,
         "elapsed_s": pytest.approx(3.0)},
        {"epoch": 2, "value": pytest.approx(0.6), "loss": pytest.approx(0.8), "epochs": 6,
         "elapsed_s": pytest.approx(5.5)},
    ]
    assert res.stopped_by == "pruned" and res.metrics["epochs_trained"] == 2
    assert "train 3" not in script.calls


def test_a_diverged_run_is_recorded_as_failed_end_to_end():
    """A real child process: with lr=10 and weight decay 1 every AdamW step multiplies the
    weights by -9, so within the first epoch they overflow float32 and the loss is NaN."""
    pytest.importorskip("torch")
    from trainsmart_bench.execution.matrix import Cell, run_cell
    from trainsmart_bench.results import Status

    rec = run_cell(Cell("digits-mlp", "torch", "cpu", 0), threads=1,
                   params={"epochs": 3, "lr": 10.0, "weight_decay": 1.0})
    assert rec.status is Status.FAILED, rec
    assert rec.error.startswith("diverged at epoch 1: training loss nan")
    assert rec.timings["stopped_by"] == "diverged" and len(rec.curve) == 1
    assert rec.value("accuracy") is None and rec.value("f1_macro") is None
