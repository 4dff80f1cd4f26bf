"""The adapter contract every tuner follows: ``suggest`` configs, ``observe`` their values.

Our study loop (``trainsmart_bench.tuning.study``) owns the trials, the clock and the budget;
a tuner only proposes. Like bayesmark's ``AbstractOptimizer``, an adapter is a thin translation
layer:

* ``suggest(n)`` returns ``n`` configs as plain dicts (the loop validates each against the
  space);
* ``observe(configs, values)`` feeds back the validation objective of each config in the task's
  own direction (the adapter converts, e.g. hyperopt minimizes ``-accuracy``). A failed trial is
  observed with ``None``; each adapter documents what its library does with it;
* ``report(trial_id, epoch, value) -> bool`` is for tuners that prune (``supports_pruning``:
  built with a ``pruner``, which the tuner's name gives after a ``+``, e.g. ``optuna-tpe+median``):
  called after every epoch, ``False`` stops the trial. ``trial_id(config)`` names a pending config;
* ``restore(config, value, curve, pruned)`` re-observes a trial from an earlier session into a
  fresh tuner (resume); it may be a config this tuner never suggested.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from importlib import metadata
from typing import Any, ClassVar

from trainsmart_bench.errors import ConfigError
from trainsmart_bench.space import Direction, SearchSpace

Config = dict[str, Any]


def derived_seed(seed: int, *keys: int) -> int:
    """A seed for a stream that must differ from ``seed``'s, e.g. after a resume."""
    import numpy as np

    return int(np.random.SeedSequence([int(seed), *map(int, keys)]).generate_state(1)[0] >> 1)


def is_failure(value: float | None) -> bool:
    return value is None or not math.isfinite(float(value))


def clip_round_off(p: Any, v: float) -> float:
    """``v`` clipped into ``p``'s range where it is out only by float round-off at a bound
    (``exp(log(high))``); anything further out is left for validation to catch."""
    tol = 1e-9 * max(1.0, abs(p.low), abs(p.high))
    if p.low - tol <= v < p.low or p.high < v <= p.high + tol:
        return min(p.high, max(p.low, v))
    return v


def config_key(config: Mapping[str, Any]) -> tuple:
    return tuple(sorted((k, repr(v)) for k, v in config.items()))


class Tuner(ABC):
    """Base class of every adapter: bookkeeping of pending trials, direction, version hook."""

    name: ClassVar[str] = ""
    primary_import: ClassVar[str] = "numpy"  # its distribution version goes into the records
    extra: ClassVar[str | None] = None  # pip extra that installs the library
    pruners: ClassVar[tuple[str, ...]] = ()  # the pruners/schedulers it can be combined with

    def __init__(self, space: SearchSpace, direction: Direction | str, seed: int = 0,
                 max_epochs: int | None = None, pruner: str | None = None) -> None:
        if pruner is not None and pruner not in self.pruners:
            can = f"one of {', '.join(self.pruners)}" if self.pruners else "none"
            raise ConfigError(f"tuner {type(self).name!r} takes no pruner {pruner!r} ({can})")
        self.pruner = pruner
        self.name = f"{type(self).name}+{pruner}" if pruner else type(self).name
        self.space = space
        self.direction = Direction(direction)
        self.seed = int(seed)
        self.max_epochs = max_epochs  # the most epochs one trial can train (for schedulers)
        self._next_id = 0
        self._pending: dict[int, tuple[Config, Any]] = {}  # trial id -> (config, library handle)

    @property
    def supports_pruning(self) -> bool:
        """Whether ``report`` can stop a trial: only a tuner built with a pruner prunes."""
        return self.pruner is not None

    # -- the contract -------------------------------------------------------------------------
    def suggest(self, n: int = 1) -> list[Config]:
        """``n`` new configs to evaluate, each registered as a pending trial."""
        out = []
        for _ in range(n):
            config, handle = self._propose()
            self._register(config, handle)
            out.append(config)
        return out

    @abstractmethod
    def _propose(self) -> tuple[Config, Any]:
        """One new config and the library's handle for it (``None`` where there is none)."""

    @abstractmethod
    def observe(self, configs: Sequence[Mapping[str, Any]],
                values: Sequence[float | None]) -> None:
        """Feed back validation objectives (task direction); ``None`` for a failed trial."""

    def report(self, trial_id: int, epoch: int, value: float) -> bool:
        """An intermediate value after ``epoch`` (1-based); ``False`` prunes the trial."""
        return True

    def restore(self, config: Mapping[str, Any], value: float | None,
                curve: Sequence[float] = (), pruned: bool = False) -> None:
        """Re-observe a finished trial from an earlier session (resume)."""
        self.observe([config], [value])

    @classmethod
    def library_version(cls) -> str | None:
        """The installed version of ``primary_import`` (its distribution has the same name)."""
        try:
            return metadata.version(cls.primary_import)
        except metadata.PackageNotFoundError:
            return None

    # -- helpers for adapters ----------------------------------------------------------------
    def trial_id(self, config: Mapping[str, Any]) -> int:
        """The id of the pending (suggested, not yet observed) trial with this config."""
        key = config_key(config)
        for tid, (cfg, _) in self._pending.items():
            if config_key(cfg) == key:
                return tid
        raise KeyError(f"{dict(config)} is not a pending suggestion of this tuner")

    def _register(self, config: Config, handle: Any) -> int:
        tid = self._next_id
        self._next_id += 1
        self._pending[tid] = (config, handle)
        return tid

    def _pop(self, config: Mapping[str, Any]) -> tuple[int, Any] | None:
        """Remove and return (trial id, handle) of a pending config; None if never suggested."""
        try:
            tid = self.trial_id(config)
        except KeyError:
            return None
        _, handle = self._pending.pop(tid)
        return tid, handle

    def _handle(self, trial_id: int) -> Any:
        return self._pending[trial_id][1]

    def loss(self, value: float) -> float:
        """The value as a loss to minimize (for libraries that only minimize)."""
        return float(value) if self.direction is Direction.MINIMIZE else -float(value)

    @property
    def mode(self) -> str:
        return self.direction.value  # "max" | "min", as Ray Tune spells it

    def cast(self, raw: Mapping[str, Any]) -> Config:
        """Plain Python values in the space's parameter order; library number types stripped.

        Only float round-off at a bound (``exp(log(high))``) is clipped; anything else out of
        range is left for the study's validation to catch, so a bad translation shows.
        """
        from trainsmart_bench.space import Float, Int

        out: Config = {}
        for name, p in self.space.params.items():
            v = raw[name]
            if hasattr(v, "item"):
                v = v.item()
            if isinstance(p, Int) and isinstance(v, float) and v.is_integer():
                v = int(v)
            elif isinstance(p, Float) and isinstance(v, (int, float)):
                v = clip_round_off(p, float(v))
            out[name] = v
        return out

    def __repr__(self) -> str:
        return f"{type(self).__name__}(seed={self.seed}, direction={self.direction.value})"
