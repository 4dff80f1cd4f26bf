"""Keras 3 functional models for every model kind, layer for layer like torch_models.

Each builder returns ``(model, weighted_layers)``: the layers that hold weights, in creation
order, which is the order ``get_weights``/``set_weights`` exchange them in (the same order the
torch modules are declared in). Strided 3x3 convolutions pad explicitly by one pixel on every
side and then run 'valid', exactly like torch's ``padding=1``; Keras 'same' would pad only the
bottom/right for even inputs and shift every window. The sequence kinds are built in
``keras_sequence``.
"""

from __future__ import annotations

import keras
from keras import layers, ops

from trainsmart_bench.backends import keras_sequence
from trainsmart_bench.backends.arch import BN_EPS, BN_MOMENTUM, EMBED_RANGE, Arch, resnet_blocks


class _Builder:
    """Creates layers with the shared initializers and remembers the weighted ones."""

    def __init__(self) -> None:
        self.weighted: list[layers.Layer] = []

    def keep(self, layer: layers.Layer) -> layers.Layer:
        self.weighted.append(layer)
        return layer

    def dense(self, units: int, activation: str | None = None) -> layers.Layer:
        return self.keep(layers.Dense(units, activation=activation,
                                      kernel_initializer="glorot_uniform",
                                      bias_initializer="zeros"))

    def conv2d(self, filters: int, k: int, stride: int = 1, padding: str = "valid",
               activation: str | None = None, bias: bool = True) -> layers.Layer:
        return self.keep(layers.Conv2D(filters, k, strides=stride, padding=padding,
                                       activation=activation, use_bias=bias,
                                       kernel_initializer="glorot_uniform",
                                       bias_initializer="zeros"))

    def conv1d(self, filters: int, k: int, activation: str | None = None) -> layers.Layer:
        return self.keep(layers.Conv1D(filters, k, activation=activation,
                                       kernel_initializer="glorot_uniform",
                                       bias_initializer="zeros"))

    def batch_norm(self) -> layers.Layer:
        return self.keep(layers.BatchNormalization(momentum=1.0 - BN_MOMENTUM, epsilon=BN_EPS))

    def embedding(self, n: int, dim: int, zeros: bool = False) -> layers.Layer:
        init = "zeros" if zeros else keras.initializers.RandomUniform(-EMBED_RANGE, EMBED_RANGE)
        return self.keep(layers.Embedding(n, dim, embeddings_initializer=init))


def _dense_stack(b: _Builder, h, widths: tuple[int, ...], n_out: int, dropout: float):
    for w in widths:
        h = b.dense(w, "relu")(h)
        if dropout > 0:
            h = layers.Dropout(dropout)(h)
    return b.dense(n_out)(h)


def mlp(b: _Builder, arch: Arch):
    inp = keras.Input(arch.input_shape)
    return inp, _dense_stack(b, layers.Flatten()(inp), arch.hidden, arch.n_outputs, arch.dropout)


def cnn(b: _Builder, arch: Arch):
    inp = h = keras.Input(arch.input_shape)
    for filters in arch.conv:
        h = layers.MaxPooling2D(2)(b.conv2d(filters, 3, activation="relu")(h))
    h = layers.Flatten()(h)
    if arch.dropout > 0:
        h = layers.Dropout(arch.dropout)(h)
    return inp, _dense_stack(b, h, (arch.dense,) if arch.dense else (), arch.n_outputs, 0.0)


def _conv_bn(b: _Builder, h, filters: int, k: int, stride: int):
    if k == 3 and stride > 1:  # torch padding=1: one pixel on every side, then valid
        h = layers.ZeroPadding2D(((1, 1), (1, 1)))(h)
        conv = b.conv2d(filters, k, stride, "valid", bias=False)
    else:  # 3x3 stride 1 'same' pads 1 on every side; 1x1 needs no padding
        conv = b.conv2d(filters, k, stride, "same" if k > 1 else "valid", bias=False)
    return b.batch_norm()(conv(h))


def resnet(b: _Builder, arch: Arch):
    inp = keras.Input(arch.input_shape)
    h = layers.ReLU()(_conv_bn(b, inp, arch.widths[0], 3, 1))
    for blk in resnet_blocks(arch):
        out = layers.ReLU()(_conv_bn(b, h, blk.cout, 3, blk.stride))
        out = _conv_bn(b, out, blk.cout, 3, 1)
        short = _conv_bn(b, h, blk.cout, 1, blk.stride) if blk.project else h
        h = layers.ReLU()(layers.Add()([out, short]))
    h = layers.GlobalAveragePooling2D()(h)
    if arch.dropout > 0:
        h = layers.Dropout(arch.dropout)(h)
    return inp, b.dense(arch.n_outputs)(h)


def embed_pool(b: _Builder, arch: Arch):
    inp = keras.Input(arch.input_shape, dtype="int32")
    h = layers.GlobalAveragePooling1D()(b.embedding(arch.vocab, arch.embed_dim)(inp))
    return inp, _dense_stack(b, h, arch.hidden, arch.n_outputs, arch.dropout)


def cnn1d(b: _Builder, arch: Arch):
    inp = keras.Input(arch.input_shape, dtype="int32")
    h = b.embedding(arch.vocab, arch.embed_dim)(inp)
    h = layers.GlobalMaxPooling1D()(b.conv1d(arch.filters, arch.kernel, "relu")(h))
    if arch.dropout > 0:
        h = layers.Dropout(arch.dropout)(h)
    return inp, b.dense(arch.n_outputs)(h)


def mf(b: _Builder, arch: Arch):
    inp = keras.Input((2,), dtype="int32")
    u, i = inp[:, 0], inp[:, 1]
    pu = b.embedding(arch.n_users, arch.factors)(u)
    qi = b.embedding(arch.n_items, arch.factors)(i)
    bu = b.embedding(arch.n_users, 1, zeros=True)(u)
    bi = b.embedding(arch.n_items, 1, zeros=True)(i)
    dot = ops.sum(pu * qi, axis=-1)
    return inp, dot + ops.squeeze(bu, -1) + ops.squeeze(bi, -1) + arch.mean


BUILDERS = {"mlp": mlp, "cnn": cnn, "resnet": resnet, "embed-pool": embed_pool,
            "cnn1d": cnn1d, "lstm": keras_sequence.lstm,
            "transformer": keras_sequence.transformer, "mf": mf}


def build_model(arch: Arch) -> tuple[keras.Model, list[layers.Layer]]:
    b = _Builder()
    inp, out = BUILDERS[arch.kind](b, arch)
    return keras.Model(inp, out, name=arch.kind.replace("-", "_")), b.weighted
