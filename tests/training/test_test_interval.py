"""The test-set bootstrap interval: resampling test examples, apart from seeds."""

from __future__ import annotations

import math

import numpy as np

from trainsmart_bench.training.loop import bootstrap_test_metric


def test_accuracy_interval_matches_the_binomial_spread():
    rng = np.random.default_rng(0)
    n, p = 4000, 0.9
    y = rng.integers(0, 10, n)
    out = rng.random((n, 10))
    right = rng.random(n) < p
    out[np.arange(n)[right], y[right]] = 2.0  # these rows predict their label
    acc = float(np.mean(out.argmax(1) == y))
    ci = bootstrap_test_metric(True, y, out)
    low, high = ci["accuracy_test_low"], ci["accuracy_test_high"]
    assert low < acc < high
    half = 1.96 * math.sqrt(acc * (1 - acc) / n)  # the normal approximation's half-width
    assert abs((high - low) / 2 - half) < 0.25 * half


def test_rmse_interval_brackets_the_rmse_and_narrows_with_more_examples():
    rng = np.random.default_rng(1)
    widths = []
    for n in (500, 8000):
        y = rng.uniform(1, 5, n)
        pred = y + rng.normal(0, 0.9, n)
        rmse = float(np.sqrt(np.mean((pred - y) ** 2)))
        ci = bootstrap_test_metric(False, y, pred)
        assert ci["rmse_test_low"] < rmse < ci["rmse_test_high"]
        widths.append(ci["rmse_test_high"] - ci["rmse_test_low"])
    assert widths[1] < widths[0] / 2  # ~ 1/sqrt(n): 4x narrower for 16x the examples
