"""Every backend pair builds the same function: same weights in, same outputs, same Adam step.

PyTorch, Keras on TensorFlow, Keras on JAX and Keras on PyTorch each run in a process of their
own (``parity_worker``; Keras picks its backend once per process), starting from the same
initial weights (torch's initialization, exchanged in Keras layout); every pair is compared.

Two framework conventions are bridged here, not hidden:
* Adam's epsilon: torch adds it to sqrt(v_hat), Keras (on every backend: its optimizer is
  backend-independent) to sqrt(v) before bias correction ("epsilon hat"). At step t the two
  agree when eps_keras = eps_torch * sqrt(1 - beta2**t), so the one-step test gives Keras
  that value. It also raises epsilon to 1e-4 (all sides): Adam's first update is
  lr * g / (|g| + eps), which amplifies float32 differences in a gradient near 0 by lr / eps
  (1e4 at eps=1e-7: a 2e-9 reduction-order difference in one conv-kernel gradient moved one
  weight by 2e-5); at 1e-4 the amplification is 10;
* BatchNorm's running variance: torch updates it with the unbiased batch variance, Keras (on
  every backend) with the biased one, so torch's moving variances differ from Keras' by
  0.1 * var / (n - 1) after a step and are compared with a looser tolerance in torch-Keras
  pairs (the normalization itself uses the biased variance in both). Keras-Keras pairs use
  the strict tolerance throughout.
The same tolerances hold for every pair; no backend needs one of its own. The random batches
repeat tokens, users and items, which is where stock Keras 3 Adam on TensorFlow leaves Adam
(see test_keras_sparse_adam.py); DenseGradAdam makes it agree with the dense gradients JAX and
PyTorch produce.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.backends.backend_cases import module_available
from tests.backends.parity_worker import CASES, case_id

FORWARD_ATOL = 1e-5
STEP_RTOL, STEP_ATOL = 1e-4, 1e-5
MOVING_VAR_RTOL = 1e-3
AFTER_ATOL = 1e-4
BACKENDS = ("torch", "keras-tf", "keras-jax", "keras-torch")
PAIRS = list(itertools.combinations(BACKENDS, 2))
REPO = Path(__file__).resolve().parents[2]
IDS = [case_id(k, o) for k, o in CASES]
# four framework processes, ~2.5 min: nox -s tests_slow; one xdist worker for the module, so
# that its fixture runs them once for every test here
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("parity")]


def _worker(*args: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "2"}
    proc = subprocess.run([sys.executable, "-m", "tests.backends.parity_worker", *args],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, f"parity worker {args[0]} failed:\n{proc.stderr[-4000:]}"


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict[str, dict[str, np.ndarray]]:
    """Each backend's forward outputs and one-step results, from the same initial weights."""
    if not module_available("torch"):
        pytest.skip("the initial weights come from the torch backend")
    root = tmp_path_factory.mktemp("parity")
    weights = root / "init.npz"
    _worker("torch", "-", str(weights), "--init")
    out = {}
    for name in BACKENDS:
        if module_available(name):
            _worker(name, str(weights), str(root / f"{name}.npz"))
            out[name] = dict(np.load(root / f"{name}.npz"))
    return out


def _both(outputs, pair):
    missing = [b for b in pair if b not in outputs]
    if missing:
        pytest.skip(f"not installed: {', '.join(missing)}")
    return outputs[pair[0]], outputs[pair[1]]


@pytest.mark.parametrize("pair", PAIRS, ids="-vs-".join)
@pytest.mark.parametrize("case", IDS)
def test_same_forward(outputs, pair, case):
    a, b = _both(outputs, pair)
    np.testing.assert_allclose(a[f"{case}/forward"], b[f"{case}/forward"], rtol=0,
                               atol=FORWARD_ATOL)


@pytest.mark.parametrize("pair", PAIRS, ids="-vs-".join)
@pytest.mark.parametrize("case", IDS[:-1])  # a 2-block resnet adds nothing to the step
def test_same_adam_step(outputs, pair, case):
    a, b = _both(outputs, pair)
    assert float(a[f"{case}/loss"]) == pytest.approx(float(b[f"{case}/loss"]), rel=1e-5)
    keras_vs_torch = "torch" in pair
    moving_var = set(b[f"{case}/moving_var"].tolist()) if keras_vs_torch else set()
    n = sum(k.startswith(f"{case}/step") for k in a)
    assert n == sum(k.startswith(f"{case}/step") for k in b) and n > 0
    for i in range(n):
        rtol = MOVING_VAR_RTOL if i in moving_var else STEP_RTOL
        np.testing.assert_allclose(a[f"{case}/step{i}"], b[f"{case}/step{i}"], rtol=rtol,
                                   atol=STEP_ATOL, err_msg=f"weight {i}")
    np.testing.assert_allclose(a[f"{case}/after"], b[f"{case}/after"], rtol=0, atol=AFTER_ATOL)
