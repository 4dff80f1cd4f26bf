"""``--dist loadgroup`` (what ``nox -s tests`` runs) keeps an ``xdist_group`` in one worker, so
its module fixture runs once (tests/conftest.py fixes the group tag for pytest 9.2)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("xdist")
REPO = Path(__file__).resolve().parents[2]
GROUPED = '''
import os, pytest
pytestmark = pytest.mark.xdist_group("one")
@pytest.fixture(scope="module")
def once():
    with open(os.environ["SETUPS"], "a") as f:
        f.write(os.environ.get("PYTEST_XDIST_WORKER", "main") + "\\n")
@pytest.mark.parametrize("i", range(6))
def test_grouped(once, i): pass
'''
OTHERS = "import pytest\n@pytest.mark.parametrize('i', range(12))\ndef test_other(i): pass\n"


def test_a_group_runs_in_one_worker_and_its_module_fixture_once(tmp_path):
    (tmp_path / "test_grouped.py").write_text(GROUPED)
    (tmp_path / "test_others.py").write_text(OTHERS)
    setups = tmp_path / "setups.txt"
    env = {**os.environ, "SETUPS": str(setups), "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "-p", "tests.conftest", "-n", "2", "--dist", "loadgroup",
                          "--rootdir", str(tmp_path), str(tmp_path)],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert "18 passed" in out.stdout
    assert len(setups.read_text().split()) == 1, setups.read_text()
