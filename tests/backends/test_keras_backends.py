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

from tests.backends.backend_cases import KINDS, module_available

REPO = Path(__file__).resolve().parents[2]
KERAS_ON = {"keras-jax": "jax", "keras-torch": "torch"}


# Each backend's cases in a few processes, so that xdist's workers share them: a chunk is
# some model kinds (4 tests each; None: the 3 tests without a model kind), balanced by the
# time JAX spends compiling them (an LSTM alone costs as much as five small kinds).
CHUNKS = {"keras-jax": [("lstm",), ("transformer", "cnn1d", None),
                        ("resnet", "embed-pool", "mf", "mlp", "cnn")],
          "keras-torch": [(*KINDS, None)]}
# XLA at optimization level 0: these tests check the adapter's contract (shapes, weights,
# seeds, batch order), not XLA's optimizer, and compile in about half the time
XLA_FAST = "--xla_backend_optimization_level=0 --xla_llvm_disable_expensive_passes=true"


# JAX's two costliest chunks (an LSTM, a transformer: about 75 s each to compile here) run
# with the slow tests (`nox -s tests_slow`, which .ci/run runs too); the rest in `nox -s tests`
SLOW_CHUNKS = {("keras-jax", ("lstm",)), ("keras-jax", ("transformer", "cnn1d", None))}


@pytest.mark.parametrize(("name", "kinds"), [
    pytest.param(n, c, marks=[pytest.mark.slow] if (n, c) in SLOW_CHUNKS else [])
    for n, chunks in CHUNKS.items() for c in chunks],
                         ids=lambda v: "+".join(k or "any" for k in v) if isinstance(v, tuple)
                         else v)
def test_conformance_in_a_process_of_its_own(name, kinds):
    if not module_available(name):
        pytest.skip(f"{name} is not installed")
    # Keras starts on that backend there before any backend module is imported
    # (backend_cases.start_keras_here)
    env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "2",
           "KERAS_BACKEND": KERAS_ON[name],
           "XLA_FLAGS": f"{os.environ.get('XLA_FLAGS', '')} {XLA_FAST}".strip()}
    select = " or ".join(f"{name}-{k}]" if k else f"{name}]" for k in kinds)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/backends/test_conformance.py", "-q", "-rs",
         "-p", "no:cacheprovider", "-k", select], cwd=REPO, env=env, capture_output=True,
        text=True, timeout=1800)
    tail = proc.stdout[-3000:]
    assert proc.returncode == 0, tail
    passed = re.search(r"(\d+) passed", tail)
    per_chunk = sum(4 if k else 3 for k in kinds)  # metadata, memory, registry; 4 per kind
    assert passed and int(passed.group(1)) == per_chunk, tail
    assert "skipped" not in tail.split("\n")[-2], tail  # every case ran on that backend


def test_the_chunks_cover_every_kind_once():
    for name, chunks in CHUNKS.items():
        kinds = [k for c in chunks for k in c]
        assert sorted(kinds, key=str) == sorted([*KINDS, None], key=str), name


def test_the_all_extra_installs_every_backend():
    """nox, .ci/run and asv install ``.[all]`` (after pinning torch's CPU build): every
    adapter's extra, jax's included, must be in it."""
    from trainsmart_bench.registry import ENTRIES

    tomllib = pytest.importorskip("tomllib" if sys.version_info >= (3, 11) else "tomli")
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]
    all_extras = set(re.search(r"\[(.*)\]", extras["all"][0]).group(1).split(","))
    used = {e.extra for table in ENTRIES.values() for e in table.values() if e.extra}
    assert used <= all_extras, used - all_extras  # every adapter's extra, tuners' too
    assert any(r.startswith("jax") for r in extras["jax"])
    noxfile = (REPO / "noxfile.py").read_text()
    assert 'TORCH_CPU = "torch==2.13.0"' in noxfile and '".[{extras}]"' in noxfile
