"""Torch and Keras build the same function: same weights in, same outputs, same Adam step.

Two framework conventions are bridged here, not hidden:
* Adam's epsilon: torch adds it to sqrt(v_hat), Keras to sqrt(v) before bias correction
  ("epsilon hat"). At step t the two agree when eps_keras = eps_torch * sqrt(1 - beta2**t),
  so the one-step test gives Keras that value. It also raises epsilon to 1e-4 (both sides):
  Adam's first update is lr * g / (|g| + eps), which amplifies float32 differences in a
  gradient near 0 by lr / eps (1e4 at eps=1e-7: a 2e-9 reduction-order difference in one
  conv-kernel gradient moved one weight by 2e-5); at 1e-4 the amplification is 10;
* BatchNorm's running variance: torch updates it with the unbiased batch variance, Keras with
  the biased one, so moving variances differ by 0.1 * var / (n - 1) after a step and are
  compared with a looser tolerance (the normalization itself uses the biased variance in both).
The random batches repeat tokens, users and items, which is where stock Keras 3 Adam leaves
Adam (see test_keras_sparse_adam.py); the Keras backend's DenseGradAdam makes them agree.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.backends.backend_cases import KINDS, make_backend, task_data, tiny_task
from trainsmart_bench.backends.arch import ADAM_BETAS

FORWARD_ATOL = 1e-5
STEP_RTOL, STEP_ATOL = 1e-4, 1e-5
MOVING_VAR_RTOL = 1e-3
STEP_EPS = 1e-4


@pytest.fixture(scope="module")
def backends():
    return make_backend("torch"), make_backend("keras")


def _pair(backends, kind: str, options: dict | None = None, **params):
    torch_b, keras_b = backends
    torch_b.setup("cpu", 1, 0)
    keras_b.setup("cpu", 1, 0)
    task, data = tiny_task(kind, options, dropout=0.0, **params), task_data(kind)
    ts, ks = torch_b.build(task, data), keras_b.build(task, data)
    keras_b.set_weights(ks, torch_b.get_weights(ts))
    return task, data, ts, ks


def _moving_var_slots(keras_state) -> set[int]:
    slots, pos = set(), 0
    for layer in keras_state.layers:
        if type(layer).__name__ == "BatchNormalization":
            slots.add(pos + 3)  # gamma, beta, moving_mean, moving_variance
        pos += len(layer.weights)
    return slots


VARIANTS = [(k, None) for k in KINDS] + [("cnn", {"dense": 16}), ("resnet", {"blocks": 2})]


@pytest.mark.parametrize(("kind", "options"), VARIANTS)
def test_same_forward(backends, kind, options):
    torch_b, keras_b = backends
    _, data, ts, ks = _pair(backends, kind, options)
    for a, b in zip(torch_b.get_weights(ts), keras_b.get_weights(ks)):
        assert a.shape == b.shape
    np.testing.assert_allclose(torch_b.predict(ts, data.x_val, 7),
                               keras_b.predict(ks, data.x_val, 7), rtol=0, atol=FORWARD_ATOL)


@pytest.mark.parametrize(("kind", "options"), VARIANTS[:-1])  # a 2-block resnet adds nothing
def test_same_adam_step(backends, kind, options):
    torch_b, keras_b = backends
    eps = torch_b.adam_epsilon
    torch_b.adam_epsilon = STEP_EPS
    keras_b.adam_epsilon = STEP_EPS * np.sqrt(1 - ADAM_BETAS[1])  # step 1: see the docstring
    try:
        _, data, ts, ks = _pair(backends, kind, options, weight_decay=0.05)
    finally:
        torch_b.adam_epsilon = keras_b.adam_epsilon = eps
    x, y = data.x_train[:16], data.y_train[:16]
    loss_t = torch_b.train_epoch(ts, x, y, 16)
    loss_k = keras_b.train_epoch(ks, x, y, 16)
    assert loss_t == pytest.approx(loss_k, rel=1e-5)
    moving_var = _moving_var_slots(ks)
    pairs = zip(torch_b.get_weights(ts), keras_b.get_weights(ks))
    for i, (wt, wk) in enumerate(pairs):
        rtol = MOVING_VAR_RTOL if i in moving_var else STEP_RTOL
        np.testing.assert_allclose(wt, wk, rtol=rtol, atol=STEP_ATOL, err_msg=f"weight {i}")
    np.testing.assert_allclose(torch_b.predict(ts, data.x_val, 8),
                               keras_b.predict(ks, data.x_val, 8), rtol=0, atol=1e-4)
