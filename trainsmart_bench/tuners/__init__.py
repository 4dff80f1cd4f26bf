"""Tuner adapters behind one suggest/observe interface, driven by ``trainsmart_bench.tuning.study``.

Importing this package loads no tuner library: each adapter imports Hyperopt, Optuna or Ray
when it is constructed, and says which extra to install when the library is missing.
"""

from __future__ import annotations

from typing import Any

from trainsmart_bench.errors import MissingDependency
from trainsmart_bench.registry import require, resolve, split_tuner
from trainsmart_bench.space import Direction, SearchSpace
from trainsmart_bench.tuners.base import Tuner

__all__ = ["MissingDependency", "Tuner", "create_tuner", "require", "tuner_class"]


def tuner_class(name: str) -> type[Tuner]:
    """The adapter class of ``name``'s sampler (imports its module, not its library)."""
    return resolve("tuner", split_tuner(name)[0])


def create_tuner(name: str, space: SearchSpace, direction: Direction | str, seed: int = 0,
                 **options: Any) -> Tuner:
    """The tuner ``name`` (``sampler`` or ``sampler+pruner``) names, with its pruner."""
    base, pruner = split_tuner(name)
    if pruner is not None:
        options = {**options, "pruner": pruner}
    return resolve("tuner", base)(space, direction, seed, **options)
