"""`trainsmart run --ray-address`: cells as Ray tasks on a real local two-node cluster."""

from __future__ import annotations

import pytest

from trainsmart_bench.errors import ConfigError
from trainsmart_bench.execution.matrix import Cell, run_cell, run_matrix
from trainsmart_bench.results import RecordStore, Status

pytest.importorskip("torch")
# one Ray cluster at a time (the session dir, the cluster address file): one xdist worker
pytestmark = pytest.mark.xdist_group("ray")


def test_matrix_cells_spread_over_both_nodes(ray_cluster, tmp_path):
    cells = [Cell("digits-mlp", "torch", "cpu", s) for s in range(4)]
    store = RecordStore(tmp_path)
    records = run_matrix(cells, store, ray_address=ray_cluster.address, threads=1,
                         params={"epochs": 2})
    assert sorted(r.seed for r in records) == [0, 1, 2, 3]
    assert all(r.status is Status.OK for r in records), [r.error for r in records]
    nodes = {r.env["node"]["ray_node_id"] for r in records}
    assert len(nodes) == 2, "SPREAD placed the runs on both nodes"
    local = run_cell(cells[0], threads=1, params={"epochs": 2})
    ray_rec = next(r for r in records if r.seed == 0)
    assert set(ray_rec.to_dict()) == set(local.to_dict())
    assert set(ray_rec.metrics) == set(local.metrics)
    assert ray_rec.curve[-1]["loss"] == local.curve[-1]["loss"], "same seed, same training"
    assert len(list(tmp_path.glob("*.json"))) == 4


def test_cells_never_share_a_core_and_say_which_they_had(ray_cluster, tmp_path):
    """Two one-thread cells run at once on the two one-CPU nodes of this host: each is pinned
    to a core of its own. A two-thread cell fits on no node: refused before submitting."""
    cells = [Cell("digits-mlp", "torch", "cpu", s) for s in range(4)]
    records = run_matrix(cells, RecordStore(tmp_path), ray_address=ray_cluster.address,
                         threads=1, params={"epochs": 4})
    assert all(r.status is Status.OK for r in records), [r.error for r in records]
    for r in records:
        assert len(r.env["threads"]["cores"]) == 1 and r.identity_fields["threads"] == 1
    overlapping = [(a, b) for i, a in enumerate(records) for b in records[i + 1:]
                   if a.env["span"][0] < b.env["span"][1] and b.env["span"][0] < a.env["span"][1]]
    assert overlapping, "the two nodes ran cells at the same time"
    for a, b in overlapping:
        assert not set(a.env["threads"]["cores"]) & set(b.env["threads"]["cores"])
    with pytest.raises(ConfigError, match="no node of the Ray cluster has 2 CPUs"):
        run_matrix(cells[:1], RecordStore(tmp_path / "two"), ray_address=ray_cluster.address,
                   threads=2, params={"epochs": 2})
