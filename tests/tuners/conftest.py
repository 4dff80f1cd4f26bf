"""Tuner-test fixtures: a real two-node local Ray cluster, always shut down."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def ray_cluster():
    """Head + one worker node, one CPU each; yields the address the driver connects to."""
    pytest.importorskip("ray")
    import ray
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True,
                      head_node_args={"num_cpus": 1, "include_dashboard": False})
    try:
        cluster.add_node(num_cpus=1)
        cluster.wait_for_nodes()
        yield cluster
    finally:
        if ray.is_initialized():
            ray.shutdown()
        cluster.shutdown()
