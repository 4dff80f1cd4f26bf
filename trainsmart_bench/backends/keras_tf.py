"""Keras 3 on TensorFlow (``keras-tf``; plain ``keras`` is the same backend under its old name,
so earlier records stay valid). What only TensorFlow needs:

* strict fp32 on GPU (TF32 off, as on the torch side) and memory growth on, so TensorFlow
  does not reserve the whole GPU and its peak-memory figure means what torch's does;
* ``device="cpu"`` hides the GPUs, so nothing runs on a GPU by TensorFlow's default placement;
* intra- and inter-op thread pools both get ``threads``; they can only be set before
  TensorFlow's runtime starts, which the runner guarantees (one process per run);
* the epoch feed is a ``tf.data`` pipeline gathering each batch from the trainer's order, and
  inference a traced ``tf.function`` (softmax included; ``jit_compile`` as the mode says):
  about 4x faster than ``model.predict`` on MNIST-sized sets, which pays for a data adapter
  and callbacks on every call;
* embedding gradients are made dense before Adam sees them (``DenseGradAdam``). Keras 3
  applies Adam's element-wise ops to the raw ``tf.IndexedSlices`` an embedding lookup
  produces, whose indices repeat when a token (or user, item) occurs twice in a batch: the
  second moment then accumulates the sum of per-occurrence squares, not the square of the
  summed gradient, which is not Adam (Keras 2 deduplicated first). Dense gradients are what
  torch's nn.Embedding, JAX and Keras' PyTorch backend produce; Keras 3's Adam already
  updates its dense m and v in full, so the cost is one dense add.

TensorFlow does not report its XLA compilations through a public API, so ``compile_stats``
is empty here; that ``compiled`` runs XLA is checked by the tests on the traced graph.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from typing import ClassVar

os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from trainsmart_bench.backends.keras_adapter import KerasAdapter, KerasState  # noqa: E402


class DenseGradAdam(keras.optimizers.Adam):
    """Keras' Adam, given dense gradients for embeddings (see the module docstring)."""

    def apply(self, grads, trainable_variables=None):
        grads = [tf.convert_to_tensor(g) if isinstance(g, tf.IndexedSlices) else g
                 for g in grads]
        return super().apply(grads, trainable_variables)


class KerasTFBackend(KerasAdapter):
    name: ClassVar[str] = "keras-tf"
    keras_backend: ClassVar[str] = "tensorflow"
    runtime: ClassVar[str] = "tensorflow"

    def device_available(self, device: str) -> bool:
        return device == "cpu" or (device == "cuda" and bool(_gpus()))

    def configure(self, device: str, threads: int) -> None:
        gpus = _gpus()
        if device == "cpu" and gpus:
            tf.config.set_visible_devices([], "GPU")
        elif device == "cuda":
            for gpu in gpus:
                tf.config.experimental.set_memory_growth(gpu, True)
            tf.config.experimental.enable_tensor_float_32_execution(False)
        threading = tf.config.threading
        try:
            threading.set_intra_op_parallelism_threads(threads)
            threading.set_inter_op_parallelism_threads(threads)
        except RuntimeError as exc:  # TF already ran an op with other thread settings
            raise RuntimeError(
                f"cannot set TensorFlow to {threads} threads: its runtime already started "
                f"with intra={threading.get_intra_op_parallelism_threads()}; run each "
                "benchmark in a fresh process") from exc

    def device_scope(self) -> contextlib.AbstractContextManager:
        return contextlib.nullcontext()  # placement as configured (GPUs hidden for cpu)

    def version(self) -> str:
        return f"{keras.__version__}+tf{tf.__version__}"  # a valid PEP 440 local version

    def optimizer(self, **kwargs) -> keras.optimizers.Optimizer:
        return DenseGradAdam(**kwargs)

    def inference(self, model: keras.Model, classification: bool) -> Callable:
        @tf.function(reduce_retracing=True, jit_compile=self.mode.compiled)
        def infer(xb):
            out = tf.cast(model(xb, training=False), tf.float32)
            return tf.nn.softmax(out, axis=-1) if classification else out

        return infer

    def feed(self, state: KerasState, x: np.ndarray, y: np.ndarray, order: np.ndarray,
             batch_size: int) -> tf.data.Dataset:
        if state.train_arrays is None or state.train_arrays[0] is not x:
            state.train_arrays = (x, (tf.constant(x), tf.constant(y)))
        xs, ys = state.train_arrays[1]
        batches = tf.data.Dataset.from_tensor_slices(order).batch(batch_size)
        return batches.map(lambda i: (tf.gather(xs, i), tf.gather(ys, i)),
                           num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)

    def synchronize(self) -> None:
        if self.device == "cuda":
            tf.test.experimental.sync_devices()

    def peak_device_memory(self) -> int | None:
        if self.device == "cuda":
            return int(tf.config.experimental.get_memory_info("GPU:0")["peak"])
        return None

    def reset_peak_device_memory(self) -> None:
        if self.device == "cuda":
            tf.config.experimental.reset_memory_stats("GPU:0")


class KerasBackend(KerasTFBackend):
    """``keras``: the name Keras on TensorFlow had before the other Keras backends came."""

    name: ClassVar[str] = "keras"


def _gpus() -> list:
    return tf.config.list_physical_devices("GPU")
