"""Keras 3 on PyTorch (``keras-torch``). What only PyTorch needs:

* threads: ``torch.set_num_threads`` (intra-op), as the torch backend sets them;
* device: ``keras.device`` places variables and batches (Keras would otherwise pick CUDA
  whenever one is visible); on CUDA TF32 is off, as everywhere else;
* ``compiled``: Keras runs its train and predict steps under ``torch.compile`` (Inductor)
  when ``jit_compile=True`` (Keras' documented behaviour on this backend; there is no XLA
  here). Compilation is cold (a fresh Inductor cache per run) and ``compile_stats`` reports
  dynamo's graphs and graph breaks, as for the torch backend.
"""

from __future__ import annotations

import os
from typing import ClassVar

from trainsmart_bench.backends.keep_out import keep_out

os.environ["KERAS_BACKEND"] = "torch"

# Keras seeds TensorFlow too whenever it can import it (``keras.utils.set_random_seed``) and
# imports JAX for a checkpoint callback, which would load both into a run that uses neither
# and count them in its start-up and memory. As in an environment with PyTorch alone (Keras'
# own benchmarks give each backend its own), they cannot be imported in this process; where
# one already was, Keras runs on another backend and ``check`` refuses.
keep_out("tensorflow", "jax")

import keras  # noqa: E402
import torch  # noqa: E402

from trainsmart_bench.backends import torch_modes  # noqa: E402
from trainsmart_bench.backends.keras_adapter import KerasAdapter  # noqa: E402
from trainsmart_bench.mode import Mode  # noqa: E402


class KerasTorchBackend(KerasAdapter):
    name: ClassVar[str] = "keras-torch"
    keras_backend: ClassVar[str] = "torch"
    runtime: ClassVar[str] = "torch"

    def device_available(self, device: str) -> bool:
        return device == "cpu" or (device == "cuda" and torch.cuda.is_available())

    def check_mode(self, mode: Mode, device: str) -> None:
        super().check_mode(mode, device)
        if reason := torch_modes.unavailable(mode, device):
            raise NotImplementedError(reason)

    def configure(self, device: str, threads: int) -> None:
        torch.set_num_threads(threads)
        if device == "cuda":
            torch_modes.strict_fp32()
        if self.mode.compiled:
            torch_modes.cold_compiler(threads)

    def version(self) -> str:
        return f"{keras.__version__}+torch{torch.__version__.replace('+', '.')}"

    def synchronize(self) -> None:
        if self.device == "cuda":
            torch.cuda.synchronize()

    def compile_stats(self) -> dict[str, float]:
        return torch_modes.dynamo_stats() if self.mode.compiled else {}

    def peak_device_memory(self) -> int | None:
        return int(torch.cuda.max_memory_allocated()) if self.device == "cuda" else None

    def reset_peak_device_memory(self) -> None:
        if self.device == "cuda":
            torch.cuda.reset_peak_memory_stats()
