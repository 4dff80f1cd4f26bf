"""A framework-agnostic search space: plain data that every tuner adapter translates."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, Union

import numpy as np

from trainsmart_bench.errors import ConfigError

Value = Union[int, float, str, bool]  # noqa: UP007 - a runtime alias on 3.10


class Direction(str, Enum):
    """Which way an objective is better: a task's metric, a tuner's target."""

    MAXIMIZE = "max"
    MINIMIZE = "min"

    def better(self, a: float, b: float) -> bool:
        """True when ``a`` is strictly better than ``b``."""
        return a > b if self is Direction.MAXIMIZE else a < b


@dataclass(frozen=True)
class Float:
    low: float
    high: float
    log: bool = False

    def __post_init__(self) -> None:
        if not (math.isfinite(self.low) and math.isfinite(self.high) and self.low < self.high):
            raise ConfigError(f"Float({self.low}, {self.high}): need finite low < high")
        if self.log and self.low <= 0:
            raise ConfigError(f"Float({self.low}, {self.high}, log=True): low must be > 0")

    def sample(self, rng: np.random.Generator) -> float:
        if self.log:
            return float(math.exp(rng.uniform(math.log(self.low), math.log(self.high))))
        return float(rng.uniform(self.low, self.high))

    def contains(self, value: Any) -> bool:
        return isinstance(value, (int, float)) and self.low <= value <= self.high

    def grid(self, n: int) -> list[float]:
        if self.log:
            return [float(v) for v in np.geomspace(self.low, self.high, n)]
        return [float(v) for v in np.linspace(self.low, self.high, n)]


@dataclass(frozen=True)
class Int:
    low: int
    high: int  # inclusive
    log: bool = False

    def __post_init__(self) -> None:
        if not (isinstance(self.low, int) and isinstance(self.high, int) and self.low < self.high):
            raise ConfigError(f"Int({self.low}, {self.high}): need integers low < high")
        if self.log and self.low <= 0:
            raise ConfigError(f"Int({self.low}, {self.high}, log=True): low must be > 0")

    def sample(self, rng: np.random.Generator) -> int:
        if self.log:
            v = math.exp(rng.uniform(math.log(self.low), math.log(self.high + 1)))
            return int(min(self.high, max(self.low, math.floor(v))))
        return int(rng.integers(self.low, self.high + 1))

    def contains(self, value: Any) -> bool:
        return isinstance(value, (int, np.integer)) and self.low <= value <= self.high

    def grid(self, n: int) -> list[int]:
        spacing = np.geomspace if self.log else np.linspace
        raw = spacing(self.low, self.high, n)
        return sorted({int(round(v)) for v in raw})


@dataclass(frozen=True)
class Categorical:
    choices: tuple[Value, ...]

    def __post_init__(self) -> None:
        if len(self.choices) < 1 or len(set(self.choices)) != len(self.choices):
            raise ConfigError(f"Categorical{self.choices}: need distinct choices")

    def sample(self, rng: np.random.Generator) -> Value:
        return self.choices[int(rng.integers(len(self.choices)))]

    def contains(self, value: Any) -> bool:
        return value in self.choices

    def grid(self, n: int) -> list[Value]:
        return list(self.choices)


Param = Union[Float, Int, Categorical]  # noqa: UP007 - a runtime alias on 3.10
_KINDS = {"float": Float, "int": Int, "categorical": Categorical}


@dataclass(frozen=True)
class SearchSpace:
    params: Mapping[str, Param]

    def __post_init__(self) -> None:
        if not self.params:
            raise ConfigError("a search space needs at least one parameter")
        for name, p in self.params.items():
            if not isinstance(p, (Float, Int, Categorical)):
                raise ConfigError(f"parameter {name!r}: {p!r} is not Float, Int or Categorical")

    def sample(self, rng: np.random.Generator) -> dict[str, Value]:
        return {name: p.sample(rng) for name, p in self.params.items()}

    def validate(self, config: Mapping[str, Any]) -> dict[str, Value]:
        """Check a suggestion: every parameter present and in range; returns plain Python types."""
        missing = set(self.params) - set(config)
        extra = set(config) - set(self.params)
        if missing or extra:
            raise ConfigError(
                f"config {dict(config)}: missing {sorted(missing)}, extra {sorted(extra)}"
            )
        out: dict[str, Value] = {}
        for name, p in self.params.items():
            v = config[name]
            if isinstance(v, np.generic):
                v = v.item()
            if not p.contains(v):
                raise ConfigError(f"parameter {name!r}={v!r} is outside {p}")
            out[name] = int(v) if isinstance(p, Int) else v
        return out

    def to_dict(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for name, p in self.params.items():
            if isinstance(p, Categorical):
                out[name] = {"type": "categorical", "choices": list(p.choices)}
            else:
                kind = "float" if isinstance(p, Float) else "int"
                out[name] = {"type": kind, "low": p.low, "high": p.high, "log": p.log}
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Mapping[str, Any]]) -> SearchSpace:
        params: dict[str, Param] = {}
        for name, spec in data.items():
            kind = spec.get("type")
            if kind not in _KINDS:
                raise ConfigError(f"parameter {name!r}: type {kind!r}; use one of {sorted(_KINDS)}")
            if kind == "categorical":
                params[name] = Categorical(tuple(spec["choices"]))
            else:
                params[name] = _KINDS[kind](spec["low"], spec["high"], bool(spec.get("log", False)))
        return cls(params)

    def grid(self, points_per_axis: int = 3) -> list[dict[str, Value]]:
        axes: Sequence[list[Value]] = [p.grid(points_per_axis) for p in self.params.values()]
        configs: list[dict[str, Value]] = [{}]
        for name, axis in zip(self.params, axes):
            configs = [{**c, name: v} for c in configs for v in axis]
        return configs
