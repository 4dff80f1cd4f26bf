"""Tuning tables: the design, the snapping rule, replaying a run, the file."""

from __future__ import annotations

import math

import pytest

from tests.tuning.helpers import entry, synthetic_header, synthetic_table
from trainsmart_bench.errors import ConfigError
from trainsmart_bench.results.unit import UnitSpec
from trainsmart_bench.space import Categorical, Float, Int, SearchSpace
from trainsmart_bench.tuning.design import design, to_value
from trainsmart_bench.tuning.simulate import Replay, TableEvaluator
from trainsmart_bench.tuning.table import Table, seed_spread

SPACE = SearchSpace({"lr": Float(1e-4, 1e-1, log=True), "d": Float(0.0, 0.5),
                     "units": Int(8, 128, log=True), "bs": Categorical((32, 64, 128))})


def test_design_is_a_prefix_stable_sequence_starting_with_the_small_grid():
    a, b = design(SPACE, 100, seed=3), design(SPACE, 200, seed=3)
    assert a == b[:100] and design(SPACE, 100, seed=4) != a
    grid = {tuple(sorted(c.items())) for c in SPACE.grid(3)}
    assert {tuple(sorted(c.items())) for c in b[:len(grid)]} == grid
    assert len({tuple(sorted(c.items())) for c in b}) == 200
    assert all(SPACE.validate(c) == c for c in b)


def test_design_maps_the_unit_cube_through_each_scale():
    assert to_value(SPACE.params["lr"], 0.5) == pytest.approx(math.sqrt(1e-4 * 1e-1))
    assert to_value(SPACE.params["d"], 0.5) == pytest.approx(0.25)
    assert [to_value(SPACE.params["bs"], u) for u in (0.0, 0.34, 0.99)] == [32, 64, 128]
    assert to_value(SPACE.params["units"], 0.0) == 8 and to_value(SPACE.params["units"], 1) == 128


def _table(configs):
    return Table(synthetic_header(), [entry(i, c) for i, c in enumerate(configs)])


BASE = {"x": 0.0, "units": 16, "layers": 2, "act": "relu"}


def test_snapping_is_nearest_in_log_space_for_log_parameters():
    t = _table([{**BASE, "lr": 1e-4}, {**BASE, "lr": 1e-2}])
    # 1.5e-3 is nearer 1e-4 on a linear scale, nearer 1e-2 on the log scale
    got, dist = t.lookup({**BASE, "lr": 1.5e-3})
    assert got["config"]["lr"] == 1e-2 and dist > 0
    assert t.lookup({**BASE, "lr": 1e-4}) == (t.entries[0], 0.0)


def test_snapping_keeps_categoricals_exact_where_the_table_has_them():
    t = _table([{**BASE, "lr": 1e-3, "act": "relu"}, {**BASE, "lr": 1e-1, "act": "tanh"}])
    got, _ = t.lookup({**BASE, "lr": 1e-3, "act": "tanh"})  # exact lr, other activation
    assert got["config"]["act"] == "tanh"
    got, _ = t.lookup({**BASE, "lr": 1e-3, "act": "sigmoid"})  # no sigmoid: nearest numerics
    assert got["config"]["lr"] == 1e-3


def _replay(t, epochs=4, keep=lambda e: True):
    spec = UnitSpec(t.header["task"], t.header["backend"],
                    params={**t.entries[0]["config"], "epochs": epochs})
    reports = []

    def on_epoch(r):
        reports.append(r.epoch)
        return keep(r.epoch)

    return TableEvaluator(t)(spec, 60.0, on_epoch), reports


def test_a_pruned_trial_costs_only_the_epochs_it_ran():
    t = Table(synthetic_header(), [entry(0, {**BASE, "lr": 1e-3}, epoch_s=2.0, startup_s=0.5)])
    full, _ = _replay(t)
    assert full["wall_s"] == pytest.approx(0.5 + 4 * 2.0) and full["status"] == "ok"
    pruned, reports = _replay(t, keep=lambda e: e < 2)
    assert reports == [1, 2] and pruned["timings"]["stopped_by"] == "pruned"
    assert pruned["wall_s"] == pytest.approx(0.5 + 2 * 2.0)
    assert pruned["metrics"]["epochs_trained"] == 2
    assert pruned["metrics"]["objective"] == pytest.approx(t.entries[0]["test"][1])
    short, _ = _replay(t, epochs=3)
    assert short["reported"] == t.entries[0]["val"][:3]
    with pytest.raises(ConfigError, match="holds 4 epochs"):
        _replay(t, epochs=5)


def test_patience_stops_where_the_loop_would_and_keeps_the_best_epochs_test_value():
    t = Table(synthetic_header(), [entry(0, {**BASE, "lr": 1e-3},
                                         curve=[3.0, 1.0, 2.0, 2.5, 0.5, 0.4])])
    r = Replay(t, t.entries[0], epochs=6, patience=2, distance=0.0)
    while not r.done:
        _, value, _ = r.next_epoch()
        r.go(value, True)
    result = r.result()
    assert result["reported"] == [3.0, 1.0, 2.0, 2.5] and r.stopped_by == "early_stopping"
    assert result["metrics"]["best_val"] == 1.0
    assert result["metrics"]["objective"] == t.entries[0]["test"][1]  # epoch 2's weights


def test_a_diverged_run_fails_the_trial_after_the_epochs_before_it():
    t = Table(synthetic_header(), [entry(0, {**BASE, "lr": 1e-3}, curve=[2.0, 1.5, None])])
    t.entries[0].update(status="failed", stopped_by="diverged", error="diverged at epoch 3")
    result, reports = _replay(t)
    assert reports == [1, 2] and result["status"] == "failed"
    assert "diverged" in result["error"] and result["wall_s"] == pytest.approx(0.5 + 3.0)


def test_seed_spread_is_the_median_range_over_replicated_configs():
    c = {**BASE, "lr": 1e-3}
    t = Table(synthetic_header(), [entry(0, c, curve=[1.0, 0.5]), entry(0, c, seed=1,
                                                                        curve=[1.0, 0.7]),
                                   entry(1, c, curve=[1.0, 0.2]), entry(1, c, seed=1,
                                                                        curve=[1.0, 0.3]),
                                   entry(2, c, curve=[0.1, 0.2])])
    assert seed_spread(t)["final"] == pytest.approx(0.15)  # median of 0.2 and 0.1
    assert [e["index"] for e in t.primary()] == [0, 1, 2]


def test_a_table_file_round_trips_with_a_content_digest(tmp_path):
    t = synthetic_table(5)
    path = t.save(tmp_path / "t.json.gz")
    back = Table.load(path)
    assert back.entries == t.entries and back.digest == t.digest
    back.entries[0]["val"][0] += 1.0
    assert Table.load(back.save(tmp_path / "changed.json.gz")).digest != t.digest
    (tmp_path / "bad.json.gz").write_bytes(b"not gzip")
    with pytest.raises(ConfigError, match="not a readable tuning table"):
        Table.load(tmp_path / "bad.json.gz")


def test_quantile_and_best_follow_the_direction():
    t = synthetic_table(40)
    bests = sorted(t.best(e) for e in t.primary())
    assert t.best_value() == bests[0]  # minimized
    assert t.quantile(0.05) == bests[1]  # 5% of 40 configs: the second best reaches it
