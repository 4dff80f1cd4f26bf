"""Protocol results: cross-validated quality is the mean over folds; walk-forward windows give
per-window and overall RMSE; the test-set interval sits beside the seed interval."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from trainsmart_bench.results import RunRecord, Status, metric
from trainsmart_bench.results.folds import fold_views
from trainsmart_bench.results.summary import rows


def run(fold, rmse, n, seed=0, low=None, high=None):
    metrics = {"rmse": metric("rmse", rmse), "test_samples": metric("test_samples", n)}
    if low is not None:
        metrics |= {"rmse_test_low": metric("rmse_test_low", low),
                    "rmse_test_high": metric("rmse_test_high", high)}
    return RunRecord("movielens-mf", "torch", "cpu", seed, Status.OK, metrics=metrics,
                     fold=fold, config_id="c")


def test_walk_forward_per_window_mean_and_overall_rmse():
    records = [run("walk-forward:3/1", 1.0, 100), run("walk-forward:3/2", 0.9, 300),
               run("walk-forward:3/3", 0.8, 600)]
    (view,) = fold_views(records)
    assert view.protocol == "walk-forward:3" and view.kind == "walk-forward"
    assert [(i, v) for i, v, _ in view.folds] == [(1, 1.0), (2, 0.9), (3, 0.8)]
    assert view.mean == pytest.approx(0.9)
    assert view.overall == pytest.approx(math.sqrt((100 + 300 * 0.81 + 600 * 0.64) / 1000))
    (row,) = rows(records)
    assert row.cells["quality"].scoring == "mean"
    assert row.cells["quality"].summary.median == pytest.approx(0.9)


def test_folds_average_over_seeds_and_the_test_set_interval_is_kept_apart():
    records = [run("kfold:2/1", 0.90, 50, seed=0, low=0.85, high=0.95),
               run("kfold:2/1", 0.92, 50, seed=1, low=0.86, high=0.97),
               run("kfold:2/2", 0.86, 50, seed=0, low=0.80, high=0.91),
               run("kfold:2/2", 0.88, 50, seed=1, low=0.83, high=0.93)]
    (view,) = fold_views(records)
    assert [v for _, v, _ in view.folds] == pytest.approx([0.91, 0.87])
    (row,) = rows(records)
    assert row.test_interval == pytest.approx((0.84, 0.94))  # median low, median high
    assert fold_views([run(None, 0.9, 10)]) == []  # holdout: no fold view


def test_an_invalid_time_to_target_keeps_the_80_column_summary_whole():
    """Six windows that never reach the target: MLPerf calls the cell invalid; the summary
    says so in a word and the reason in the interval column, and every column stays whole."""
    from rich.console import Console

    from trainsmart_bench.cli.summary import render

    records = [replace(run(f"walk-forward:4/{w}", 1.0, 100, seed=s), backend="keras-torch")
               for w in (1, 2, 3, 4) for s in (0, 1, 2)]
    for r in records:
        r.metrics["train_throughput"] = metric("train_throughput", 30000.0)
        r.metrics["inference_throughput"] = metric("inference_throughput", 2248501.0)
    console = Console(width=80, record=True, force_terminal=False)
    render(records, "table", console)
    text = console.export_text()
    assert "…" not in text and max(len(line) for line in text.splitlines()) <= 80
    assert "12/12" in text and "invalid" in text and "never reached" in text
