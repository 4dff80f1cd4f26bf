"""Shared fixtures: a private data dir per test, and the shared real datasets when present."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "datasets"


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path_factory, monkeypatch):
    """Never touch the user's cache: every test gets TRAINSMART_DATA_DIR of its own."""
    monkeypatch.setenv("TRAINSMART_DATA_DIR", str(tmp_path_factory.mktemp("data")))
    if SHARED.is_dir():
        monkeypatch.setenv("TRAINSMART_SHARED_DATASETS", str(SHARED))
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.fixture(scope="session")
def shared_datasets() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"real datasets not found at {SHARED} (the ../shared/datasets folder)")
    return SHARED


@pytest.fixture(scope="session")
def real_data_dir(tmp_path_factory, shared_datasets) -> Path:
    """One data dir per session with the shared real copies imported on demand."""
    return tmp_path_factory.mktemp("real-data")


def import_real(name: str, data_dir: Path, shared: Path) -> None:
    """Import a shared copy into ``data_dir`` once (idempotent within a session)."""
    from trainsmart_bench.bench.data import SHARED_COPIES
    from trainsmart_bench.datasets import get_loader

    loader = get_loader(name, str(data_dir))
    if not loader.is_ready():
        loader.import_(shared / SHARED_COPIES[name])


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


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Make ``--dist loadgroup`` keep an ``xdist_group`` in one worker. pytest-xdist 3.8 tags
    a grouped test by setting ``item._nodeid`` to ``<id>@<group>``; pytest 9.2 keeps the id in
    ``item._id`` and ignores that, so every group was spread over the workers (a module
    fixture then ran once per worker, two Ray clusters at once). Tag it where pytest reads it;
    a no-op where xdist's own tag took."""
    if not getattr(config.option, "loadgroup", False):
        return
    from _pytest.nodeid import coerce_node_id

    for item in items:
        names = sorted({str(m.args[0] if m.args else m.kwargs.get("name", "default"))
                        for m in item.iter_markers("xdist_group")})
        if names and item.nodeid.rfind("@") <= item.nodeid.rfind("]"):
            item._id = coerce_node_id(f"{item.nodeid}@{'_'.join(names)}")


def pytest_configure(config):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
