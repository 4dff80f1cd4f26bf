"""Why the Keras backend densifies embedding gradients before Adam (see backends/keras_tf.py)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.backends.backend_cases import make_backend


def _first_step(optimizer_cls) -> float:
    tf = pytest.importorskip("tensorflow")
    keras = pytest.importorskip("keras")
    var = keras.Variable(np.zeros((3, 1), np.float32))
    # row 0 is looked up twice in the batch: two slices with the same index, gradient 1 each
    grad = tf.IndexedSlices(tf.ones((2, 1)), tf.constant([0, 0]), tf.constant([3, 1]))
    optimizer = optimizer_cls(learning_rate=1.0, epsilon=1e-12)
    optimizer.apply([grad], [var])
    return float(np.asarray(var)[0, 0])


def test_dense_grad_adam_takes_an_adam_step():
    """Adam's first step is -lr * sign(g) for the summed gradient g = 2."""
    make_backend("keras")
    from trainsmart_bench.backends.keras_tf import DenseGradAdam

    assert _first_step(DenseGradAdam) == pytest.approx(-1.0, rel=1e-5)


def test_stock_keras_adam_squares_slices_one_by_one():
    """A canary: stock Keras 3 Adam puts 1^2 + 1^2 into v instead of (1 + 1)^2, so its first
    step is sqrt(2) * lr. If this fails after an upgrade, Keras deduplicates sparse gradients
    again and DenseGradAdam can go."""
    keras = pytest.importorskip("keras")
    make_backend("keras")
    assert _first_step(keras.optimizers.Adam) == pytest.approx(-np.sqrt(2.0), rel=1e-5)
