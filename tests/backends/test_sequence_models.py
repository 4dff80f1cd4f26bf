"""The sequence models (imdb-lstm, imdb-transformer): what parity alone does not show.

Padding cannot leak into the transformer, the LSTM keeps the settings of the fused GPU
kernels, and torch's second LSTM bias stays the zero that Keras' single bias assumes.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.backends.backend_cases import make_backend, task_data, tiny_task

NEURAL = ("torch", "keras")


@pytest.mark.parametrize("name", NEURAL)
def test_transformer_ignores_whatever_the_padding_embeds(name):
    """Padding keys are masked and the mean skips padding positions, so the PAD token's
    embedding row, whatever it holds, changes no output (an all-padding row included)."""
    backend = make_backend(name)
    task, data = tiny_task("transformer", dropout=0.0), task_data("transformer")
    assert (data.x_val == 0).any() and (data.x_val == 0).all(axis=1).any()
    state = backend.build(task, data)
    before = backend.predict(state, data.x_val, 8)
    weights = backend.get_weights(state)  # [0]: the token embeddings, [1]: the positions
    weights[0][0] = np.random.default_rng(1).normal(0, 5, 8)
    backend.set_weights(state, weights)
    np.testing.assert_allclose(backend.predict(state, data.x_val, 8), before, atol=1e-6)
    # a real token's embedding does matter (a random change: layer norm cancels a constant)
    weights[0][data.x_val[data.x_val > 0][0]] += np.random.default_rng(2).normal(0, 1, 8)
    backend.set_weights(state, weights)
    assert not np.allclose(backend.predict(state, data.x_val, 8), before, atol=1e-4)


@pytest.mark.parametrize("name", NEURAL)
def test_lstm_reads_padding_like_any_token(name):
    """No mask on the LSTM (documented): the PAD embedding does change the output."""
    backend = make_backend(name)
    task, data = tiny_task("lstm", dropout=0.0), task_data("lstm")
    state = backend.build(task, data)
    before = backend.predict(state, data.x_val, 8)
    weights = backend.get_weights(state)
    weights[0][0] += np.random.default_rng(2).normal(0, 1, 8)
    backend.set_weights(state, weights)
    assert not np.allclose(backend.predict(state, data.x_val, 8), before, atol=1e-4)


def test_lstm_keeps_the_fused_kernel_conditions():
    """Keras picks cuDNN only for tanh/sigmoid, unroll=False, biases on and no recurrent
    dropout; torch's nn.LSTM runs cuDNN with its fixed activations when it has no dropout."""
    torch_b, keras_b = make_backend("torch"), make_backend("keras")
    task, data = tiny_task("lstm", dropout=0.3), task_data("lstm")
    (bidirectional,) = [layer for layer in keras_b.build(task, data).layers
                        if type(layer).__name__ == "Bidirectional"]
    for cell in (bidirectional.forward_layer, bidirectional.backward_layer):
        config = cell.get_config()
        assert config["activation"] == "tanh" and config["recurrent_activation"] == "sigmoid"
        assert config["use_bias"] and not config["unroll"]
        assert config["dropout"] == 0 and config["recurrent_dropout"] == 0
        assert cell.use_cudnn == "auto"
    rnn = torch_b.build(task, data).model.lstm.rnn
    assert rnn.bias and rnn.dropout == 0 and rnn.batch_first and rnn.bidirectional


def test_torch_lstm_second_bias_stays_zero_and_folds_into_keras_bias():
    backend = make_backend("torch")
    task, data = tiny_task("lstm", weight_decay=0.05), task_data("lstm")
    state = backend.build(task, data)
    rnn = state.model.lstm.rnn
    units = rnn.hidden_size
    for sfx in ("", "_reverse"):  # unit forget bias at init, the rest zero
        b_ih = getattr(rnn, f"bias_ih_l0{sfx}").detach().numpy()
        np.testing.assert_array_equal(b_ih[units:2 * units], 1.0)
        assert not b_ih[:units].any() and not b_ih[2 * units:].any()
    for _ in range(3):
        backend.train_epoch(state, data.x_train, data.y_train, 8)
    for sfx in ("", "_reverse"):
        assert not getattr(rnn, f"bias_hh_l0{sfx}").detach().numpy().any()
    weights = backend.get_weights(state)
    np.testing.assert_array_equal(weights[3], rnn.bias_ih_l0.detach().numpy())  # fwd bias
    np.testing.assert_array_equal(weights[1], rnn.weight_ih_l0.detach().numpy().T)
