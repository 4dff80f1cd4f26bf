"""Tasks: declarations of what to train, on which data, judged how."""

from __future__ import annotations

from trainsmart_bench.registry import lookup
from trainsmart_bench.space import Direction
from trainsmart_bench.tasks.builtin import TASKS
from trainsmart_bench.tasks.spec import ModelSpec, ResolvedTask, TaskSpec

__all__ = ["Direction", "ModelSpec", "ResolvedTask", "TaskSpec", "get_task", "parse_tasks",
           "resolve_task", "task_names"]

_BY_NAME = {t.name: t for t in TASKS}


def task_names() -> list[str]:
    """The built-in tasks (user tasks: ``tasks.plugins``)."""
    return list(_BY_NAME)


def resolve_task(name: str) -> TaskSpec:
    """A built-in task, ``synthetic`` (the formula that tuner tests and overhead use), or a
    user task (``file.py:NAME``, ``module:NAME``, an entry point's or a loaded task's name)."""
    if name == "synthetic":
        from trainsmart_bench.tasks.synthetic import SYNTHETIC

        return SYNTHETIC
    return get_task(name)


def get_task(name: str) -> TaskSpec:
    if name in _BY_NAME:
        return _BY_NAME[name]
    from trainsmart_bench.tasks import plugins

    if plugins.looks_like_spec(name):
        return plugins.load(name)
    found = plugins.find(name)
    if found is not None:
        return found
    return lookup(_BY_NAME, name, "task (or a user task: path/to/file.py:NAME, module:NAME)")


def parse_tasks(text: str, extra: tuple[str, ...] = ()) -> list[str]:
    """Comma-separated task names or plugin specs, as task names (plugins loaded); an unknown
    one is an error that lists the built-in tasks."""
    items = [t.strip() for t in text.split(",") if t.strip()]
    if not items:
        lookup(_BY_NAME, text, "task")
    return list(dict.fromkeys(t if t in extra else get_task(t).name for t in items))
