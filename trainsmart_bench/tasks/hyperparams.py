"""What each hyperparameter may be: a declared type and an allowed range, checked before
anything trains, whether the value came from ``--set``, a profile or a tuner's suggestion.

The type comes from the task's search space where it has the parameter, else from its
default; the range from the hard limits below (a search space bounds what tuners propose,
not what a user may ask for: ``--set epochs=3`` is fine although tuners pick 10, 20 or 30).
A categorical parameter with non-numeric choices (an activation, an augmentation switch)
must be one of its choices.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from trainsmart_bench.errors import ConfigError
from trainsmart_bench.space import Categorical, Float, Int, SearchSpace

# The ``augment`` hyperparameter of every task that declares augmentation: "default" applies
# the declaration (TaskSpec.augment), "none" turns it off (training.augment applies it).
AUGMENT_DEFAULT, AUGMENT_OFF = "default", "none"
AUGMENT_CHOICES = (AUGMENT_DEFAULT, AUGMENT_OFF)


@dataclass(frozen=True)
class Limit:
    kind: type  # int or float
    low: float | None = None
    high: float | None = None
    low_open: bool = False  # low itself is not allowed
    high_open: bool = False

    def allows(self, v: float) -> bool:
        if self.low is not None and (v < self.low or (self.low_open and v == self.low)):
            return False
        return self.high is None or not (v > self.high or (self.high_open and v == self.high))

    def describe(self) -> str:
        what = "an integer" if self.kind is int else "a number"
        lo = "" if self.low is None else f"{'>' if self.low_open else '>='} {self.low:g}"
        hi = "" if self.high is None else f"{'<' if self.high_open else '<='} {self.high:g}"
        return " ".join(p for p in (what, lo, "and" if lo and hi else "", hi) if p)


LIMITS: Mapping[str, Limit] = {
    "epochs": Limit(int, 1, 100_000),
    "batch_size": Limit(int, 1, 1 << 20),
    "lr": Limit(float, 0.0, 10.0, low_open=True),
    "dropout": Limit(float, 0.0, 1.0, high_open=True),
    "weight_decay": Limit(float, 0.0),
    "patience": Limit(int, 0),
    "width": Limit(int, 1, 1 << 16),
    "factors": Limit(int, 1, 1 << 14),
    "blocks": Limit(int, 1, 64),
    "maxlen": Limit(int, 1, 1 << 16),
}


# non-numeric hyperparameters whose values are fixed whatever the search space says
CHOICES: Mapping[str, tuple] = {"augment": AUGMENT_CHOICES}


def _number(key: str, value: Any, kind: type) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"hyperparameter {key}={value!r}: must be "
                          f"{'an integer' if kind is int else 'a number'}")
    if not math.isfinite(value):
        raise ConfigError(f"hyperparameter {key}={value!r}: must be finite")
    if kind is int and not float(value).is_integer():
        raise ConfigError(f"hyperparameter {key}={value!r}: must be an integer")
    return int(value) if kind is int else float(value)


def _kind(key: str, default: Any, space: SearchSpace | None) -> type | tuple | None:
    """int, float, a tuple of allowed choices, or None (any value of the default's type)."""
    if key in CHOICES:
        return CHOICES[key]
    p = space.params.get(key) if space is not None else None
    if isinstance(p, Int):
        return int
    if isinstance(p, Float):
        return float
    if isinstance(p, Categorical):
        if all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in p.choices):
            return int if all(isinstance(c, int) for c in p.choices) else float
        return tuple(p.choices)
    if key in LIMITS:
        return LIMITS[key].kind
    if isinstance(default, bool) or default is None:
        return None
    return type(default) if isinstance(default, (int, float)) else None


def check(key: str, value: Any, default: Any, space: SearchSpace | None) -> Any:
    """``value`` as the declared type, or ConfigError naming the key, value and what is allowed."""
    kind = _kind(key, default, space)
    if isinstance(kind, tuple):
        if value not in kind:
            raise ConfigError(f"hyperparameter {key}={value!r}: choose one of "
                              f"{', '.join(map(str, kind))}")
        return value
    if kind in (int, float):
        v = _number(key, value, kind)
        limit = LIMITS.get(key)
        if limit is not None and not limit.allows(v):
            raise ConfigError(f"hyperparameter {key}={value!r}: must be {limit.describe()}")
        return v
    if default is not None and not isinstance(value, type(default)):
        raise ConfigError(f"hyperparameter {key}={value!r}: must be a "
                          f"{type(default).__name__} like its default {default!r}")
    return value


def check_all(params: Mapping[str, Any], defaults: Mapping[str, Any],
              space: SearchSpace | None) -> dict[str, Any]:
    return {k: check(k, v, defaults.get(k), space) for k, v in params.items()}
