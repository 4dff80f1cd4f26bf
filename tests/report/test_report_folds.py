"""The report under a protocol: a per-fold (per-window) table and the test-set interval."""

from __future__ import annotations

from trainsmart_bench.report import build_report
from trainsmart_bench.results import RecordStore, RunRecord, Status, metric


def test_per_window_view_and_test_set_interval(tmp_path):
    store = RecordStore(tmp_path)
    for i, (rmse, n) in enumerate([(0.95, 200), (0.90, 300)], start=1):
        store.write(RunRecord(
            "movielens-mf", "torch", "cpu", 0, Status.OK, fold=f"walk-forward:2/{i}",
            identity=f"id{i}", config_id="cfg",
            metrics={"rmse": metric("rmse", rmse), "test_samples": metric("test_samples", n),
                     "rmse_test_low": metric("rmse_test_low", rmse - 0.02),
                     "rmse_test_high": metric("rmse_test_high", rmse + 0.02)}))
    page = build_report([tmp_path]).html
    assert "Per window: test rmse, mean over seeds" in page
    assert "walk-forward:2" in page and "0.9250" in page  # the mean of the two windows
    assert "0.9203" in page  # overall: sqrt((200*0.95^2 + 300*0.90^2) / 500)
    assert "test set 0.9050 \u2013 0.9450" in page  # median low and high over the runs
