"""``overhead(tuner, n_trials)``: the tuner's own cost per trial, and its library's loop."""

from __future__ import annotations

import pytest

from tests.tuners.helpers import tuner_params
from trainsmart_bench.tuning.overhead import at_milestones, overhead, versus_native


def test_milestones_average_the_preceding_tenth():
    per_trial = [1.0] * 90 + [2.0] * 10
    assert at_milestones(per_trial) == {10: 1.0, 100: 2.0}


@pytest.mark.parametrize("name", tuner_params(["random", "optuna-tpe", "hyperopt-tpe",
                                               "optuna-cmaes", "ray-asha"]))
def test_overhead_reports_seconds_per_trial(name):
    r = overhead(name, 12)
    assert r["n_trials"] == 12 and r["unit"] == "s/trial" and r["version"]
    assert 0 < r["per_trial_s"] < 1 and set(r["at"]) == {10}
    assert r["per_trial_s"] == pytest.approx(r["suggest_s"] + r["observe_s"])
    if name.startswith(("optuna", "hyperopt")):
        assert r["native"]["loop"] in ("optuna study.optimize", "hyperopt fmin")
        assert 0 < r["native"]["per_trial_s"] < 1 and set(r["native"]["at"]) == {10}
    else:
        assert r["native"] is None


@pytest.mark.parametrize("name", tuner_params(["hyperopt-tpe"]))
def test_versus_native_gives_every_pair_and_the_spread(name):
    r = versus_native(name, 25, pairs=3)
    assert r["clock"] == "cpu" and [p["first"] for p in r["pairs"]] == ["ours", "native", "ours"]
    ratios = sorted(p["ratio"] for p in r["pairs"])
    assert (r["low"], r["median"], r["high"]) == pytest.approx(tuple(ratios))
    assert all(p["ratio"] == pytest.approx(p["ours_s"] / p["native_s"]) for p in r["pairs"])
    with pytest.raises(ValueError, match="no library loop"):
        versus_native("random", 5)
