"""Keras 3 on any of its backends: ``model.fit`` and batched inference, the way a Keras user
trains. Imported through ``keras_tf``, ``keras_jax`` or ``keras_torch``, which set
``KERAS_BACKEND`` before Keras is imported (Keras picks its backend once per process, and the
runner starts one process per run) and add what only their framework has.

What every Keras backend shares, so that a difference between them is the framework's:
* the same functional model (``keras_models``), explicit initializers and Adam constants;
  Keras' Adam adds epsilon to sqrt(v) *before* bias correction ("epsilon hat"), torch after;
* batches gathered from the trainer's order, never shuffled by Keras;
* modes (``trainsmart_bench.mode``): ``eager`` is ``jit_compile=False``, ``compiled`` is
  ``jit_compile=True`` (XLA on TensorFlow and JAX; on the PyTorch backend Keras runs its step
  under ``torch.compile``, which its documentation states); ``max-autotune`` has no Keras
  equivalent (a skip). ``bf16``/``fp16`` build the model under the ``mixed_bfloat16`` /
  ``mixed_float16`` dtype policy (fp16 gets Keras' loss-scale optimizer automatically).
  What ``eager`` means differs by backend and is Keras' own execution: TensorFlow still traces
  a ``tf.function`` graph, JAX dispatches op by op (no ``jax.jit``), PyTorch runs eagerly.
"""

from __future__ import annotations

import contextlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import keras
import numpy as np
from keras import layers

from trainsmart_bench.backends import keras_models, user_models
from trainsmart_bench.backends.arch import ADAM_BETAS, ADAM_EPS, arch_for
from trainsmart_bench.backends.base import Backend, TaskData
from trainsmart_bench.mode import EAGER, Mode, precision_unavailable
from trainsmart_bench.tasks.spec import ResolvedTask

DEVICES = ("cpu", "cuda")
POLICIES = {"fp32": "float32", "bf16": "mixed_bfloat16", "fp16": "mixed_float16"}


@dataclass
class KerasState:
    model: keras.Model
    layers: list  # weighted layers in exchange order
    classification: bool
    infer: Callable  # one batch -> probabilities or predictions (numpy or a tensor)
    train_arrays: tuple | None = None  # (numpy x, what the feed made of it), reused


class OrderedBatches(keras.utils.PyDataset):
    """One epoch of ``x[order]``, gathered batch by batch (what ``fit(shuffle=True)`` does
    inside, with the trainer's order); read in the training thread (no workers)."""

    def __init__(self, x: np.ndarray, y: np.ndarray, order: np.ndarray, batch_size: int):
        super().__init__()
        self.x, self.y, self.order, self.batch_size = x, y, order, batch_size

    def __len__(self) -> int:
        return -(-len(self.order) // self.batch_size)

    def __getitem__(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        rows = self.order[i * self.batch_size:(i + 1) * self.batch_size]
        return self.x[rows], self.y[rows]


@contextlib.contextmanager
def dtype_policy(precision: str):
    """Layers built inside get the precision's Keras dtype policy; the previous one returns."""
    before = keras.config.dtype_policy()
    keras.config.set_dtype_policy(POLICIES[precision])
    try:
        yield
    finally:
        keras.config.set_dtype_policy(before)


class KerasAdapter(Backend):
    """The shared Keras backend; subclasses name their Keras backend and set up its runtime."""

    framework: ClassVar[str] = "keras"
    keras_backend: ClassVar[str]  # the value of KERAS_BACKEND this adapter measures
    runtime: ClassVar[str]  # the module that backend runs on
    adam_epsilon: float = ADAM_EPS  # Keras: added to sqrt(v) before bias correction

    def __init__(self) -> None:
        self.device = "cpu"
        self.mode = EAGER

    @classmethod
    def is_available(cls) -> bool:
        return all(importlib.util.find_spec(m) is not None for m in ("keras", cls.runtime))

    def check(self, task: ResolvedTask, device: str) -> None:
        if keras.backend.backend() != self.keras_backend:
            raise NotImplementedError(
                f"Keras in this process runs on {keras.backend.backend()!r}; {self.name} "
                f"measures Keras on {self.keras_backend!r} (Keras picks its backend once per "
                "process: run each backend in a fresh process)")
        if device not in DEVICES:
            raise NotImplementedError(f"{self.name} runs on {DEVICES}, not {device!r}")
        if user_models.is_user(task):
            user_models.builder(task, "keras")  # none: a recorded skip
        elif task.spec.model.kind not in keras_models.BUILDERS:
            raise NotImplementedError(f"{self.name} has no model kind {task.spec.model.kind!r}")

    def check_mode(self, mode: Mode, device: str) -> None:
        if mode.compiler == "max-autotune":
            raise NotImplementedError("max-autotune is a torch.compile mode; Keras has "
                                      "jit_compile on (compiled) or off (eager) only")
        if reason := precision_unavailable(mode, device):
            raise NotImplementedError(reason)

    def setup(self, device: str, threads: int, seed: int, mode: Mode = EAGER) -> None:
        self.device, self.mode = device, mode
        self.configure(device, int(threads))
        keras.utils.set_random_seed(seed)

    def configure(self, device: str, threads: int) -> None:
        """Device placement and thread pools of the framework under Keras."""
        raise NotImplementedError

    def device_scope(self) -> contextlib.AbstractContextManager:
        """Where Keras places variables and batches (``keras.device``). No device index:
        Keras on PyTorch would copy every new parameter from "cpu" to "cpu:0", and a copy is
        no longer the leaf tensor its gradient goes to."""
        return keras.device("cpu" if self.device == "cpu" else "gpu")

    def optimizer(self, **kwargs: Any) -> keras.optimizers.Optimizer:
        return keras.optimizers.Adam(**kwargs)

    def build(self, task: ResolvedTask, data: TaskData) -> KerasState:
        if user_models.is_user(task):  # one model definition, the same on every Keras backend
            classification = task.spec.is_classification
            with self.device_scope(), dtype_policy(self.mode.precision):
                model = user_models.build(task, data, "keras", keras.Model, "a keras.Model")
            return self._compile(task, model, [model], classification)
        arch = arch_for(task, data)
        with self.device_scope(), dtype_policy(self.mode.precision):
            model, weighted = keras_models.build_model(arch)
        return self._compile(task, model, weighted, arch.classification)

    def _compile(self, task: ResolvedTask, model: keras.Model, weighted: list,
                 classification: bool) -> KerasState:
        wd = float(task.get("weight_decay", 0.0) or 0.0)
        optimizer = self.optimizer(
            learning_rate=float(task["lr"]), beta_1=ADAM_BETAS[0], beta_2=ADAM_BETAS[1],
            epsilon=self.adam_epsilon, weight_decay=wd or None,
        )
        loss = (keras.losses.SparseCategoricalCrossentropy(from_logits=True)
                if classification else keras.losses.MeanSquaredError())
        model.compile(optimizer=optimizer, loss=loss, jit_compile=self.mode.compiled)
        return KerasState(model, weighted, classification, self.inference(model, classification))

    def inference(self, model: keras.Model, classification: bool) -> Callable:
        """One batch -> probabilities (softmax in float32) or predictions, run the way the
        mode runs training (``predict_on_batch`` of a model sharing the trained layers)."""
        try:
            out = model.output
        except (AttributeError, ValueError):  # a subclassed user model has no graph output
            def call(xb: Any) -> Any:
                out = keras.ops.cast(model(xb, training=False), "float32")
                return keras.ops.softmax(out, axis=-1) if classification else out

            return call
        if classification:
            out = layers.Softmax(dtype="float32")(out)
        infer = keras.Model(model.input, out)
        infer.compile(jit_compile=self.mode.compiled)
        return infer.predict_on_batch

    def train_epoch(self, state: KerasState, x: np.ndarray, y: np.ndarray,
                    batch_size: int, order: np.ndarray | None = None) -> float:
        with self.device_scope():
            if order is None:
                history = state.model.fit(x, y, batch_size=batch_size, epochs=1,
                                          shuffle=False, verbose=0)
            else:
                history = state.model.fit(self.feed(state, x, y, order, batch_size),
                                          epochs=1, shuffle=False, verbose=0)
        self.wait(state)
        return float(history.history["loss"][-1])

    def feed(self, state: KerasState, x: np.ndarray, y: np.ndarray, order: np.ndarray,
             batch_size: int) -> Any:
        """What ``fit`` consumes for one epoch in the trainer's order."""
        return OrderedBatches(x, y, order, batch_size)

    def wait(self, state: KerasState) -> None:
        """Block until the updates of the last step are done (frameworks that run async)."""

    def predict(self, state: KerasState, x: np.ndarray, batch_size: int) -> np.ndarray:
        with self.device_scope():
            outs = [keras.ops.convert_to_numpy(state.infer(x[start:start + batch_size]))
                    for start in range(0, max(1, len(x)), batch_size)]  # empty x: (0, ...)
        out = np.concatenate(outs).astype(np.float32, copy=False)
        if not state.classification and out.ndim == 2 and out.shape[1] == 1:
            out = out[:, 0]  # a regression model's (N, 1) output
        return out

    model_format: ClassVar[str] = "keras"  # Keras 3's own archive (model.save)

    def save_model(self, state: KerasState, path: Any) -> None:
        state.model.save(str(path))

    def load_model(self, path: Any, task: ResolvedTask, data: TaskData) -> KerasState:
        """The task's model built again, its weights read from the archive (a model loaded
        whole would need our optimizer class registered; the weights are what was trained)."""
        state = self.build(task, data)
        state.model.load_weights(str(path))
        return state

    def param_count(self, state: KerasState) -> int:
        if len(state.layers) == 1 and state.layers[0] is state.model:  # a user model
            return int(sum(int(np.prod(w.shape)) for w in state.model.trainable_weights))
        return super().param_count(state)

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
