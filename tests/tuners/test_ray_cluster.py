"""Trials as Ray tasks on a real local two-node cluster: spread, and recorded as on one node."""

from __future__ import annotations

import json

from trainsmart_bench.tuning.study import run_study

VOLATILE = {"timings", "node", "started"}


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
