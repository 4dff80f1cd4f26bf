"""Pure analysis: best-by-direction, Pareto fronts, ranks, Mann-Whitney U, escaping helpers."""

from __future__ import annotations

import math

import pytest

from trainsmart_bench.report.analysis import (
    best_indices,
    intervals_overlap,
    mann_whitney_u,
    min_p_value,
    pareto_front,
    rankdata,
)
from trainsmart_bench.report.charts import nice_ticks, tick_label
from trainsmart_bench.report.fmt import esc, first_line, fmt_num, num


def test_best_respects_direction_and_ties():
    values = [0.91, None, 0.95, 0.95, 0.90]
    assert best_indices(values, "max") == {2, 3}
    assert best_indices(values, "min") == {4}
    assert best_indices(values, "none") == set()
    assert best_indices([None, None], "max") == set()


def test_pareto_front_min_time_max_quality():
    # (time, accuracy): 0 and 2 trade off, 1 is dominated by 0, 3 duplicates 2
    pts = [(10.0, 0.97), (12.0, 0.96), (20.0, 0.99), (20.0, 0.99), (5.0, 0.90)]
    assert pareto_front(pts, "min", "max") == [4, 0, 2, 3]


def test_pareto_front_min_time_min_rmse():
    pts = [(10.0, 0.88), (8.0, 0.90), (9.0, 0.91), (15.0, 0.87)]
    assert pareto_front(pts, "min", "min") == [1, 0, 3]


def test_rankdata_averages_ties():
    assert rankdata([3.0, 1.0, 3.0, 2.0]) == [3.5, 1.0, 3.5, 2.0]


# Reference values computed with scipy.stats.mannwhitneyu(x, y, alternative="two-sided").
KNOWN = [
    ([1, 2, 3, 4, 5], [6, 7, 8, 9, 10], "exact", 0.0, 0.007936507936507936),
    ([1, 2, 3, 4, 5], [6, 7, 8, 9, 10], "asymptotic", 0.0, 0.012185780355344813),
    ([1, 2, 2, 3], [2, 3, 4, 4, 5], "asymptotic", 2.5, 0.07854585095119067),  # ties
    ([0.97, 0.971, 0.969], [0.975, 0.976, 0.974], "exact", 0.0, 0.1),
    ([19, 22, 16, 29, 24], [20, 11, 17, 12], "exact", 17.0, 0.1111111111111111),
    ([19, 22, 16, 29, 24], [20, 11, 17, 12], "asymptotic", 17.0, 0.11134688653314041),
]


@pytest.mark.parametrize(("x", "y", "method", "u", "p"), KNOWN)
def test_mann_whitney_known_values(x, y, method, u, p):
    res = mann_whitney_u(x, y, method)
    assert res.u == u
    assert res.p == pytest.approx(p, rel=1e-9)


def test_mann_whitney_auto_and_degenerate():
    assert mann_whitney_u([1, 2, 3], [4, 5, 6]).method == "exact"
    assert mann_whitney_u([1, 2, 2], [2, 5, 6]).method == "asymptotic"  # ties
    assert mann_whitney_u([1.0, 1.0], [1.0, 1.0]).p == 1.0
    with pytest.raises(ValueError):
        mann_whitney_u([], [1.0])


def test_mann_whitney_matches_scipy_on_random_samples():
    stats = pytest.importorskip("scipy.stats")
    import numpy as np

    rng = np.random.default_rng(3)
    for n1, n2 in [(3, 3), (5, 9), (12, 15), (4, 30)]:
        x = rng.normal(0, 1, n1).round(1)
        y = rng.normal(0.8, 1, n2).round(1)
        ref = stats.mannwhitneyu(x, y, alternative="two-sided")
        got = mann_whitney_u(list(x), list(y))
        assert got.u == pytest.approx(ref.statistic)
        assert got.p == pytest.approx(ref.pvalue, rel=1e-9)


def test_min_p_value_and_interval_overlap():
    assert min_p_value(3, 3) == pytest.approx(0.1)
    assert min_p_value(5, 5) < 0.05
    assert intervals_overlap((1, 2), (2, 3)) is True
    assert intervals_overlap((1, 2), (2.5, 3)) is False
    assert intervals_overlap((None, 2), (1, 3)) is None


def test_escaping_and_number_helpers():
    assert esc('<script>alert("x")</script>') == (
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;")
    assert esc("a'b") == "a&#x27;b" and esc(None) == ""
    assert first_line("\n  RuntimeError: boom\ntraceback...") == "RuntimeError: boom"
    assert num("3") is None and num(True) is None and num(float("nan")) is None
    assert num(2) == 2.0
    assert fmt_num(27815.4) == "27,815" and fmt_num(0.97123) == "0.971"
    assert fmt_num(None) == "\u2014"


def test_nice_ticks_cover_range():
    ticks = nice_ticks(0.9687, 0.9781, 5)
    assert ticks[0] <= 0.9687 and ticks[-1] >= 0.9781
    steps = {round(b - a, 9) for a, b in zip(ticks, ticks[1:])}
    assert len(steps) == 1 and math.isclose(steps.pop(), 0.002)


def test_tick_labels_keep_the_steps_digits():
    ticks = [0.875, 0.9, 0.925]  # a step of 0.025 needs three decimals
    assert [tick_label(t, ticks) for t in ticks] == ["0.875", "0.900", "0.925"]
    assert tick_label(20000.0, [0.0, 10000.0]) == "20,000"
