"""A user task's models (``tasks.user``): the builder a backend calls, and what it is told.

Every backend trains a user model the way it trains its built-in ones (its optimizer with the
suite's Adam constants, the loss from the task's metric, the trainer's batches and order), so
a difference between backends is still the framework's; only the architecture is the user's.
A task without a builder for a backend's family is a recorded skip that says so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from trainsmart_bench.backends.base import TaskData
from trainsmart_bench.tasks.spec import ResolvedTask

KIND = "user"
NAMES = {"keras": "a Keras 3 builder (keras=)", "torch": "a PyTorch builder (torch=)",
         "sklearn": "a scikit-learn estimator factory (sklearn=)"}


def is_user(task: ResolvedTask) -> bool:
    return task.spec.model.kind == KIND


def builder(task: ResolvedTask, family: str) -> Callable[..., Any]:
    """The task's builder for ``family``; NotImplementedError (a recorded skip) without one."""
    code = task.spec.plugin
    fn = code.builder(family) if code is not None else None
    if fn is None:
        raise NotImplementedError(f"user task {task.spec.name!r} ({code.source if code else '?'})"
                                  f" declares no {NAMES[family]}")
    return fn


def info(task: ResolvedTask, data: TaskData) -> Any:
    from trainsmart_bench.tasks.user import ModelInfo

    return ModelInfo(input_shape=tuple(int(d) for d in data.input_shape),
                     n_outputs=int(data.n_outputs), classification=task.spec.is_classification,
                     dropout=float(task.get("dropout", 0.0) or 0.0))


def build(task: ResolvedTask, data: TaskData, family: str, expected: type,
          what: str) -> Any:
    """Call the builder and check what it returned."""
    model = builder(task, family)(task, info(task, data))
    if not isinstance(model, expected):
        raise TypeError(f"user task {task.spec.name!r}: its {family}= builder returned "
                        f"{type(model).__name__}, not {what}")
    return model
