"""torch.nn modules for the sequence kinds (``lstm``, ``transformer``) and their Keras layout.

Each framework layer that Keras holds as one layer with several arrays (a bidirectional LSTM,
a multi-head attention) is a :class:`KerasUnit` here: it converts its own weights to and from
the Keras arrays, and ``torch_models.keras_layers`` does not look inside it.

LSTM mapping. Both libraries stack the four gates in the order input, forget, cell, output
(torch calls the cell candidate g, Keras c), so a kernel only needs transposing: torch's
``weight_ih`` (4h, in) is Keras' ``kernel`` (in, 4h) transposed, ``weight_hh`` (4h, h) its
``recurrent_kernel`` (h, 4h). Keras has one bias, torch two (``b_ih + b_hh``): torch's ``b_hh``
stays zero and frozen (``requires_grad=False``), so one Adam step moves the same single bias
on both sides, and exchange folds ``b_ih + b_hh`` into Keras' bias. The layer keeps
nn.LSTM's cuDNN path on a GPU (tanh/sigmoid, no recurrent dropout, biases on).

Attention mapping. Query/key/value are Linear(d, heads * head_dim); Keras keeps their kernels
as (d, heads, head_dim) and biases as (heads, head_dim); the output projection Linear(heads *
head_dim, d) is Keras' (heads, head_dim, d) kernel. Heads are contiguous slices of a Linear's
outputs on both sides.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from trainsmart_bench.backends.arch import FORGET_BIAS, LN_EPS, PAD, Arch

MASK_BIAS = -1e9  # added to the scores of padded keys (Keras' masked softmax uses -1e9 too)


def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().numpy().copy()


def _t(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a))


@torch.no_grad()
def _load(targets: list[torch.Tensor], sources: list[torch.Tensor], name: str) -> None:
    for t, s in zip(targets, sources, strict=True):
        if tuple(t.shape) != tuple(s.shape):
            raise ValueError(f"{name}: expected shape {tuple(t.shape)}, got {tuple(s.shape)}")
        t.copy_(s)


class KerasUnit(nn.Module):
    """A module that is one Keras layer: it exchanges its weights as that layer's arrays."""

    n_keras: int

    def to_keras(self) -> list[np.ndarray]:
        raise NotImplementedError

    def from_keras(self, arrays: list[np.ndarray]) -> None:
        raise NotImplementedError

    def init_like_keras(self) -> None:
        """Initialize as the Keras layer does (called after the generic initializers)."""


class BiLSTM(KerasUnit):
    """nn.LSTM, bidirectional, batch-first, returning every step: Keras'
    ``Bidirectional(LSTM(return_sequences=True), merge_mode="concat")``."""

    n_keras = 6  # per direction: kernel, recurrent kernel, bias
    DIRECTIONS = ("", "_reverse")

    def __init__(self, d_in: int, units: int) -> None:
        super().__init__()
        self.units = units
        self.rnn = nn.LSTM(d_in, units, batch_first=True, bidirectional=True)
        for sfx in self.DIRECTIONS:
            getattr(self.rnn, f"bias_hh_l0{sfx}").requires_grad_(False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.rnn(x)[0]

    def _params(self, sfx: str) -> list[torch.Tensor]:
        return [getattr(self.rnn, f"{n}_l0{sfx}") for n in ("weight_ih", "weight_hh",
                                                             "bias_ih", "bias_hh")]

    @torch.no_grad()
    def init_like_keras(self) -> None:
        """Glorot-uniform input kernels, orthogonal recurrent kernels, zero biases except the
        forget gate's, which starts at FORGET_BIAS (Keras' unit_forget_bias)."""
        h = self.units
        for sfx in self.DIRECTIONS:
            w_ih, w_hh, b_ih, b_hh = self._params(sfx)
            nn.init.xavier_uniform_(w_ih)
            nn.init.orthogonal_(w_hh)
            nn.init.zeros_(b_ih)
            nn.init.zeros_(b_hh)
            b_ih[h:2 * h] = FORGET_BIAS

    def to_keras(self) -> list[np.ndarray]:
        out = []
        for sfx in self.DIRECTIONS:
            w_ih, w_hh, b_ih, b_hh = self._params(sfx)
            out += [_np(w_ih.t()), _np(w_hh.t()), _np(b_ih + b_hh)]
        return out

    def from_keras(self, arrays: list[np.ndarray]) -> None:
        targets, sources = [], []
        for i, sfx in enumerate(self.DIRECTIONS):
            kernel, recurrent, bias = arrays[3 * i:3 * i + 3]
            targets += self._params(sfx)
            bias = _t(bias)
            sources += [_t(kernel).t(), _t(recurrent).t(), bias, torch.zeros_like(bias)]
        _load(targets, sources, "BiLSTM")


class LSTMClassifier(nn.Module):
    """Embedding, BiLSTM over all steps (no mask), max over time, dropout, dense."""

    def __init__(self, arch: Arch) -> None:
        super().__init__()
        self.embedding = nn.Embedding(arch.vocab, arch.embed_dim)
        self.lstm = BiLSTM(arch.embed_dim, arch.units)
        self.dropout = nn.Dropout(arch.dropout) if arch.dropout > 0 else nn.Identity()
        self.fc = nn.Linear(2 * arch.units, arch.n_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.lstm(self.embedding(x))
        return self.fc(self.dropout(h.amax(dim=1)))


class SelfAttention(KerasUnit):
    """Multi-head self-attention with explicit projections: keras.layers.MultiHeadAttention
    with ``key_dim=head_dim``, no attention dropout, called as ``mha(x, x, attention_mask)``."""

    n_keras = 8  # query, key, value, output: kernel and bias each

    def __init__(self, d: int, heads: int, head_dim: int) -> None:
        super().__init__()
        self.d, self.heads, self.head_dim = d, heads, head_dim
        inner = heads * head_dim
        self.query, self.key, self.value = (nn.Linear(d, inner) for _ in range(3))
        self.output = nn.Linear(inner, d)

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        """``bias`` (N, 1, 1, T): 0 for real keys, MASK_BIAS for padding."""
        n, t, _ = x.shape

        def split(lin: nn.Linear) -> torch.Tensor:
            return lin(x).view(n, t, self.heads, self.head_dim).transpose(1, 2)

        out = F.scaled_dot_product_attention(split(self.query), split(self.key),
                                             split(self.value), attn_mask=bias)
        return self.output(out.transpose(1, 2).reshape(n, t, self.heads * self.head_dim))

    def to_keras(self) -> list[np.ndarray]:
        d, h, k = self.d, self.heads, self.head_dim
        out = []
        for lin in (self.query, self.key, self.value):
            out += [_np(lin.weight.t().reshape(d, h, k)), _np(lin.bias.reshape(h, k))]
        return out + [_np(self.output.weight.t().reshape(h, k, d)), _np(self.output.bias)]

    def from_keras(self, arrays: list[np.ndarray]) -> None:
        d, inner = self.d, self.heads * self.head_dim
        targets, sources = [], []
        for i, lin in enumerate((self.query, self.key, self.value)):
            targets += [lin.weight, lin.bias]
            sources += [_t(arrays[2 * i]).reshape(d, inner).t(), _t(arrays[2 * i + 1]).reshape(-1)]
        targets += [self.output.weight, self.output.bias]
        sources += [_t(arrays[6]).reshape(inner, d).t(), _t(arrays[7])]
        _load(targets, sources, "SelfAttention")


class EncoderBlock(nn.Module):
    """Pre-norm: x + drop(attn(ln(x))), then x + drop(mlp(ln(x))) with a GELU (erf) MLP."""

    def __init__(self, arch: Arch) -> None:
        super().__init__()
        d = arch.embed_dim
        self.norm1 = nn.LayerNorm(d, eps=LN_EPS)
        self.attn = SelfAttention(d, arch.heads, arch.head_dim)
        self.norm2 = nn.LayerNorm(d, eps=LN_EPS)
        self.fc1 = nn.Linear(d, arch.mlp)
        self.fc2 = nn.Linear(arch.mlp, d)
        self.dropout = nn.Dropout(arch.dropout) if arch.dropout > 0 else nn.Identity()

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        x = x + self.dropout(self.attn(self.norm1(x), bias))
        return x + self.dropout(self.fc2(F.gelu(self.fc1(self.norm2(x)))))


class TransformerClassifier(nn.Module):
    """Token + learned position embeddings, pre-norm encoder blocks, a final layer norm, the
    mean over non-padding positions, dropout, dense. Padding keys are masked in attention."""

    def __init__(self, arch: Arch) -> None:
        super().__init__()
        d = arch.embed_dim
        self.embedding = nn.Embedding(arch.vocab, d)
        self.position = nn.Embedding(arch.input_shape[0], d)
        self.blocks = nn.ModuleList(EncoderBlock(arch) for _ in range(arch.depth))
        self.norm = nn.LayerNorm(d, eps=LN_EPS)
        self.dropout = nn.Dropout(arch.dropout) if arch.dropout > 0 else nn.Identity()
        self.fc = nn.Linear(d, arch.n_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        keep = (x != PAD).to(self.position.weight.dtype)  # (N, T)
        bias = ((1.0 - keep) * MASK_BIAS)[:, None, None, :]
        h = self.embedding(x) + self.position.weight[: x.shape[1]]
        for block in self.blocks:
            h = block(h, bias)
        h = self.norm(h)
        pooled = (h * keep[..., None]).sum(dim=1) / keep.sum(dim=1, keepdim=True).clamp(min=1.0)
        return self.fc(self.dropout(pooled))
