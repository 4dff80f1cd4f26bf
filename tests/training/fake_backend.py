"""A pure-numpy Backend whose losses, validation curve and clock are scripted, for loop tests.

The weights are one array holding the number of epochs trained so far; ``predict`` scores
``quality[k - 1]`` after ``k`` epochs on any split made by ``fake_data`` (each row carries its
label and its rank), so the test accuracy tells which epoch's weights the model ended with.
Every call advances a ``FakeClock`` by a scripted duration: put it in place of the loop's
``time`` module and every timing the loop derives is exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from trainsmart_bench.backends.base import Backend, TaskData
from trainsmart_bench.space import Direction, Float, SearchSpace
from trainsmart_bench.tasks.spec import ModelSpec, ResolvedTask, TaskSpec

CLASSES = 4
ROWS = 100  # rows per split: a quality in hundredths is exact


class FakeClock:
    """Stands in for the ``time`` module: ``perf_counter`` moves only when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def perf_counter(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Script:
    quality: Sequence[float]  # validation (and test) accuracy after epoch 1, 2, ...
    loss: Sequence[float] = ()  # training loss per epoch (default: 1 / epoch)
    epoch_s: Sequence[float] = ()  # clock seconds per train_epoch (default: 1.0 each)
    build_s: float = 0.5
    predict_s: float = 0.1  # clock seconds per predict call
    calls: list[str] = field(default_factory=list)


class FakeBackend(Backend):
    name = "fake"
    framework = "numpy"

    def __init__(self, script: Script, clock: FakeClock) -> None:
        self.script, self.clock = script, clock
        self.state: dict[str, np.ndarray] | None = None  # the last model built, for inspection

    def setup(self, device: str, threads: int, seed: int, mode=None) -> None:
        pass

    def version(self) -> str:
        return np.__version__

    def build(self, task: ResolvedTask, data: TaskData) -> dict[str, np.ndarray]:
        self.clock.advance(self.script.build_s)
        self.state = {"w": np.zeros(3, np.float32)}
        return self.state

    def train_epoch(self, state: Any, x: np.ndarray, y: np.ndarray, batch_size: int,
                    order: np.ndarray | None = None) -> float:
        k = int(state["w"][0])  # epochs trained before this one
        s = self.script
        self.clock.advance(s.epoch_s[k] if s.epoch_s else 1.0)
        state["w"][:] = k + 1
        s.calls.append(f"train {k + 1}")
        return float(s.loss[k]) if s.loss else 1.0 / (k + 1)

    def predict(self, state: Any, x: np.ndarray, batch_size: int) -> np.ndarray:
        self.clock.advance(self.script.predict_s)
        k = int(state["w"][0])
        q = self.script.quality[k - 1] if k else 0.0
        label, rank = x[:, 0].astype(np.int64), x[:, 1]
        pred = np.where(rank < q, label, (label + 1) % CLASSES)  # the first q of rows right
        self.script.calls.append(f"predict {k}")
        return np.eye(CLASSES, dtype=np.float32)[pred]

    def get_weights(self, state: Any) -> list[np.ndarray]:
        return [state["w"].copy()]

    def set_weights(self, state: Any, weights: list[np.ndarray]) -> None:
        (w,) = weights
        state["w"][:] = w


def fake_data(n_train: int = 200) -> TaskData:
    """Splits whose rows are (label, rank in [0, 1)): ``predict`` is right on the first q."""
    rng = np.random.default_rng(0)

    def split(n: int) -> tuple[np.ndarray, np.ndarray]:
        y = rng.integers(0, CLASSES, n)
        x = np.stack([y, (np.arange(n) + 0.5) / n], axis=1).astype(np.float32)
        return x, y.astype(np.int64)

    (xt, yt), (xv, yv), (xs, ys) = split(n_train), split(ROWS), split(ROWS)
    return TaskData(xt, yt, xv, yv, xs, ys, CLASSES, dataset="fake")


def fake_task(target: float = 0.8, **params: Any) -> ResolvedTask:
    spec = TaskSpec(
        name="fake", description="scripted curves", dataset="none", model=ModelSpec("fake"),
        loss="sparse_categorical_crossentropy", metric="accuracy",
        direction=Direction.MAXIMIZE, target=target,
        defaults={"epochs": 6, "batch_size": 50, "patience": 0},
        space=SearchSpace({"lr": Float(1e-4, 1e-1, log=True)}),
    )
    return spec.resolve(**params)
