"""Framework-neutral architecture plans: the one place that reads model options and shapes.

Both the torch and the Keras builders consume an :class:`Arch`, so the two sides cannot
disagree on a width, a stride or where a projection shortcut goes. numpy/stdlib only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from trainsmart_bench.backends.base import TaskData
from trainsmart_bench.tasks.spec import ResolvedTask

KINDS = ("mlp", "cnn", "resnet", "embed-pool", "cnn1d", "lstm", "transformer", "mf")
CHANNELS_FIRST_KINDS = ("cnn", "resnet")  # torch side converts NHWC -> NCHW for these
EMBED_RANGE = 0.05  # embeddings start U(-0.05, 0.05) on both sides
BN_EPS = 1e-5
BN_MOMENTUM = 0.1  # torch convention; Keras momentum = 1 - this
ADAM_BETAS = (0.9, 0.999)
ADAM_EPS = 1e-7  # Keras applies it as "epsilon hat" (see the backends' adam_epsilon)
LN_EPS = 1e-5  # layer norm epsilon (torch's default; Keras' is 1e-3, so both set it)
FORGET_BIAS = 1.0  # LSTM forget-gate bias at init (Keras' unit_forget_bias; set on torch too)
PAD = 0  # token id of padding: the transformer masks it; the LSTM reads it like any token


@dataclass(frozen=True)
class Arch:
    """Everything a builder needs; fields a kind does not use keep their zero defaults."""

    kind: str
    input_shape: tuple[int, ...]
    n_outputs: int
    dropout: float = 0.0
    hidden: tuple[int, ...] = ()  # mlp widths; embed-pool: (hidden,)
    conv: tuple[int, ...] = ()  # cnn filters per conv/pool stage
    dense: int = 0  # cnn: optional dense width before the classifier
    widths: tuple[int, ...] = ()  # resnet: channels per stage
    blocks: int = 0  # resnet: basic blocks per stage
    vocab: int = 0
    embed_dim: int = 0
    filters: int = 0  # cnn1d
    kernel: int = 0  # cnn1d
    units: int = 0  # lstm: hidden units per direction
    heads: int = 0  # transformer: attention heads (model width = embed_dim)
    head_dim: int = 0  # transformer: query/key/value width per head
    mlp: int = 0  # transformer: hidden width of each block's MLP
    depth: int = 0  # transformer: encoder blocks
    factors: int = 0  # mf
    n_users: int = 0
    n_items: int = 0
    mean: float = 0.0

    @property
    def classification(self) -> bool:
        return self.kind != "mf"


@dataclass(frozen=True)
class Block:
    """One residual basic block: conv3x3(stride)-BN-ReLU-conv3x3-BN (+ shortcut), ReLU."""

    cin: int
    cout: int
    stride: int
    project: bool  # 1x1 conv + BN shortcut instead of identity


def arch_for(task: ResolvedTask, data: TaskData) -> Arch:
    """Read the task's model options and the data's shapes into an Arch."""
    kind = task.spec.model.kind
    if kind not in KINDS:
        raise NotImplementedError(f"model kind {kind!r} is not supported (have: {KINDS})")
    common = {
        "kind": kind,
        "input_shape": tuple(int(d) for d in data.input_shape),
        "n_outputs": int(data.n_outputs),
        "dropout": float(task.get("dropout", 0.0) or 0.0),
    }
    ex = data.extras
    if kind == "mlp":
        return Arch(**common, hidden=tuple(int(h) for h in task.hidden()))
    if kind == "cnn":
        return Arch(**common, conv=tuple(int(f) for f in task.option("conv")),
                    dense=int(task.option("dense") or 0))
    if kind == "resnet":
        return Arch(**common, widths=tuple(int(w) for w in task.option("widths")),
                    blocks=int(task.option("blocks")))
    if kind == "embed-pool":
        return Arch(**common, vocab=int(ex["num_words"]), embed_dim=int(task.option("embed_dim")),
                    hidden=(int(task.option("hidden")),))
    if kind == "cnn1d":
        return Arch(**common, vocab=int(ex["num_words"]), embed_dim=int(task.option("embed_dim")),
                    filters=int(task.option("filters")), kernel=int(task.option("kernel")))
    if kind == "lstm":
        return Arch(**common, vocab=int(ex["num_words"]), embed_dim=int(task.option("embed_dim")),
                    units=int(task.option("units")))
    if kind == "transformer":
        return Arch(**common, vocab=int(ex["num_words"]), embed_dim=int(task.option("embed_dim")),
                    heads=int(task.option("heads")), head_dim=int(task.option("head_dim")),
                    mlp=int(task.option("mlp")), depth=int(task.option("depth")))
    return Arch(**common, factors=int(task.option("factors")), n_users=int(ex["n_users"]),
                n_items=int(ex["n_items"]), mean=float(ex["mean"]))


def cnn_feature_shape(arch: Arch) -> tuple[int, int, int]:
    """(H, W, C) after the cnn's conv3x3(valid)-ReLU-maxpool2 stages: what Flatten sees."""
    h, w, c = arch.input_shape
    for filters in arch.conv:
        h, w, c = (h - 2) // 2, (w - 2) // 2, filters
    if h < 1 or w < 1:
        raise ValueError(f"input {arch.input_shape} is too small for {len(arch.conv)} conv stages")
    return h, w, c


def resnet_blocks(arch: Arch) -> list[Block]:
    """The residual blocks in build order; the first block of every later stage downsamples."""
    if not arch.widths or arch.blocks < 1:
        raise ValueError("resnet needs non-empty widths and blocks >= 1")
    out, cin = [], arch.widths[0]  # the stem produces widths[0] channels
    for stage, width in enumerate(arch.widths):
        for b in range(arch.blocks):
            stride = 2 if stage > 0 and b == 0 else 1
            out.append(Block(cin, width, stride, stride != 1 or cin != width))
            cin = width
    return out


def glorot_limit(fan_in: int, fan_out: int) -> float:
    """The bound of Glorot-uniform for a (fan_in, fan_out) kernel."""
    return math.sqrt(6.0 / (fan_in + fan_out))


def attention_init_limit(arch: Arch) -> float:
    """Glorot-uniform bound of the attention projections, seen as (d_model, heads * head_dim)
    matrices, as torch's Linear layers are. Keras' MultiHeadAttention would compute Glorot
    fans from its 3-D kernels ((d_model, heads, head_dim): fan_in = d_model * heads), a
    smaller bound, so the Keras builder passes this one explicitly."""
    return glorot_limit(arch.embed_dim, arch.heads * arch.head_dim)


def _sequence_param_count(arch: Arch) -> int:
    d, n = arch.embed_dim, arch.vocab * arch.embed_dim
    if arch.kind == "lstm":  # per direction: kernel, recurrent kernel, one bias (Keras layout)
        h = arch.units
        return n + 2 * 4 * h * (d + h + 1) + (2 * h + 1) * arch.n_outputs
    inner = arch.heads * arch.head_dim
    block = (2 * d  # layer norm before attention
             + 3 * (d * inner + inner) + inner * d + d  # query, key, value, output
             + 2 * d  # layer norm before the MLP
             + (d + 1) * arch.mlp + (arch.mlp + 1) * d)
    maxlen = arch.input_shape[0]
    return n + maxlen * d + arch.depth * block + 2 * d + (d + 1) * arch.n_outputs


def expected_param_count(arch: Arch) -> int:
    """Parameters plus BN moving statistics, as ``Backend.param_count`` counts them."""
    if arch.kind == "mlp":
        dims = (math.prod(arch.input_shape), *arch.hidden, arch.n_outputs)
        return sum((a + 1) * b for a, b in zip(dims[:-1], dims[1:]))
    if arch.kind == "cnn":
        cin, n = arch.input_shape[-1], 0
        for f in arch.conv:
            n, cin = n + 9 * cin * f + f, f
        dims = (math.prod(cnn_feature_shape(arch)), *((arch.dense,) if arch.dense else ()),
                arch.n_outputs)
        return n + sum((a + 1) * b for a, b in zip(dims[:-1], dims[1:]))
    if arch.kind == "resnet":
        w0 = arch.widths[0]
        n = 9 * arch.input_shape[-1] * w0 + 4 * w0
        for b in resnet_blocks(arch):
            n += 9 * b.cin * b.cout + 9 * b.cout * b.cout + 8 * b.cout
            n += (b.cin * b.cout + 4 * b.cout) if b.project else 0
        return n + (arch.widths[-1] + 1) * arch.n_outputs
    if arch.kind == "embed-pool":
        h = arch.hidden[0]
        return arch.vocab * arch.embed_dim + (arch.embed_dim + 1) * h + (h + 1) * arch.n_outputs
    if arch.kind == "cnn1d":
        conv = arch.kernel * arch.embed_dim * arch.filters + arch.filters
        return arch.vocab * arch.embed_dim + conv + (arch.filters + 1) * arch.n_outputs
    if arch.kind in ("lstm", "transformer"):
        return _sequence_param_count(arch)
    return (arch.n_users + arch.n_items) * (arch.factors + 1)
