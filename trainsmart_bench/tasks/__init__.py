"""Tasks: declarations of what to train, on which data, judged how."""

from __future__ import annotations

from trainsmart_bench.registry import lookup
from trainsmart_bench.space import Direction
from trainsmart_bench.tasks.builtin import TASKS
from trainsmart_bench.tasks.spec import ModelSpec, ResolvedTask, TaskSpec

__all__ = ["Direction", "ModelSpec", "ResolvedTask", "TaskSpec", "get_task", "resolve_task",
           "task_names"]

_BY_NAME = {t.name: t for t in TASKS}


def task_names() -> list[str]:
    return list(_BY_NAME)


def resolve_task(name: str) -> TaskSpec:
    """A built-in task, or ``synthetic`` (the formula that tuner tests and overhead use)."""
    if name == "synthetic":
        from trainsmart_bench.tasks.synthetic import SYNTHETIC

        return SYNTHETIC
    return get_task(name)


def get_task(name: str) -> TaskSpec:
    return lookup(_BY_NAME, name, "task")
