"""The test sessions: every core unless the caller chose, and the slow tests in CI too."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def noxfile():
    pytest.importorskip("nox")
    spec = importlib.util.spec_from_file_location("noxfile_under_test", REPO / "noxfile.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_workers_per_core_unless_the_caller_chose(noxfile, monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    assert noxfile.parallel(["-q"]) == ["-n", "2", "--dist", "loadgroup"]
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(16)))
    assert noxfile.parallel([]) == ["-n", "4", "--dist", "loadgroup"]
    for chose in (["-n", "0"], ["-n0"], ["--numprocesses=3"], ["-p", "no:xdist"]):
        assert noxfile.parallel(chose) == [], chose
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
    assert noxfile.parallel([]) == []


def test_ci_runs_the_slow_tests_too():
    lines = (REPO / ".ci" / "run").read_text().splitlines()
    assert "nox -s tests -- -q" in lines and "nox -s tests_slow -- -q" in lines
