"""Mann-Whitney U, normalized scores, AUC and ranks against values worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from trainsmart_bench.tuner_stats import (
    as_loss,
    mann_whitney_u,
    normalize,
    rankdata,
    ranks,
    score_tuners,
)


def test_rankdata_averages_ties():
    assert list(rankdata(np.array([3.0, 1.0, 3.0, 2.0]))) == [3.5, 1.0, 3.5, 2.0]


def test_mann_whitney_separated_samples():
    # x entirely below y: U_x = 0; n1 = n2 = 5, mu = 12.5, sigma^2 = 25 * 11 / 12
    r = mann_whitney_u([1, 2, 3, 4, 5], [6, 7, 8, 9, 10])
    sigma = math.sqrt(25 * 11 / 12)
    assert r.u == 0.0
    assert r.z == pytest.approx((12.5 - 0.5) / sigma)
    assert r.p == pytest.approx(math.erfc((12 / sigma) / math.sqrt(2)))
    assert r.p == pytest.approx(0.01219, abs=1e-5)


def test_mann_whitney_tie_correction():
    # ties: {3: 2 copies, 4: 2 copies, 5: 2 copies}; sum(t^3 - t) = 18, n = 11
    x, y = [1, 2, 3, 4, 5], [3, 4, 5, 6, 7, 8]
    r = mann_whitney_u(x, y)
    var = 5 * 6 / 12 * ((11 + 1) - 18 / (11 * 10))
    assert r.u == 4.5
    assert r.z == pytest.approx((abs(4.5 - 15) - 0.5) / math.sqrt(var))
    assert r.p == pytest.approx(0.066015, abs=1e-6)


def test_mann_whitney_identical_samples():
    r = mann_whitney_u([1, 1, 1], [1, 1])
    assert (r.u, r.p) == (3.0, 1.0)


def test_mann_whitney_agrees_with_scipy():
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(0)
    for _ in range(20):
        x, y = rng.integers(0, 6, rng.integers(2, 12)), rng.integers(1, 7, rng.integers(2, 12))
        ours, ref = mann_whitney_u(x, y), stats.mannwhitneyu(x, y, method="asymptotic")
        assert ours.u == pytest.approx(ref.statistic)
        assert ours.p == pytest.approx(ref.pvalue, rel=1e-9, abs=1e-12)


def test_normalized_score_definition():
    # losses; optimum 0.1 (best anyone found), random search's median 0.5
    loss = np.array([0.1, 0.3, 0.5, 0.9])
    assert list(normalize(loss, 0.1, 0.5)) == pytest.approx([0.0, 0.5, 1.0, 2.0])
    assert np.isnan(normalize(loss, 0.5, 0.5)).all()  # random already optimal: undefined
    assert list(as_loss([0.9, None], "max"))[0] == -0.9 and np.isnan(as_loss([None], "max")[0])


def test_ranks_count_significantly_better_tuners():
    good, mid, bad = [0.1, 0.11, 0.12, 0.13, 0.14, 0.15], [0.5] * 6, [0.9, 0.91, 0.92, 0.93,
                                                                      0.94, 0.95]
    assert ranks({"good": good, "mid": mid, "bad": bad}) == {"good": 1, "mid": 2, "bad": 3}
    assert ranks({"a": [0.1, 0.9], "b": [0.2, 0.8]}) == {"a": 1, "b": 1}  # not significant


def _summary(tuner, best, curve, direction="max", epochs=10, overhead=0.001):
    return {"config": {"tuner": tuner}, "direction": direction, "metric": "accuracy",
            "best": {"value": best, "test_value": best - 0.01},
            "best_so_far_trials": curve, "tuner_s_per_trial": overhead, "epochs": epochs}


def test_score_tuners_bayesmark_style():
    # maximize accuracy: optimum = 0.95 (best of all), random median = 0.85
    summaries = [
        _summary("random", 0.80, [None, 0.70, 0.80]),
        _summary("random", 0.85, [0.85, 0.85, 0.85]),
        _summary("random", 0.90, [0.60, 0.90, 0.90]),
        _summary("tpe", 0.95, [0.85, 0.95, 0.95]),
        _summary("tpe", 0.90, [0.90, 0.90, 0.90]),
        _summary("tpe", 0.95, [0.75, 0.85, 0.95]),
    ]
    scores = {s.tuner: s for s in score_tuners(summaries)}
    assert scores["random"].final.median == pytest.approx(0.85)
    assert scores["random"].normalized.median == pytest.approx(1.0)
    assert scores["tpe"].normalized.median == pytest.approx(0.0)
    assert scores["tpe"].final.median == pytest.approx(0.95)
    # AUC: mean normalized best-so-far; normalized(v) = (0.95 - v) / 0.10
    # the None before random's first success counts as the worst seen (0.60 -> 3.5)
    random_aucs = [np.mean([3.5, 2.5, 1.5]), 1.0, np.mean([3.5, 0.5, 0.5])]
    tpe_aucs = [np.mean([1.0, 0.0, 0.0]), 0.5, np.mean([2.0, 1.0, 0.0])]
    assert scores["random"].auc == pytest.approx(float(np.median(random_aucs)))
    assert scores["tpe"].auc == pytest.approx(float(np.median(tpe_aucs)))
    assert scores["tpe"].test.median == pytest.approx(0.94)
    assert {s.rank for s in scores.values()} == {1}  # three studies: nothing is significant


def test_score_tuners_without_random_has_no_normalized_score():
    scores = score_tuners([_summary("tpe", 0.9, [0.9]), _summary("tpe", 0.8, [0.8])])
    assert scores[0].normalized.median is None and scores[0].final.median == pytest.approx(0.85)
