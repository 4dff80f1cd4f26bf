"""Tuner adapters behind one suggest/observe interface, driven by ``trainsmart_bench.tuning.study``.

Importing this package loads no tuner library: each adapter imports Hyperopt, Optuna or Ray
when it is constructed, and says which extra to install when the library is missing.
"""

from __future__ import annotations

from typing import Any

from trainsmart_bench.errors import MissingDependency
from trainsmart_bench.registry import require, resolve
from trainsmart_bench.space import Direction, SearchSpace
from trainsmart_bench.tuners.base import Tuner

__all__ = ["MissingDependency", "Tuner", "create_tuner", "require", "tuner_class"]


def tuner_class(name: str) -> type[Tuner]:
    """The adapter class registered as ``name`` (imports its module, not its library)."""
    return resolve("tuner", name)


def create_tuner(name: str, space: SearchSpace, direction: Direction | str, seed: int = 0,
                 **options: Any) -> Tuner:
    return tuner_class(name)(space, direction, seed, **options)
