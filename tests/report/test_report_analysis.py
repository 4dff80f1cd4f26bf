"""Pure analysis: best-by-direction, Pareto fronts, text and number helpers."""

from __future__ import annotations

import math

from trainsmart_bench.report.analysis import best_indices, pareto_front
from trainsmart_bench.report.charts import nice_ticks, tick_label
from trainsmart_bench.report.fmt import first_line, fmt_num, num


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


def test_text_and_number_helpers():
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
