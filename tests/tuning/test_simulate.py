"""Studies on a table: the same trials as the ordinary loop, simulated workers, budgets."""

from __future__ import annotations

import pytest

from tests.tuners.helpers import missing
from tests.tuning.helpers import synthetic_table
from trainsmart_bench.tuning.simulate import TableEvaluator, read_trials
from trainsmart_bench.tuning.study import run_study

TUNERS = [t for t in ("random", "grid", "optuna-tpe", "hyperopt-tpe", "ray-asha")
          if not missing(t)]


def _key(r):
    return (r.trial, r.config, r.value, r.test_value, r.epochs, r.pruned, r.status.value)


@pytest.mark.parametrize("tuner", TUNERS)
def test_one_simulated_worker_is_the_ordinary_loop_on_the_table(tmp_path, tuner):
    table = synthetic_table(40)
    loop = run_study("synthetic", "none", tuner, 15, study_seed=2, store_dir=tmp_path / "a",
                     evaluator=TableEvaluator(table))
    sim = run_study("synthetic", "none", tuner, 15, study_seed=2, store_dir=tmp_path / "b",
                    table=table)
    assert [_key(r) for r in sim.trials] == [_key(r) for r in loop.trials]
    assert sim.summary["evaluation"] == "table"
    assert sim.summary["table"]["digest"] == table.digest
    assert sim.config.table == table.digest and "__table-" in sim.config.study_id
    # simulated time: start-up plus the epochs each trial trained, one after another
    ends = [r.timings["finished_at"] for r in sim.trials]
    assert ends[-1] == pytest.approx(sum(r.timings["train_s"] for r in sim.trials))
    assert len(read_trials(sim.path)) == 15 and not list(sim.path.glob("trial-*.json"))


def test_workers_run_trials_concurrently_in_simulated_time(tmp_path):
    table = synthetic_table(40, epoch_s=lambda i: 1.0 + 3 * (i % 2))
    one = run_study("synthetic", "none", "random", 24, store_dir=tmp_path, table=table)
    four = run_study("synthetic", "none", "random", 24, store_dir=tmp_path, table=table,
                     workers=4)
    assert "__w4__" in four.config.study_id
    recs = four.trials  # in the order they finished
    ends = [r.timings["finished_at"] for r in recs]
    assert ends == sorted(ends)
    spans = [(r.timings["started_at"], r.timings["finished_at"]) for r in recs]
    for t, _ in spans:  # never more than four in flight
        assert sum(s <= t < e for s, e in spans) <= 4
    starts = sorted(s for s, _ in spans)
    assert starts[:4] == [0.0] * 4  # four start at once; each later one when a worker frees
    assert set(starts[4:]) <= set(ends)
    # random search proposes the same configs: the same values, in less wall clock
    assert sorted(r.value for r in recs) == sorted(r.value for r in one.trials)
    wall_1 = one.summary["best_so_far_wallclock"][-1][0]
    assert wall_1 / 4.5 < ends[-1] < wall_1 / 2


def test_a_pruning_tuner_with_workers_sees_reports_in_time_order(tmp_path):
    pytest.importorskip("ray")
    table = synthetic_table(40)
    s = run_study("synthetic", "none", "ray-asha", 30, store_dir=tmp_path, table=table,
                  workers=4)
    pruned = [r for r in s.trials if r.pruned]
    assert pruned and all(r.epochs < 4 for r in pruned)
    assert s.summary["epochs"] == sum(r.epochs for r in s.trials) < 30 * 4
    for r in s.trials:  # a trial's simulated time: start-up and the epochs it ran
        assert r.timings["finished_at"] - r.timings["started_at"] == pytest.approx(
            r.timings["train_s"])


def test_budgets_on_simulated_seconds_and_epochs(tmp_path):
    table = synthetic_table(40, epoch_s=lambda i: 1.0)  # 0.5 s start-up + 4 x 1 s per trial
    by_time = run_study("synthetic", "none", "random", 100, budget_seconds=20.0,
                        store_dir=tmp_path, table=table)
    # starts at 0, 4.5, 9, 13.5, 18; none at 22.5; the fifth is stopped at its epoch ending at
    # 20.5 s, the first one past the budget
    assert len(by_time.trials) == 5 and by_time.trials[-1].epochs == 2
    assert by_time.trials[-1].timings["worker"]["stopped_by"] == "budget"
    by_epochs = run_study("synthetic", "none", "random", 100, budget_epochs=10,
                          store_dir=tmp_path / "e", table=table, workers=2)
    # at 4.5 s both first trials end (8 epochs < 10), so two more start; the 10th epoch ends
    # one of them and the other stops at the next epoch it ends (W - 1 = 1 epoch past)
    assert by_epochs.summary["epochs"] == 11 and len(by_epochs.trials) == 4
    assert [r.epochs for r in by_epochs.trials][2:] in ([1, 2], [2, 1])


def test_a_finished_table_study_is_reused_and_another_table_is_not(tmp_path):
    table = synthetic_table(40)
    first = run_study("synthetic", "none", "random", 5, store_dir=tmp_path, table=table)
    again = run_study("synthetic", "none", "random", 5, store_dir=tmp_path, table=table)
    assert again.summary == first.summary and again.trials == []
    other = synthetic_table(41)
    third = run_study("synthetic", "none", "random", 5, store_dir=tmp_path, table=other)
    assert third.path != first.path and len(third.trials) == 5


def test_pinned_parameters_the_table_cannot_answer_are_refused(tmp_path):
    from trainsmart_bench.errors import ConfigError

    table = synthetic_table(10)
    s = run_study("synthetic", "none", "random", 3, store_dir=tmp_path, table=table,
                  params={"act": "relu", "epochs": 2})  # a space parameter; fewer epochs
    assert all(r.node["config"]["act"] == "relu" and r.epochs == 2 for r in s.trials)
    for bad, why in (({"epochs": 5}, "epochs=4"), ({"epoch_sleep": 0.5}, "epoch_sleep=0.0")):
        with pytest.raises(ConfigError, match=f"trained with {why}"):
            run_study("synthetic", "none", "random", 3, store_dir=tmp_path, table=table,
                      params=bad)
