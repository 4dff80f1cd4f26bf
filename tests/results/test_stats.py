"""The one statistics module: known values, the same p-value everywhere, sound intervals, and
metrics that agree with sklearn.metrics."""

from __future__ import annotations

import numpy as np
import pytest

from trainsmart_bench.metrics.quality import classification_metrics
from trainsmart_bench.results.stats import (
    STATISTICS,
    bootstrap_interval,
    bootstrap_median,
    intervals_overlap,
    mann_whitney,
    min_p_value,
    rankdata,
)

# Worked out by hand: complete separation of 5 vs 5 has 2 / C(10, 5) = 2/252 exact two-sided p;
# 3 vs 3: 2 / C(6, 3) = 0.1.
KNOWN = [
    ([1, 2, 3, 4, 5], [6, 7, 8, 9, 10], "exact", 0.0, 2 / 252),
    ([0.97, 0.971, 0.969], [0.975, 0.976, 0.974], "exact", 0.0, 0.1),
    ([1, 2, 2, 3], [2, 3, 4, 4, 5], "asymptotic", 2.5, 0.07854585095119067),  # ties
]


@pytest.mark.parametrize(("x", "y", "method", "u", "p"), KNOWN)
def test_mann_whitney_known_values(x, y, method, u, p):
    res = mann_whitney(x, y)
    assert (res.method, res.u) == (method, u)
    assert res.p == pytest.approx(p, rel=1e-9)


def test_mann_whitney_degenerate_and_empty():
    assert mann_whitney([1.0, 1.0], [1.0, 1.0]).p == 1.0
    with pytest.raises(ValueError):
        mann_whitney([], [1.0])


def test_tuner_ranks_and_report_comparison_give_the_same_p_value():
    """The bug this module fixed: 5 vs 5 fully separated read 0.0122 in tuner ranks and
    0.0079 in the report. Both now go through results.stats.mann_whitney."""
    from trainsmart_bench.report.analysis import best_indices  # noqa: F401 - report loads
    from trainsmart_bench.report.compare import _row
    from trainsmart_bench.results.summary import CellSummary
    from trainsmart_bench.tuning.scores import ranks

    x, y = [0.90, 0.91, 0.92, 0.93, 0.94], [0.95, 0.96, 0.97, 0.98, 0.99]
    before = CellSummary(bootstrap_median(x), tuple(x))
    after = CellSummary(bootstrap_median(y), tuple(y))
    row = _row(("t", "b", "cpu"), "accuracy", "", "max", before, after)
    assert row.test.p == pytest.approx(2 / 252)
    # alpha just above and just below that p: the rank flips exactly there
    assert ranks({"a": x, "b": y}, alpha=2 / 252 + 1e-9) == {"a": 1, "b": 2}
    assert ranks({"a": x, "b": y}, alpha=2 / 252 - 1e-9) == {"a": 1, "b": 1}


def test_rankdata_min_p_and_overlap():
    assert list(rankdata([3.0, 1.0, 3.0, 2.0])) == [3.5, 1.0, 3.5, 2.0]
    assert min_p_value(3, 3) == pytest.approx(0.1)
    assert min_p_value(5, 5) == pytest.approx(2 / 252)
    assert intervals_overlap((1, 2), (2, 3)) is True
    assert intervals_overlap((1, 2), (2.5, 3)) is False
    assert intervals_overlap((None, 2), (1, 3)) is None


def test_bootstrap_median_interval_brackets_the_median_and_is_seeded():
    values = [0.95, 0.96, 0.97, 0.98, 0.99, 0.965, 0.975]
    s = bootstrap_median(values)
    assert s.median == pytest.approx(0.97)
    assert s.low <= s.median <= s.high and s.low >= 0.95 and s.high <= 0.99
    assert bootstrap_median(values) == s  # same seed, same interval
    assert bootstrap_median([None, float("nan"), 2.0]).n == 1
    assert bootstrap_median([]).median is None
    assert bootstrap_median([3.0, 3.0]).low == 3.0  # no spread: a point interval


def test_bootstrap_interval_covers_the_true_median():
    """Over many samples of 15 from a known distribution, the 95% interval holds the true
    median about 95% of the time (a loose check: 85..100%)."""
    rng = np.random.default_rng(7)
    hits = 0
    for i in range(120):
        s = bootstrap_median(rng.normal(0, 1, 15), resamples=999, seed=i)
        hits += s.low <= 0 <= s.high
    assert 0.85 <= hits / 120 <= 1.0


def test_macro_metrics_agree_with_sklearn():
    from sklearn import metrics

    rng = np.random.default_rng(0)
    y = rng.integers(0, 5, 400)
    y[:3] = 4  # every class present in y_true
    proba = rng.random((400, 6))  # class 5 can be predicted but never occurs
    pred = proba.argmax(1)
    ours = classification_metrics(y, proba)
    assert ours["accuracy"] == pytest.approx(metrics.accuracy_score(y, pred))
    for name, fn in (("precision_macro", metrics.precision_score),
                     ("recall_macro", metrics.recall_score), ("f1_macro", metrics.f1_score)):
        assert ours[name] == pytest.approx(fn(y, pred, average="macro", zero_division=0))


@pytest.mark.parametrize("statistic", ["mean", "root_mean"])
def test_test_set_interval_agrees_with_scipy_without_importing_it(statistic):
    """The child's test-set interval (numpy) is SciPy's percentile bootstrap: on 2,000
    examples the bounds agree to Monte Carlo error (resamples differ, the method does not)."""
    from scipy import stats

    rng = np.random.default_rng(3)
    x = (rng.random(2000) < 0.9).astype(float) if statistic == "mean" else rng.gamma(2, 1, 2000)
    low, high = bootstrap_interval(x, statistic, resamples=4000)
    ref = stats.bootstrap((x,), STATISTICS[statistic], n_resamples=4000, method="percentile",
                          vectorized=True, axis=-1, rng=np.random.default_rng(1))
    width = ref.confidence_interval.high - ref.confidence_interval.low
    assert abs(low - ref.confidence_interval.low) < 0.05 * width * 2
    assert abs(high - ref.confidence_interval.high) < 0.05 * width * 2
    assert bootstrap_interval(x, statistic) == bootstrap_interval(x, statistic)  # seeded
    assert low < STATISTICS[statistic](x, -1) < high


def test_macro_metrics_when_a_label_is_never_predicted_or_never_true():
    ours = classification_metrics(np.array([0, 0, 1, 1]), np.eye(3)[[0, 0, 0, 2]])
    # labels 0, 1, 2: precision 2/3, 0, 0; recall 1, 0, 0; F1 0.8, 0, 0
    assert ours["precision_macro"] == pytest.approx(2 / 9)
    assert ours["recall_macro"] == pytest.approx(1 / 3)
    assert ours["f1_macro"] == pytest.approx(0.8 / 3)
