"""Trials as Ray tasks on a real local two-node cluster: spread, and recorded as on one node."""

from __future__ import annotations

import json

import pytest

from trainsmart_bench.tuning.study import run_study

VOLATILE = {"timings", "node", "started"}
# one Ray cluster at a time (the session dir, the cluster address file): one xdist worker
pytestmark = pytest.mark.xdist_group("ray")


def comparable(record) -> dict:
    d = record.to_dict()
    return {k: v for k, v in d.items() if k not in VOLATILE}


def test_two_node_cluster_runs_trials_on_both_nodes(ray_cluster, tmp_path):
    kw = {"budget_trials": 4, "study_seed": 0, "params": {"epochs": 3}, "timeout": 120}
    on_ray = run_study("synthetic", "none", "ray-asha", store_dir=tmp_path / "ray",
                       ray_address=ray_cluster.address, **kw)
    local = run_study("synthetic", "none", "ray-asha", store_dir=tmp_path / "local", **kw)

    nodes = {r.node["ray_node_id"] for r in on_ray.trials}
    assert len(nodes) == 2, nodes  # head and worker node each ran trials
    assert all(r.node["hostname"] and r.node["pid"] for r in on_ray.trials)
    assert all(r.node["ray_node_id"] is None for r in local.trials)

    assert [comparable(r) for r in on_ray.trials] == [comparable(r) for r in local.trials]
    for a, b in zip(on_ray.trials, local.trials):
        assert set(a.to_dict()) == set(b.to_dict())
        assert set(a.timings) == set(b.timings) and set(a.node) == set(b.node)
    assert on_ray.summary["evaluation"] == "ray" and local.summary["evaluation"] == "process"
    keys = set(on_ray.summary) - {"env"}
    assert keys == set(local.summary) - {"env"}
    ray_files = sorted(p.name for p in on_ray.path.iterdir())
    assert ray_files == sorted(p.name for p in local.path.iterdir())
    json.loads((on_ray.path / "trial-0000.json").read_text())


def test_two_workers_run_trials_at_once_and_observe_in_finish_order(ray_cluster, tmp_path):
    kw = {"budget_trials": 6, "params": {"epochs": 3, "epoch_sleep": 0.4}, "timeout": 120,
          "ray_address": ray_cluster.address}
    s = run_study("synthetic", "none", "ray-asha", store_dir=tmp_path, workers=2, **kw)
    assert "__w2__" in s.config.study_id and s.summary["evaluation"] == "ray"
    recs = s.trials  # in the order they finished
    spans = [(r.timings["started_at"], r.timings["finished_at"]) for r in recs]
    assert [e for _, e in spans] == sorted(e for _, e in spans)
    in_flight = [sum(a <= t < b for a, b in spans) for t, _ in spans]
    assert max(in_flight) == 2  # two at once, never more
    assert sum(b - a for a, b in spans) > spans[-1][1] - min(a for a, _ in spans)  # overlap
    assert len({r.node["ray_node_id"] for r in recs}) == 2  # one CPU per node: both used
    assert sorted(p.name for p in s.path.glob("trial-*.json")) == [
        f"trial-{i:04d}.json" for i in range(6)]
    assert s.summary["best_so_far_wallclock"][-1][0] == pytest.approx(spans[-1][1], abs=1e-5)
