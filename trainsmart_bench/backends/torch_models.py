"""torch.nn modules for every model kind, with explicit init and Keras-layout weight exchange.

Modules are declared in the same order as the Keras builder creates its layers, so
``keras_layers(model)`` lists the weighted layers in Keras order. Conv models take NCHW.
The sequence kinds live in ``torch_sequence``; their multi-array layers are ``KerasUnit``s.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from trainsmart_bench.backends.arch import (
    BN_EPS,
    BN_MOMENTUM,
    EMBED_RANGE,
    Arch,
    Block,
    cnn_feature_shape,
    resnet_blocks,
)
from trainsmart_bench.backends.torch_sequence import (
    KerasUnit,
    LSTMClassifier,
    TransformerClassifier,
)

WEIGHTED = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Embedding, nn.BatchNorm2d, nn.LayerNorm)


def _dense_stack(dims: tuple[int, ...], dropout: float) -> list[nn.Module]:
    """Linear-ReLU(-Dropout) for every hidden width, then a final Linear (logits)."""
    layers: list[nn.Module] = []
    for a, b in zip(dims[:-2], dims[1:-1]):
        layers += [nn.Linear(a, b), nn.ReLU()]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
    layers.append(nn.Linear(dims[-2], dims[-1]))
    return layers


def mlp(arch: Arch) -> nn.Module:
    dims = (int(np.prod(arch.input_shape)), *arch.hidden, arch.n_outputs)
    return nn.Sequential(nn.Flatten(), *_dense_stack(dims, arch.dropout))


def cnn(arch: Arch) -> nn.Module:
    layers: list[nn.Module] = []
    cin = arch.input_shape[-1]
    for filters in arch.conv:
        layers += [nn.Conv2d(cin, filters, 3), nn.ReLU(), nn.MaxPool2d(2)]
        cin = filters
    h, w, c = cnn_feature_shape(arch)
    layers.append(nn.Flatten())
    if arch.dropout > 0:
        layers.append(nn.Dropout(arch.dropout))
    head = _dense_stack((h * w * c, *((arch.dense,) if arch.dense else ()), arch.n_outputs), 0.0)
    head[0].keras_flatten_chw = (c, h, w)  # Keras flattens HWC: permute rows on exchange
    return nn.Sequential(*layers, *head)


def _conv_bn(cin: int, cout: int, k: int, stride: int) -> tuple[nn.Conv2d, nn.BatchNorm2d]:
    conv = nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, bias=False)
    return conv, nn.BatchNorm2d(cout, eps=BN_EPS, momentum=BN_MOMENTUM)


class BasicBlock(nn.Module):
    def __init__(self, b: Block) -> None:
        super().__init__()
        self.conv1, self.bn1 = _conv_bn(b.cin, b.cout, 3, b.stride)
        self.conv2, self.bn2 = _conv_bn(b.cout, b.cout, 3, 1)
        self.shortcut = nn.Sequential(*_conv_bn(b.cin, b.cout, 1, b.stride)) if b.project \
            else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return torch.relu(out + self.shortcut(x))


class ResNet(nn.Module):
    def __init__(self, arch: Arch) -> None:
        super().__init__()
        self.conv, self.bn = _conv_bn(arch.input_shape[-1], arch.widths[0], 3, 1)
        self.blocks = nn.Sequential(*(BasicBlock(b) for b in resnet_blocks(arch)))
        self.dropout = nn.Dropout(arch.dropout) if arch.dropout > 0 else nn.Identity()
        self.fc = nn.Linear(arch.widths[-1], arch.n_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.blocks(torch.relu(self.bn(self.conv(x))))
        return self.fc(self.dropout(x.mean(dim=(2, 3))))


class EmbedPool(nn.Module):
    def __init__(self, arch: Arch) -> None:
        super().__init__()
        self.embedding = nn.Embedding(arch.vocab, arch.embed_dim)
        self.head = nn.Sequential(*_dense_stack((arch.embed_dim, *arch.hidden, arch.n_outputs),
                                                arch.dropout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.embedding(x).mean(dim=1))


class TextCNN(nn.Module):
    def __init__(self, arch: Arch) -> None:
        super().__init__()
        self.embedding = nn.Embedding(arch.vocab, arch.embed_dim)
        self.conv = nn.Conv1d(arch.embed_dim, arch.filters, arch.kernel)
        self.dropout = nn.Dropout(arch.dropout) if arch.dropout > 0 else nn.Identity()
        self.fc = nn.Linear(arch.filters, arch.n_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.conv(self.embedding(x).transpose(1, 2)))
        return self.fc(self.dropout(h.amax(dim=2)))


class BiasedMF(nn.Module):
    """rating = mean + b_u + b_i + <p_u, q_i>; x is (N, 2) of (user, item)."""

    def __init__(self, arch: Arch) -> None:
        super().__init__()
        self.user = nn.Embedding(arch.n_users, arch.factors)
        self.item = nn.Embedding(arch.n_items, arch.factors)
        self.user_bias = nn.Embedding(arch.n_users, 1)
        self.item_bias = nn.Embedding(arch.n_items, 1)
        self.user_bias.zero_init = self.item_bias.zero_init = True
        self.mean = float(arch.mean)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        u, i = x[:, 0], x[:, 1]
        dot = (self.user(u) * self.item(i)).sum(dim=1)
        return dot + self.user_bias(u).squeeze(1) + self.item_bias(i).squeeze(1) + self.mean


BUILDERS = {"mlp": mlp, "cnn": cnn, "resnet": ResNet, "embed-pool": EmbedPool,
            "cnn1d": TextCNN, "lstm": LSTMClassifier, "transformer": TransformerClassifier,
            "mf": BiasedMF}


def build_module(arch: Arch) -> nn.Module:
    model = BUILDERS[arch.kind](arch)
    init_weights(model)
    return model


@torch.no_grad()
def init_weights(model: nn.Module) -> None:
    """Glorot-uniform kernels, zero biases, U(-0.05, 0.05) embeddings, BN gamma=1 beta=0."""
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d)):
            nn.init.xavier_uniform_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            if getattr(m, "zero_init", False):
                nn.init.zeros_(m.weight)
            else:
                nn.init.uniform_(m.weight, -EMBED_RANGE, EMBED_RANGE)
        elif isinstance(m, (nn.BatchNorm2d, nn.LayerNorm)):
            m.reset_parameters()
    for m in model.modules():
        if isinstance(m, KerasUnit):
            m.init_like_keras()


def keras_layers(model: nn.Module) -> list[nn.Module]:
    """The modules that are one Keras layer each, in declaration order (not inside a unit)."""
    if isinstance(model, (KerasUnit, *WEIGHTED)):
        return [model]
    return [m for child in model.children() for m in keras_layers(child)]


def _numpy(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().numpy().copy()  # a copy: never a view of a live parameter


def to_keras(m: nn.Module) -> list[np.ndarray]:
    """One layer's weights in Keras layout and order."""
    if isinstance(m, KerasUnit):
        return m.to_keras()
    if isinstance(m, nn.BatchNorm2d):
        return [_numpy(t) for t in (m.weight, m.bias, m.running_mean, m.running_var)]
    w = m.weight.detach()
    if isinstance(m, nn.Linear):
        chw = getattr(m, "keras_flatten_chw", None)
        if chw is not None:  # rows (C, H, W) -> (H, W, C)
            w = w.reshape(w.shape[0], *chw).permute(0, 2, 3, 1).reshape(w.shape[0], -1)
        w = w.t()
    elif isinstance(m, nn.Conv2d):
        w = w.permute(2, 3, 1, 0)  # OIHW -> HWIO
    elif isinstance(m, nn.Conv1d):
        w = w.permute(2, 1, 0)  # (out, in, k) -> (k, in, out)
    bias = getattr(m, "bias", None)
    return [_numpy(w)] + ([_numpy(bias)] if bias is not None else [])


def torch_layout(m: nn.Module, kernel: np.ndarray) -> torch.Tensor:
    """Inverse of ``to_keras`` for the kernel of layer ``m``."""
    w = torch.from_numpy(np.ascontiguousarray(kernel))
    if isinstance(m, nn.Linear):
        w = w.t()
        chw = getattr(m, "keras_flatten_chw", None)
        if chw is not None:  # rows (H, W, C) -> (C, H, W)
            c, h, wd = chw
            w = w.reshape(w.shape[0], h, wd, c).permute(0, 3, 1, 2).reshape(w.shape[0], -1)
    elif isinstance(m, nn.Conv2d):
        w = w.permute(3, 2, 0, 1)
    elif isinstance(m, nn.Conv1d):
        w = w.permute(2, 1, 0)
    return w


@torch.no_grad()
def from_keras(m: nn.Module, arrays: list[np.ndarray]) -> None:
    """Copy one layer's Keras-layout weights into ``m`` (shapes are checked by copy_)."""
    if isinstance(m, KerasUnit):
        m.from_keras(arrays)
        return
    if isinstance(m, nn.BatchNorm2d):
        targets = [m.weight, m.bias, m.running_mean, m.running_var]
        sources = [torch.from_numpy(np.ascontiguousarray(a)) for a in arrays]
    else:
        targets = [m.weight] + ([m.bias] if getattr(m, "bias", None) is not None else [])
        sources = [torch_layout(m, arrays[0])] + [torch.from_numpy(np.asarray(a))
                                                  for a in arrays[1:]]
    for t, s in zip(targets, sources, strict=True):
        if tuple(t.shape) != tuple(s.shape):
            raise ValueError(f"{type(m).__name__}: expected shape {tuple(t.shape)}, "
                             f"got {tuple(s.shape)}")
        t.copy_(s)


def n_keras_arrays(m: nn.Module) -> int:
    if isinstance(m, KerasUnit):
        return m.n_keras
    if isinstance(m, nn.BatchNorm2d):
        return 4
    return 1 + (getattr(m, "bias", None) is not None)
