"""Fixtures for the micro-benchmarks (``bench_*.py``, collected only with
``-o python_files='bench_*.py'``, as ``nox -s microbench`` does)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import import_real
from trainsmart_bench.datasets import get_loader
from trainsmart_bench.datasets.cache import data_dir, shared_datasets_dir

# Read at import, before the autouse fixture points TRAINSMART_DATA_DIR at an empty temp dir:
# the data the user already has (TRAINSMART_DATA_DIR, else the user's cache).
USER_DATA = data_dir()


@pytest.fixture(scope="session")
def installed_dataset(tmp_path_factory) -> Callable[[str], Path]:
    """``installed_dataset(name)``: a data dir where ``name`` is installed and its parsed cache
    written: the user's copy, else one imported from ``../shared/datasets``; skips otherwise."""
    imported = tmp_path_factory.mktemp("microbench-data")

    def get(name: str) -> Path:
        where = USER_DATA
        if not get_loader(name, where).is_ready():
            shared = shared_datasets_dir()
            if shared is None:
                pytest.skip(f"{name} is not installed in {USER_DATA} and no shared copy "
                            "(../shared/datasets) is there to import")
            where = imported
            import_real(name, where, shared)
        get_loader(name, where).load()  # writes the parsed cache if it is missing
        return where

    return get
