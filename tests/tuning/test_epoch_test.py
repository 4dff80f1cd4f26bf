"""Per-epoch test scoring (tuning-table builds) changes nothing a run measures."""

from __future__ import annotations

import pytest

from tests.training.fake_backend import FakeBackend, FakeClock, Script, fake_data, fake_task
from trainsmart_bench.training import loop


@pytest.mark.parametrize("patience", [0, 2])
def test_epoch_test_adds_test_scores_and_leaves_clocks_and_curve_alone(monkeypatch, patience):
    runs = {}
    for flag in (False, True):
        clock = FakeClock()
        monkeypatch.setattr(loop, "time", clock)
        script = Script(quality=[0.5, 0.7, 0.9, 0.8, 0.85, 0.6], epoch_s=[2, 1, 1, 1, 1, 1])
        res = loop.train(FakeBackend(script, clock), fake_task(target=0.8, patience=patience),
                         fake_data(), seed=0, epoch_test=flag)
        runs[flag] = res
    plain, tested = runs[False], runs[True]
    keys = ("epoch", "loss", "val_accuracy", "prep_s", "epoch_s", "eval_s", "wall_s")
    assert [{k: c[k] for k in keys} for c in tested.curve] == plain.curve
    assert tested.metrics["time_to_target"] == plain.metrics["time_to_target"]
    assert tested.metrics["accuracy"] == plain.metrics["accuracy"]
    assert tested.timings["epoch_s"] == plain.timings["epoch_s"]
    # the fake model scores the same on every split: the test value after each epoch
    assert [c["test_accuracy"] for c in tested.curve] == [c["val_accuracy"]
                                                         for c in tested.curve]
    assert all(c["test_s"] == pytest.approx(0.1) for c in tested.curve)
    assert "test_accuracy" not in plain.curve[0]
