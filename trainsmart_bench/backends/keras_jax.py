"""Keras 3 on JAX (``keras-jax``). What only JAX needs:

* threads: XLA's CPU client has no thread-count setting (``--xla_cpu_multi_thread_eigen=false``
  is all or one); it sizes its intra-op pool from the cores the process may run on, when the
  client starts (lazily, at the first computation). So ``threads`` smaller than the cores
  available pins the process to that many of them before anything runs, and the record's
  ``threads.cores`` shows which; with as many threads as cores nothing changes;
* device: ``cpu`` runs on JAX's CPU device even where a GPU is visible (``keras.device``);
  ``cuda`` needs a CUDA build of jaxlib (``pip install -U "jax[cuda12]"``);
* compilation is cold: JAX's persistent compilation cache is turned off for the run;
* ``compile_stats``: XLA compilations, counted from JAX's own monitoring events (eager mode
  compiles every primitive once; ``compiled`` compiles the train and predict steps);
* JAX dispatches asynchronously: an epoch ends when the updated weights are ready.
Peak GPU memory is the device's high-water mark since start (JAX cannot reset it).
"""

from __future__ import annotations

import os
from typing import ClassVar

from trainsmart_bench.backends.keep_out import keep_out

os.environ["KERAS_BACKEND"] = "jax"

# Keras seeds TensorFlow too whenever it can import it (``keras.utils.set_random_seed``), which
# would load all of TensorFlow into a run that never uses it and count it in that run's start-up
# and memory. As in an environment without TensorFlow (Keras' own benchmarks give each backend
# its own), it cannot be imported in this process; where it already was, ``check`` refuses.
keep_out("tensorflow")

import jax  # noqa: E402
import keras  # noqa: E402

from trainsmart_bench.backends.keras_adapter import KerasAdapter, KerasState  # noqa: E402

COMPILE_EVENT = "/jax/core/compile/backend_compile_duration"  # jax._src.dispatch
_compiles: list[tuple[str, float]] = []  # (function name, seconds) of each XLA compilation


def _on_event(event: str, seconds: float, **kwargs) -> None:
    if event == COMPILE_EVENT:
        _compiles.append((str(kwargs.get("fun_name", "")), float(seconds)))


jax.monitoring.register_event_duration_secs_listener(_on_event)


class KerasJaxBackend(KerasAdapter):
    name: ClassVar[str] = "keras-jax"
    keras_backend: ClassVar[str] = "jax"
    runtime: ClassVar[str] = "jax"

    def device_available(self, device: str) -> bool:
        if device == "cpu":
            return True
        try:
            return device == "cuda" and bool(jax.devices("gpu"))
        except RuntimeError:  # no GPU backend in this jaxlib
            return False

    def configure(self, device: str, threads: int) -> None:
        cores = sorted(os.sched_getaffinity(0))
        if 0 < threads < len(cores):  # before XLA's client starts (see the docstring)
            os.sched_setaffinity(0, cores[:threads])
        jax.config.update("jax_enable_compilation_cache", False)

    def version(self) -> str:
        return f"{keras.__version__}+jax{jax.__version__}"

    def wait(self, state: KerasState) -> None:
        jax.block_until_ready([v.value for v in state.model.variables])

    def compile_stats(self) -> dict[str, float]:
        return {"compiled_graphs": float(len(_compiles))}

    def peak_device_memory(self) -> int | None:
        if self.device == "cuda":
            stats = jax.devices("gpu")[0].memory_stats() or {}
            return stats.get("peak_bytes_in_use")
        return None


def compiled_functions() -> list[str]:
    """Names of the functions XLA compiled in this process, in order (for tests)."""
    return [name for name, _ in _compiles]
