"""Tuner adapters behind one suggest/observe interface, driven by ``trainsmart_bench.tuning.study``.

Importing this package loads no tuner library: each adapter imports Hyperopt, Optuna or Ray
when it is constructed, and says which extra to install when the library is missing. A name
can also be a plugin (``tuners.plugins``): a user's file, module or entry point, an Optuna
sampler by import path, a Bayesmark optimizer folder.
"""

from __future__ import annotations

from typing import Any

from trainsmart_bench.errors import ConfigError, MissingDependency
from trainsmart_bench.registry import TUNERS, require, resolve, split_tuner
from trainsmart_bench.space import Direction, SearchSpace
from trainsmart_bench.tuners.base import Tuner

__all__ = ["MissingDependency", "Tuner", "create_tuner", "require", "tuner_class"]


def tuner_class(name: str) -> type[Tuner]:
    """The adapter class of ``name``'s sampler (imports its module, not its library); a
    plugin's (``tuners.plugins``) is loaded, which runs its code."""
    base, _ = split_tuner(name)
    if base in TUNERS:
        return resolve("tuner", base)
    from trainsmart_bench.tuners.plugins import load_tuner_class

    return load_tuner_class(base)


def create_tuner(name: str, space: SearchSpace, direction: Direction | str, seed: int = 0,
                 **options: Any) -> Tuner:
    """The tuner ``name`` (``sampler`` or ``sampler+pruner``) names, with its pruner."""
    base, pruner = split_tuner(name)
    cls = tuner_class(base)
    if pruner is not None:
        if base not in TUNERS and pruner not in getattr(cls, "pruners", ()):
            can = ", ".join(getattr(cls, "pruners", ())) or "none: its class declares no pruners"
            raise ConfigError(f"tuner {base!r} takes no pruner {pruner!r} ({can})")
        options = {**options, "pruner": pruner}
    return cls(space, direction, seed, **options)
