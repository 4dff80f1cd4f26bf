"""Tasks: declarations of what to train, on which data, judged how."""

from __future__ import annotations

from trainsmart_bench.errors import ConfigError
from trainsmart_bench.tasks.builtin import TASKS
from trainsmart_bench.tasks.spec import Direction, ModelSpec, ResolvedTask, TaskSpec

__all__ = ["Direction", "ModelSpec", "ResolvedTask", "TaskSpec", "get_task", "task_names"]

_BY_NAME = {t.name: t for t in TASKS}


def task_names() -> list[str]:
    return list(_BY_NAME)


def get_task(name: str) -> TaskSpec:
    try:
        return _BY_NAME[name]
    except KeyError:
        raise ConfigError(
            f"unknown task {name!r}; choose one of: {', '.join(_BY_NAME)}"
        ) from None
