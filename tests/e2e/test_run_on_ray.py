"""`trainsmart run --ray-address`: cells as Ray tasks on a real local two-node cluster."""

from __future__ import annotations

import pytest

from trainsmart_bench.execution.matrix import Cell, run_cell, run_matrix
from trainsmart_bench.results import RecordStore, Status

pytest.importorskip("torch")


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
