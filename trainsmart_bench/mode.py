"""Execution modes: how a backend runs the same model (compiler x precision). No framework import.

A mode's name joins its two axes, ``<compiler>[-<precision>]``:

* compiler: ``eager`` (no graph compiler: PyTorch eager; Keras ``jit_compile=False``),
  ``compiled`` (``torch.compile`` in its default mode; Keras ``jit_compile=True``: XLA on
  TensorFlow and JAX, ``torch.compile`` on Keras' PyTorch backend) and ``max-autotune``
  (``torch.compile(mode="max-autotune")``; PyTorch only);
* precision: fp32 when omitted (strict fp32, the default, so framework comparisons are fair),
  ``bf16`` (bfloat16 autocast / Keras ``mixed_bfloat16``) or ``fp16`` (float16 AMP with loss
  scaling / ``mixed_float16``, CUDA only).

So ``eager``, ``compiled``, ``max-autotune``, ``eager-bf16``, ``compiled-bf16``, ``eager-fp16``
and so on. Every mode is compared with the ``eager`` (fp32) run of the same backend.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from trainsmart_bench.errors import ConfigError

COMPILERS = ("eager", "compiled", "max-autotune")
PRECISIONS = ("fp32", "bf16", "fp16")
BASELINE = "eager"  # the mode every other mode of a backend is compared with
# CPU instructions that run bfloat16 arithmetic natively (else frameworks emulate it, slowly)
BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")


@dataclass(frozen=True)
class Mode:
    compiler: str = "eager"
    precision: str = "fp32"

    @property
    def name(self) -> str:
        return self.compiler if self.precision == "fp32" else f"{self.compiler}-{self.precision}"

    @property
    def compiled(self) -> bool:
        return self.compiler != "eager"

    @property
    def mixed(self) -> bool:
        return self.precision != "fp32"

    def __str__(self) -> str:
        return self.name


EAGER = Mode()
MODE_NAMES: tuple[str, ...] = tuple(Mode(c, p).name for p in PRECISIONS for c in COMPILERS)


def parse_mode(name: str | Mode) -> Mode:
    """``compiled-bf16`` -> Mode("compiled", "bf16"); an unknown name is a ConfigError."""
    if isinstance(name, Mode):
        return name
    text = name.strip()
    compiler, precision = text, "fp32"
    for p in PRECISIONS:
        if text.endswith(f"-{p}"):
            compiler, precision = text[: -len(p) - 1], p
    if compiler not in COMPILERS or Mode(compiler, precision).name != text:
        raise ConfigError(f"unknown mode {name!r}; choose from: {', '.join(MODE_NAMES)} "
                          "(<compiler>[-<precision>], fp32 when no precision is named)")
    return Mode(compiler, precision)


@lru_cache(maxsize=1)
def cpu_flags() -> frozenset[str]:
    """The CPU feature flags the kernel reports (empty where /proc/cpuinfo is unreadable)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return frozenset()
    for line in text.splitlines():
        if line.startswith("flags"):
            return frozenset(line.split(":", 1)[1].split())
    return frozenset()


def precision_unavailable(mode: Mode, device: str) -> str | None:
    """Why ``mode``'s precision cannot run on ``device`` whatever the framework, or None.

    bf16 on a CPU needs native bfloat16 instructions (AVX512-BF16 or AMX); without them the
    frameworks emulate it and a "mixed precision" row would measure the emulation. fp16 AMP
    is a GPU technique (loss scaling, tensor cores): on a CPU it is not offered here."""
    if device != "cpu" or mode.precision == "fp32":
        return None
    if mode.precision == "fp16":
        return "fp16 mixed precision is a CUDA mode here; on a CPU use bf16"
    if not cpu_flags() & set(BF16_CPU_FLAGS):
        return (f"this CPU has no native bfloat16 instructions ({' or '.join(BF16_CPU_FLAGS)} "
                "in /proc/cpuinfo); bf16 would be emulated")
    return None
