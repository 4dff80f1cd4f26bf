"""What PyTorch and Keras-on-PyTorch share about modes: torch.compile, autocast, strict fp32.

* A run compiles cold: Inductor's on-disk caches (compiled C++/Triton kernels, FX graphs,
  autotuning results) would let the second seed of a cell reuse the first one's work, so each
  process gets a fresh cache directory, removed when it exits;
* Inductor compiles in worker processes; it gets as many as the run has threads, so a
  compiled run uses the cores it was given, like its training does;
* ``dynamo_stats``: graphs captured and graph breaks, from ``torch._dynamo.utils.counters``
  (what ``torch._dynamo.explain`` reports, for the code that actually ran).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable

import torch

from trainsmart_bench.mode import Mode, precision_unavailable

AUTOCAST_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


def unavailable(mode: Mode, device: str) -> str | None:
    """Why this PyTorch cannot run ``mode`` on ``device``, or None."""
    if reason := precision_unavailable(mode, device):
        return reason
    if device == "cuda" and mode.precision == "bf16" and torch.cuda.is_available() \
            and not torch.cuda.is_bf16_supported():
        return "this GPU does not support bfloat16"
    if mode.compiled and device == "cpu" and not (shutil.which("c++") or shutil.which("g++")):
        return "torch.compile on a CPU needs a C++ compiler (c++ or g++ on PATH)"
    return None


def cold_compiler(threads: int) -> None:
    """A fresh Inductor cache for this process and ``threads`` compile workers."""
    cache = tempfile.mkdtemp(prefix="trainsmart-inductor-")
    atexit.register(shutil.rmtree, cache, ignore_errors=True)
    os.environ["TORCHINDUCTOR_CACHE_DIR"] = cache
    os.environ["TORCHINDUCTOR_COMPILE_THREADS"] = str(int(threads))
    import torch._inductor.config as inductor_config

    inductor_config.compile_threads = int(threads)


def compile_fn(fn: Callable, mode: Mode) -> Callable:
    """``fn`` compiled for ``mode`` (``torch.compile``'s default mode or max-autotune)."""
    if not mode.compiled:
        return fn
    return torch.compile(fn, mode=None if mode.compiler == "compiled" else mode.compiler)


def autocast(mode: Mode, device: str) -> contextlib.AbstractContextManager:
    """The autocast region of a mixed-precision mode (a no-op for fp32)."""
    if not mode.mixed:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device, dtype=AUTOCAST_DTYPES[mode.precision])


def strict_fp32() -> None:
    """Disable TF32 for matmuls and convolutions (the newer API where torch has it)."""
    if hasattr(torch.backends.cuda.matmul, "fp32_precision"):
        torch.backends.cuda.matmul.fp32_precision = "ieee"
        torch.backends.cudnn.conv.fp32_precision = "ieee"
    else:  # torch < 2.9
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False


def dynamo_stats() -> dict[str, float]:
    """Graphs torch.compile captured and graph breaks it took in this process."""
    from torch._dynamo.utils import counters

    return {"compiled_graphs": float(counters["stats"]["unique_graphs"]),
            "graph_breaks": float(sum(counters["graph_break"].values()))}
