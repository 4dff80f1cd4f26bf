"""Shared test helpers: which adapters can run here, small spaces, a cheap objective."""

from __future__ import annotations

import importlib.util

import pytest

from trainsmart_bench.registry import TUNER_ENTRIES, split_tuner, tuner_names
from trainsmart_bench.space import Categorical, Float, Int, SearchSpace

# the libraries each sampler needs, beyond numpy (its pruned variants need the same)
NEEDS = {name: e.modules for name, e in TUNER_ENTRIES.items()}
CONTINUOUS_ONLY = {"optuna-cmaes"}


def needs(name: str) -> tuple[str, ...]:
    return NEEDS[split_tuner(name)[0]]


def missing(name: str) -> list[str]:
    return [m for m in needs(name) if importlib.util.find_spec(m) is None]


def tuner_params(names=None):
    """pytest params over every tuner name (pruned variants too); a missing library skips
    with its name."""
    out = []
    for name in names or tuner_names():
        gone = missing(name)
        marks = [pytest.mark.skip(reason=f"{name} needs {', '.join(gone)}")] if gone else []
        out.append(pytest.param(name, marks=marks, id=name))
    return out


MIXED = SearchSpace({
    "lr": Float(1e-5, 1e-1, log=True),
    "dropout": Float(0.0, 0.5),
    "units": Int(8, 512, log=True),
    "layers": Int(1, 3),
    "pair": Int(0, 1),
    "batch_size": Categorical((32, 64, 128)),
    "act": Categorical(("relu", "tanh")),
})

CONTINUOUS = SearchSpace({
    "lr": Float(1e-5, 1e-1, log=True),
    "dropout": Float(0.0, 0.5),
    "units": Int(8, 512, log=True),
    "layers": Int(1, 3),
})


def space_for(name: str) -> SearchSpace:
    return CONTINUOUS if split_tuner(name)[0] in CONTINUOUS_ONLY else MIXED


def toy_value(config: dict) -> float:
    """A cheap value for a MIXED/CONTINUOUS config; higher is better."""
    import math

    v = -(math.log10(config["lr"]) + 3) ** 2 - (config["dropout"] - 0.2) ** 2
    v -= (math.log2(config["units"]) - 6) ** 2 / 10 + abs(config["layers"] - 2)
    if config.get("act") == "tanh":
        v -= 0.3
    return v
