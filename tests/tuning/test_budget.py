"""Budgets: parsing, the old flags as spellings, defaults, and a calibration of the comparison:
the unit of the budget decides which of two tuners ranks first, as it should."""

from __future__ import annotations

import pytest

from tests.tuning.helpers import entry, synthetic_header
from trainsmart_bench.errors import ConfigError
from trainsmart_bench.tasks.synthetic import SYNTHETIC
from trainsmart_bench.tuning.budget import (
    Budget,
    axis,
    caps,
    curve,
    default_budget,
    from_flags,
    of_config,
    plan,
)
from trainsmart_bench.tuning.compare import compare, run_comparison
from trainsmart_bench.tuning.design import design
from trainsmart_bench.tuning.table import Table
from trainsmart_bench.tuning.table_build import table_space


def test_parse_and_label():
    assert Budget.parse("trials:50") == Budget("trials", 50)
    assert Budget.parse(" Epochs:1000 ") == Budget("epochs", 1000)
    assert Budget.parse("seconds:2.5") == Budget("seconds", 2.5)
    assert Budget.parse("epochs") == Budget("epochs", None)
    assert Budget("epochs", 1000).label() == "1000 epochs"
    assert Budget("trials", 1).label() == "1 trial"
    assert Budget("seconds", 90.0).label(simulated=True) == "90 simulated s"
    for bad, why in (("hours:3", "unit is one of"), ("trials", "give an amount"),
                     ("trials:0", "positive whole"), ("epochs:2.5", "positive whole"),
                     ("seconds:-1", "positive number"), ("seconds:nan", "positive number"),
                     ("trials:ten", "positive whole")):
        with pytest.raises(ConfigError, match=why):
            Budget.parse(bad)


def test_old_flags_spell_the_budget():
    assert from_flags(None, 50, None, None) == (Budget("trials", 50), None)
    assert from_flags(None, 200, 300, None) == (Budget("epochs", 300), 200)  # trials: a cap
    assert from_flags(None, None, None, 60.0) == (Budget("seconds", 60.0), None)
    assert from_flags("epochs:300", None, None, None) == (Budget("epochs", 300), None)
    assert from_flags(None, None, None, None) == (None, None)
    with pytest.raises(ConfigError, match="both set the budget"):
        from_flags("trials:5", None, 300, None)
    with pytest.raises(ConfigError, match="both set the budget"):
        from_flags(None, None, 300, 60.0)
    with pytest.raises(ConfigError, match="at least 1"):
        from_flags(None, 0, None, None)


def test_default_is_epochs_when_the_tuners_do_not_all_prune_alike():
    assert default_budget(["random", "optuna-tpe"]) == Budget("trials", 30)
    assert default_budget(["optuna-tpe+median", "ray-asha"], 12) == Budget("trials", 12)
    assert default_budget(["random", "optuna-tpe+median"]) == Budget("epochs", None)
    # an unpruned tuner gets its usual number of trials: 30 (or --trials) x epochs per trial
    b, limits = plan(None, None, None, None, ["random", "ray-asha"], trial_epochs=20)
    assert b == Budget("epochs", 600) and limits["budget_epochs"] == 600
    assert limits["budget_unit"] == "epochs" and limits["budget_trials"] == 600
    b, _ = plan("epochs", 50, None, None, ["random"], trial_epochs=20)
    assert b == Budget("epochs", 1000)
    assert caps(Budget("trials", 7), None) == {"budget_trials": 7, "budget_unit": "trials"}
    with pytest.raises(ConfigError, match="needs the epochs a trial trains"):
        plan("epochs", 5, None, None, ["random"], trial_epochs=None)


def test_studies_recorded_before_the_unit_keep_their_meaning():
    assert of_config({"budget_trials": 200, "budget_epochs": 300}) == Budget("epochs", 300)
    assert of_config({"budget_trials": 20}) == Budget("trials", 20)
    assert of_config({"budget_trials": 20, "budget_seconds": 5.0, "budget_unit": "seconds"}) \
        == Budget("seconds", 5.0)


def test_curves_along_the_budget_axis():
    s = {"config": {"budget_unit": "epochs", "budget_epochs": 10, "budget_trials": 10},
         "best_so_far_trials": [None, 3.0, 2.0], "best_so_far_epochs": [[4, None], [6, 3.0],
                                                                        [10, 2.0]]}
    xs = axis([s], "epochs")
    assert len(xs) == 100 and xs[-1] == 10.0
    assert curve(s, "epochs", [1.0, 5.0, 6.0, 9.9, 10.0]) == [None, None, 3.0, 3.0, 2.0]


def ordered_table(n: int = 200, epochs: int = 8) -> Table:
    """Monotone curves whose order at every epoch is their final order: early results predict
    final ones, the setting where pruning pays per epoch."""
    configs = design(table_space(SYNTHETIC), n, seed=1)
    return Table(synthetic_header(epochs), [entry(i, c, epochs=epochs)
                                            for i, c in enumerate(configs)])


def scores_under(tmp_path, budget_kw):
    pytest.importorskip("ray")
    table = ordered_table()
    groups = run_comparison(table, ["ray-random", "ray-random+asha"], 30, store=tmp_path,
                            params={"epochs": 8}, **budget_kw)
    c = compare(groups[1], table.quantile(0.05))
    return {s.tuner: s for s in c.scores}, c


def test_calibration_a_pruner_better_per_epoch_and_worse_per_trial(tmp_path):
    """ASHA proposes what ray-random proposes (same seeded draws) and stops most of them early:
    per trial it can only lose (the same configurations, some judged on fewer epochs); per
    epoch it sees many more configurations. The comparison must say exactly that."""
    by_trials, c = scores_under(tmp_path / "t", {"trials": 10})
    assert c.budget == Budget("trials", 10)
    asha, rand = by_trials["ray-random+asha"], by_trials["ray-random"]
    assert rand.rank == 1 and asha.regret.median >= rand.regret.median
    assert asha.epochs < rand.epochs == 80  # it trained fewer epochs for its 10 trials

    by_epochs, c = scores_under(tmp_path / "e", {"trials": 80, "budget_epochs": 80,
                                                 "budget_unit": "epochs"})
    assert c.budget == Budget("epochs", 80)
    asha, rand = by_epochs["ray-random+asha"], by_epochs["ray-random"]
    assert asha.epochs == rand.epochs == 80  # the same compute
    assert asha.rank == 1 and rand.rank == 2  # significantly better at the same compute
    assert [s.tuner for s in c.scores][0] == "ray-random+asha"
    assert any(p.significant and p.better == "ray-random+asha" for p in c.pairs)


def test_studies_under_two_budgets_keep_both_and_the_report_shows_each(tmp_path):
    """The same tuner and seed under trials:6 and epochs:12 are two studies, kept apart, and
    the report scores each group at its own budget, named in its headings."""
    from trainsmart_bench.report.model import load
    from trainsmart_bench.report.tuning_view import tuning_section
    from trainsmart_bench.tuning.study import run_study

    table = ordered_table(40, epochs=4)
    a = run_study("synthetic", "none", "random", 6, store_dir=tmp_path, table=table,
                  params={"epochs": 4})
    b = run_study("synthetic", "none", "random", 12, budget_epochs=12, budget_unit="epochs",
                  store_dir=tmp_path, table=table, params={"epochs": 4})
    assert a.path != b.path and a.path.is_dir() and b.path.is_dir()
    assert b.summary["epochs"] == 12 and a.summary["n_trials"] == 6
    html, problems = tuning_section(load([tmp_path]).tuning)
    assert problems == []
    assert "budget 6 trials" in html and "budget 12 epochs" in html
    assert "Scores at a budget of 6 trials per study" in html
    assert "Scores at a budget of 12 epochs per study" in html
