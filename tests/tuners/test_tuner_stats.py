"""Normalized scores, AUC and ranks against values worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from trainsmart_bench.tuning.scores import (
    as_loss,
    normalize,
    ranks,
    score_tuners,
)


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
