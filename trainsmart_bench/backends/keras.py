"""Keras 3 on TensorFlow: model.fit / model.predict, the way a Keras user trains.

Choices that keep the comparison with torch fair:
* ``jit_compile=False``: Keras' default "auto" turns XLA on when a GPU is visible, which would
  compare XLA-compiled TensorFlow with eager torch. Both sides run without a graph compiler
  (TensorFlow still traces a tf.function graph; that is Keras' normal execution);
* strict fp32 on GPU (TF32 off, as on the torch side) and memory growth on, so TensorFlow
  does not reserve the whole GPU and its peak-memory figure means what torch's does;
* ``device="cpu"`` hides the GPUs, so nothing runs on a GPU by TensorFlow's default placement;
* intra- and inter-op thread pools both get ``threads``; they can only be set before
  TensorFlow's runtime starts, which the runner guarantees (one process per run).
Keras' Adam adds epsilon to sqrt(v) *before* bias correction ("epsilon hat"); torch adds it
after. With eps=1e-7 the difference only matters for gradients near 1e-7.

Embedding gradients are made dense before Adam sees them (``DenseGradAdam``). Keras 3 applies
Adam's element-wise ops to the raw ``tf.IndexedSlices`` an embedding lookup produces, whose
indices repeat when a token (or user, item) occurs twice in a batch: the second moment then
accumulates the sum of per-occurrence squares, not the square of the summed gradient, which is
not Adam (Keras 2 deduplicated first). Dense gradients are what torch's nn.Embedding produces
too; Keras 3's Adam already updates its dense m and v in full, so the cost is one dense add.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from trainsmart_bench.backends import keras_models  # noqa: E402
from trainsmart_bench.backends.arch import ADAM_BETAS, ADAM_EPS, arch_for  # noqa: E402
from trainsmart_bench.backends.base import Backend, TaskData  # noqa: E402
from trainsmart_bench.tasks.spec import ResolvedTask  # noqa: E402

DEVICES = ("cpu", "cuda")


class DenseGradAdam(keras.optimizers.Adam):
    """Keras' Adam, given dense gradients for embeddings (see the module docstring)."""

    def apply(self, grads, trainable_variables=None):
        grads = [tf.convert_to_tensor(g) if isinstance(g, tf.IndexedSlices) else g
                 for g in grads]
        return super().apply(grads, trainable_variables)


@dataclass
class KerasState:
    model: keras.Model
    layers: list  # weighted layers in exchange order
    classification: bool
    infer: Callable  # one traced batch -> probabilities or predictions
    train_arrays: tuple | None = None  # (numpy x, tensor x, tensor y), reused across epochs


def _inference_fn(model: keras.Model, classification: bool) -> Callable:
    """A traced forward pass (softmax included): about 4x faster than ``model.predict`` on
    MNIST-sized validation sets, which pays for a data adapter and callbacks on every call."""

    @tf.function(reduce_retracing=True, jit_compile=False)
    def infer(xb):
        out = model(xb, training=False)
        return tf.nn.softmax(out, axis=-1) if classification else out

    return infer


class KerasBackend(Backend):
    name: ClassVar[str] = "keras"
    framework: ClassVar[str] = "keras"
    adam_epsilon: float = ADAM_EPS  # Keras: added to sqrt(v) before bias correction

    def __init__(self) -> None:
        self.device = "cpu"

    @classmethod
    def is_available(cls) -> bool:
        return all(importlib.util.find_spec(m) is not None for m in ("keras", "tensorflow"))

    def check(self, task: ResolvedTask, device: str) -> None:
        if keras.backend.backend() != "tensorflow":
            raise NotImplementedError(
                f"Keras is configured for {keras.backend.backend()!r}; this backend measures "
                "Keras on TensorFlow (unset KERAS_BACKEND or set it to 'tensorflow')")
        if device not in DEVICES:
            raise NotImplementedError(f"keras backend runs on {DEVICES}, not {device!r}")
        if task.spec.model.kind not in keras_models.BUILDERS:
            raise NotImplementedError(f"keras backend has no model kind {task.spec.model.kind!r}")

    def device_available(self, device: str) -> bool:
        return device == "cpu" or (device == "cuda" and bool(_gpus()))

    def setup(self, device: str, threads: int, seed: int) -> None:
        self.device = device
        gpus = _gpus()
        if device == "cpu" and gpus:
            tf.config.set_visible_devices([], "GPU")
        elif device == "cuda":
            for gpu in gpus:
                tf.config.experimental.set_memory_growth(gpu, True)
            tf.config.experimental.enable_tensor_float_32_execution(False)
        threading = tf.config.threading
        try:
            threading.set_intra_op_parallelism_threads(int(threads))
            threading.set_inter_op_parallelism_threads(int(threads))
        except RuntimeError as exc:  # TF already ran an op with other thread settings
            raise RuntimeError(
                f"cannot set TensorFlow to {threads} threads: its runtime already started "
                f"with intra={threading.get_intra_op_parallelism_threads()}; run each "
                "benchmark in a fresh process") from exc
        keras.utils.set_random_seed(seed)

    def version(self) -> str:
        return f"{keras.__version__}+tf{tf.__version__}"  # a valid PEP 440 local version

    def build(self, task: ResolvedTask, data: TaskData) -> KerasState:
        arch = arch_for(task, data)
        model, weighted = keras_models.build_model(arch)
        wd = float(task.get("weight_decay", 0.0) or 0.0)
        optimizer = DenseGradAdam(
            learning_rate=float(task["lr"]), beta_1=ADAM_BETAS[0], beta_2=ADAM_BETAS[1],
            epsilon=self.adam_epsilon, weight_decay=wd or None,
        )
        loss = (keras.losses.SparseCategoricalCrossentropy(from_logits=True)
                if arch.classification else keras.losses.MeanSquaredError())
        model.compile(optimizer=optimizer, loss=loss, jit_compile=False)
        return KerasState(model, weighted, arch.classification,
                          _inference_fn(model, arch.classification))

    def train_epoch(self, state: KerasState, x: np.ndarray, y: np.ndarray,
                    batch_size: int, order: np.ndarray | None = None) -> float:
        if order is None:
            history = state.model.fit(x, y, batch_size=batch_size, epochs=1, shuffle=False,
                                      verbose=0)
        else:  # what fit(shuffle=True) does inside, with our order: gather batch by batch
            history = state.model.fit(self._epoch_data(state, x, y, order, batch_size),
                                      epochs=1, shuffle=False, verbose=0)
        return float(history.history["loss"][-1])

    @staticmethod
    def _epoch_data(state: KerasState, x: np.ndarray, y: np.ndarray, order: np.ndarray,
                    batch_size: int) -> tf.data.Dataset:
        if state.train_arrays is None or state.train_arrays[0] is not x:
            state.train_arrays = (x, tf.constant(x), tf.constant(y))
        _, xs, ys = state.train_arrays
        batches = tf.data.Dataset.from_tensor_slices(order).batch(batch_size)
        return batches.map(lambda i: (tf.gather(xs, i), tf.gather(ys, i)),
                           num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)

    def predict(self, state: KerasState, x: np.ndarray, batch_size: int) -> np.ndarray:
        outs = [state.infer(x[start:start + batch_size]).numpy()
                for start in range(0, max(1, len(x)), batch_size)]  # an empty x gives (0, ...)
        return np.concatenate(outs).astype(np.float32, copy=False)

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

    def get_weights(self, state: KerasState) -> list[np.ndarray]:
        return [w for layer in state.layers for w in layer.get_weights()]

    def set_weights(self, state: KerasState, weights: list[np.ndarray]) -> None:
        expected = sum(len(layer.weights) for layer in state.layers)
        if len(weights) != expected:
            raise ValueError(f"expected {expected} weight arrays, got {len(weights)}")
        pos = 0
        for layer in state.layers:
            n = len(layer.weights)
            layer.set_weights(list(weights[pos:pos + n]))
            pos += n


def _gpus() -> list:
    return tf.config.list_physical_devices("GPU")

