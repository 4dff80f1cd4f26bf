"""Conformance checks for any tuner, shipped in the package (as Optuna ships ``optuna.testing``).

``check_tuner(name)`` drives the tuner through the study loop's contract on small spaces and
returns one ``Problem`` per thing to fix: it loads; every suggestion is inside the space with
the declared types (``Int`` as ``int``, ``Float`` as ``float``, a choice of a ``Categorical``);
a failed trial (observed as ``None``) does not stop it; the same seed gives the same
suggestions and another seed others; a fresh tuner restores a history and goes on; the pending
suggestion has a trial id; a pruner's ``report`` answers a bool. ``trainsmart check tuner
SPEC`` prints them; the suite's tests run the same checks on the built-in tuners.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from trainsmart_bench.space import Categorical, Float, Int, SearchSpace

CHECK_SPACE = SearchSpace({  # every kind of parameter, log scales and a narrow range
    "lr": Float(1e-5, 1e-1, log=True),
    "dropout": Float(0.0, 0.5),
    "units": Int(8, 512, log=True),
    "layers": Int(1, 3),
    "batch_size": Categorical((32, 64, 128)),
    "act": Categorical(("relu", "tanh", "gelu")),
    "narrow": Float(1e-6, 2e-6, log=True),
})


@dataclass(frozen=True)
class Problem:
    tuner: str
    check: str
    message: str  # what is wrong and what to fix

    def __str__(self) -> str:
        return f"{self.tuner}: {self.check}: {self.message}"


def value_of(config: dict[str, Any]) -> float:
    """A cheap objective on ``CHECK_SPACE`` (higher is better)."""
    import math

    v = -(math.log10(config["lr"]) + 3) ** 2 - (config["dropout"] - 0.2) ** 2
    return v - abs(config["layers"] - 2) - (config["act"] != "relu") * 0.3


def type_problem(space: SearchSpace, config: Any) -> str | None:
    """Why a suggestion is not a config of ``space`` with the declared types, or None."""
    if not isinstance(config, dict):
        return f"suggested {config!r}, not a dict"
    if set(config) != set(space.params):
        return (f"suggested keys {sorted(config)}; the space has {sorted(space.params)}")
    for name, p in space.params.items():
        v = config[name]
        if isinstance(p, Int) and type(v) is not int:
            return f"{name}={v!r} is {type(v).__name__}; an Int parameter needs a Python int"
        if isinstance(p, Float) and type(v) is not float:
            return f"{name}={v!r} is {type(v).__name__}; a Float parameter needs a Python float"
        if not p.contains(v):
            return f"{name}={v!r} is outside {p}"
    return None


class _Failed(Exception):
    pass


def drive(make: Callable[[int], Any], space: SearchSpace, seed: int, n: int,
          fail_every: int = 4) -> list[dict[str, Any]]:
    """Suggest and observe ``n`` trials (every ``fail_every``-th failed); the configs."""
    tuner, out = make(seed), []
    for i in range(n):
        (config,) = tuner.suggest(1)
        why = type_problem(space, config)
        if why:
            raise _Failed(f"trial {i}: {why}")
        tuner.trial_id(config)
        if tuner.supports_pruning:
            answer = tuner.report(tuner.trial_id(config), 1, value_of(config))
            if not isinstance(answer, bool):
                raise _Failed(f"report() answered {answer!r}; it must answer True or False")
        failed = fail_every and i % fail_every == fail_every - 1
        tuner.observe([config], [None if failed else value_of(config)])
        out.append(config)
    return out


def _run(tuner: str, check: str, fix: str, fn: Callable[[], Any]) -> list[Problem]:
    try:
        fn()
    except _Failed as exc:
        return [Problem(tuner, check, f"{exc}; {fix}")]
    except Exception as exc:  # noqa: BLE001 - each failure is a line of the report
        return [Problem(tuner, check, f"{type(exc).__name__}: {exc}; {fix}")]
    return []


def check_tuner(name: str, space: SearchSpace = CHECK_SPACE, trials: int = 12,
                direction: str = "max") -> list[Problem]:
    """Every problem of tuner ``name`` on ``space`` (an empty list: it conforms)."""
    from trainsmart_bench.tuners import create_tuner, tuner_class

    try:
        cls = tuner_class(name)
        create_tuner(name, space, direction, 0, max_epochs=3)
    except Exception as exc:  # noqa: BLE001
        return [Problem(name, "load", f"{exc}")]

    def make(seed: int) -> Any:
        return create_tuner(name, space, direction, seed, max_epochs=3)

    runs: dict[int, list] = {}

    def suggestions() -> None:
        runs[1] = drive(make, space, 1, trials)

    def determinism() -> None:
        again = drive(make, space, 1, trials)
        if json.dumps(again) != json.dumps(runs[1]):
            raise _Failed("two tuners with seed 1 suggested different configs")
        if json.dumps(drive(make, space, 2, trials)) == json.dumps(runs[1]):
            raise _Failed("seeds 1 and 2 suggested the same configs (the seed is ignored)")

    def restore() -> None:
        fresh = make(1)
        for i, c in enumerate(runs[1]):
            fresh.restore(c, None if i % 4 == 3 else value_of(c), [0.5], False)
        for i in range(4):
            (c,) = fresh.suggest(1)
            why = type_problem(space, c)
            if why:
                raise _Failed(f"after restore, trial {i}: {why}")
            fresh.observe([c], [value_of(c)])

    def version() -> None:
        v = cls.library_version()
        if not (v is None or isinstance(v, str)) or not isinstance(cls.primary_import, str):
            raise _Failed(f"primary_import={cls.primary_import!r}, library_version()={v!r}")

    problems = _run(name, "suggestions", "suggest() must return configs of the space, "
                    "observe() must take None for a failed trial", suggestions)
    if problems:
        return problems
    problems += _run(name, "determinism", "draw every random number from the seed the "
                     "tuner is built with", determinism)
    problems += _run(name, "restore", "restore(config, value, curve, pruned) must take "
                     "recorded trials (also failed ones, value None) before suggesting", restore)
    problems += _run(name, "version", "set primary_import to the distribution whose version "
                     "the records should name", version)
    return problems
