"""The Backend contract and the mode checks for Keras on JAX and on PyTorch.

Keras picks its backend once per process, and the test process runs Keras on TensorFlow, so
the conformance tests (``test_conformance.py``) run once more for each of the other Keras
backends, in a pytest process of their own selecting that backend's cases.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.backends.backend_cases import module_available

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", ["keras-jax", "keras-torch"])
def test_conformance_in_a_process_of_its_own(name):
    if not module_available(name):
        pytest.skip(f"{name} is not installed")
    env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "2"}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/backends/test_conformance.py", "-q", "-rs",
         "-p", "no:cacheprovider", "-k", name], cwd=REPO, env=env, capture_output=True,
        text=True, timeout=1800)
    tail = proc.stdout[-3000:]
    assert proc.returncode == 0, tail
    passed = re.search(r"(\d+) passed", tail)
    assert passed and int(passed.group(1)) >= 30, tail  # metadata, memory, 4 per model kind
    assert "skipped" not in tail.split("\n")[-2], tail  # every case ran on that backend


def test_the_all_extra_installs_every_backend():
    """nox, .ci/run and asv install ``.[all]`` (after pinning torch's CPU build): every
    backend's extra, jax's included, must be in it."""
    from trainsmart_bench.registry import BACKEND_EXTRAS

    tomllib = pytest.importorskip("tomllib" if sys.version_info >= (3, 11) else "tomli")
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]
    all_extras = set(re.search(r"\[(.*)\]", extras["all"][0]).group(1).split(","))
    assert {e for e in BACKEND_EXTRAS.values() if e} <= all_extras
    assert any(r.startswith("jax") for r in extras["jax"])
    noxfile = (REPO / "noxfile.py").read_text()
    assert 'TORCH_CPU = "torch==2.13.0"' in noxfile and '".[{extras}]"' in noxfile
