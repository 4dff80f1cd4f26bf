"""The Backend interface: one small adapter per framework; the trainer owns the loop."""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from trainsmart_bench.mode import EAGER, Mode
from trainsmart_bench.tasks.spec import ResolvedTask


@dataclass(frozen=True)
class TaskData:
    """Task-ready numpy arrays, identical for every backend.

    Images are float32 NHWC (scaled, normalized); token sequences int32 (N, maxlen);
    ratings: x is int32 (N, 2) of (user, item) dense indices and y float32.
    Classification labels are int64 class indices.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    n_outputs: int  # classes, or 1 for regression
    extras: Mapping[str, Any] = field(default_factory=dict)  # n_users, n_items, vocab, mean...
    dataset: str = ""
    dataset_checksum: str = ""
    dataset_source: str = ""

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.x_train.shape[1:])


class Backend:
    """Subclasses live in their own module and import their framework at its top.

    Conventions shared by all backends, so a difference is the framework's:
    * explicit initializers: Glorot-uniform kernels, zero biases, U(-0.05, 0.05) embeddings;
      batch norm gamma=1, beta=0, eps=1e-5, running-average momentum 0.1 (Keras: 0.9);
    * Adam with beta1=0.9, beta2=0.999, eps=1e-7, decoupled weight decay (AdamW semantics);
      note the two libraries add eps at different points (torch to sqrt(v_hat), Keras to
      sqrt(v) before bias correction): equal constants, slightly different updates early on;
    * the loss is computed from logits; fp32; the thread count set by ``setup``;
    * batches are consumed in the order the trainer passes them (no framework shuffling);
    * the execution mode (``trainsmart_bench.mode``: compiler x precision) is given to
      ``setup`` and applies to what ``build`` makes; eager fp32 unless asked otherwise.
    """

    name: ClassVar[str]
    framework: ClassVar[str]  # the distribution/module whose version is recorded
    single_fit: ClassVar[bool] = False  # True: one fit call; the trainer runs one "epoch"

    @classmethod
    def is_available(cls) -> bool:
        return importlib.util.find_spec(cls.framework) is not None

    def check(self, task: ResolvedTask, device: str) -> None:
        """Raise NotImplementedError(reason) for a combination this backend cannot run."""

    def device_available(self, device: str) -> bool:
        return device == "cpu"

    def check_mode(self, mode: Mode, device: str) -> None:
        """Raise NotImplementedError(reason) for a mode this backend cannot run on ``device``
        (recorded as a skip). The base class runs eager fp32 only."""
        if mode != EAGER:
            raise NotImplementedError(f"{self.name} has no {mode.name} mode (eager fp32 only)")

    def setup(self, device: str, threads: int, seed: int, mode: Mode = EAGER) -> None:
        """Pin the device, the intra-op thread count, the framework's seeds and the mode."""
        raise NotImplementedError

    def version(self) -> str:
        raise NotImplementedError

    def build(self, task: ResolvedTask, data: TaskData) -> Any:
        """Build the model and its optimizer for ``task`` (hyperparameters in task.params)."""
        raise NotImplementedError

    def train_epoch(self, state: Any, x: np.ndarray, y: np.ndarray, batch_size: int,
                    order: np.ndarray | None = None) -> float:
        """One pass over the rows ``x[order]`` (all rows in turn when None), in batches of
        consecutive entries of ``order``; returns the mean training loss.

        Rows are gathered batch by batch, never as a whole shuffled copy of the epoch.
        """
        raise NotImplementedError

    def predict(self, state: Any, x: np.ndarray, batch_size: int) -> np.ndarray:
        """Class probabilities (N, classes) or predictions (N,) for regression."""
        raise NotImplementedError

    def synchronize(self) -> None:
        """Wait for queued device work, so a clock stopped after this is honest."""

    def peak_device_memory(self) -> int | None:
        """Peak device bytes allocated by the framework, or None where it cannot say."""
        return None

    def reset_peak_device_memory(self) -> None:
        """Start a new peak-memory window."""

    def compile_stats(self) -> dict[str, float]:
        """What the graph compiler did in this process, where the framework says: e.g.
        ``compiled_graphs`` and ``graph_breaks`` (metric names of ``results.records``)."""
        return {}

    # -- a trained model kept for serving (``trainsmart run --save-model``, ``serving``) --

    model_format: ClassVar[str | None] = None  # the file suffix of the framework's format

    def save_model(self, state: Any, path: Any) -> None:
        """Write the trained model to ``path`` in the framework's own format."""
        raise NotImplementedError(f"{self.name} cannot save its models")

    def load_model(self, path: Any, task: ResolvedTask, data: TaskData) -> Any:
        """A state whose ``predict`` gives what the saved model gave (the model of ``task``
        built again, its weights read from ``path``)."""
        raise NotImplementedError(f"{self.name} cannot load saved models")

    def get_weights(self, state: Any) -> list[np.ndarray]:
        """Parameters in Keras layout and order (kernels (in, out), HWIO convs)."""
        raise NotImplementedError

    def set_weights(self, state: Any, weights: list[np.ndarray]) -> None:
        raise NotImplementedError

    def param_count(self, state: Any) -> int:
        return int(sum(w.size for w in self.get_weights(state)))
