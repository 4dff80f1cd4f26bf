"""Fixtures: tiny dataset copies in tmp_path (tests/conftest.py isolates the data dir)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.datasets.dataset_builders import write_imdb, write_latest, write_ml100k


@pytest.fixture
def data_dir(tmp_path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def imdb_dir(tmp_path) -> Path:
    return write_imdb(tmp_path / "src")


@pytest.fixture
def ml100k_dir(tmp_path) -> Path:
    return write_ml100k(tmp_path / "src")


@pytest.fixture
def latest_dir(tmp_path) -> Path:
    return write_latest(tmp_path / "src")
