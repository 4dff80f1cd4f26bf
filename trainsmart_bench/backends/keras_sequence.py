"""Keras builders for the sequence kinds (``lstm``, ``transformer``), layer for layer like
``torch_sequence`` (which documents how the weights map).

The LSTM keeps every condition of Keras' cuDNN path (tanh/sigmoid, no recurrent dropout,
``unroll=False``, biases on, no mask), so ``use_cudnn="auto"`` picks the fused kernel on a GPU.
Neither side masks it: padding (id 0, at the end of a review) is read like any token, and
max-pooling runs over all steps. The transformer masks padding explicitly on both sides (a
key-padding mask in attention and a mean over non-padding positions), not through Keras'
implicit ``mask_zero`` propagation.
"""

from __future__ import annotations

import keras
from keras import layers, ops

from trainsmart_bench.backends.arch import (
    EMBED_RANGE,
    FORGET_BIAS,
    LN_EPS,
    PAD,
    Arch,
    attention_init_limit,
)


class PositionEmbedding(layers.Layer):
    """Adds a learned (maxlen, d) table to (N, T, d) inputs, T <= maxlen."""

    def __init__(self, maxlen: int, dim: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.maxlen, self.dim = maxlen, dim

    def build(self, input_shape) -> None:
        init = keras.initializers.RandomUniform(-EMBED_RANGE, EMBED_RANGE)
        self.embeddings = self.add_weight(shape=(self.maxlen, self.dim), initializer=init,
                                          name="embeddings")

    def call(self, x):
        return x + self.embeddings[: ops.shape(x)[1]]


def _bilstm(units: int) -> layers.Layer:
    assert FORGET_BIAS == 1.0, "Keras' unit_forget_bias sets exactly 1.0"
    cell = layers.LSTM(units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                       kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                       bias_initializer="zeros", unit_forget_bias=True, dropout=0.0,
                       recurrent_dropout=0.0, return_sequences=True, unroll=False,
                       use_cudnn="auto")
    return layers.Bidirectional(cell, merge_mode="concat")


def lstm(b, arch: Arch):
    inp = keras.Input(arch.input_shape, dtype="int32")
    h = b.embedding(arch.vocab, arch.embed_dim)(inp)
    h = layers.GlobalMaxPooling1D()(b.keep(_bilstm(arch.units))(h))
    if arch.dropout > 0:
        h = layers.Dropout(arch.dropout)(h)
    return inp, b.dense(arch.n_outputs)(h)


def _layer_norm(b):
    return b.keep(layers.LayerNormalization(epsilon=LN_EPS))


def _dropout(h, rate: float):
    return layers.Dropout(rate)(h) if rate > 0 else h


def _encoder_block(b, h, attention_mask, arch: Arch):
    """Layers created in torch's declaration order: norm, attention, norm, dense, dense."""
    limit = attention_init_limit(arch)
    a = _layer_norm(b)(h)
    mha = b.keep(layers.MultiHeadAttention(
        arch.heads, arch.head_dim, dropout=0.0, use_bias=True,
        kernel_initializer=keras.initializers.RandomUniform(-limit, limit),
        bias_initializer="zeros"))
    h = h + _dropout(mha(a, a, attention_mask=attention_mask), arch.dropout)
    m = _layer_norm(b)(h)
    m = b.dense(arch.mlp, lambda x: ops.gelu(x, approximate=False))(m)
    m = b.dense(arch.embed_dim)(m)
    return h + _dropout(m, arch.dropout)


def transformer(b, arch: Arch):
    inp = keras.Input(arch.input_shape, dtype="int32")
    real = ops.not_equal(inp, PAD)  # (N, T)
    keep = ops.cast(real, "float32")
    h = b.embedding(arch.vocab, arch.embed_dim)(inp)
    h = b.keep(PositionEmbedding(arch.input_shape[0], arch.embed_dim))(h)
    attention_mask = ops.expand_dims(real, 1)  # (N, 1, T): every query sees the real keys
    for _ in range(arch.depth):
        h = _encoder_block(b, h, attention_mask, arch)
    h = _layer_norm(b)(h)
    count = ops.maximum(ops.sum(keep, axis=1, keepdims=True), 1.0)
    pooled = ops.sum(h * ops.expand_dims(keep, -1), axis=1) / count
    return inp, b.dense(arch.n_outputs)(_dropout(pooled, arch.dropout))
