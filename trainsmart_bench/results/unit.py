"""The process boundary: what a unit of training is asked to do, and what it says back.

A run, a tuning trial and an asv cell are all one *unit*: the parent builds a ``UnitSpec``
(``UnitSpec.build``: the one place that decides what a unit carries, built-in task or plugin),
sends it to the child process as JSON, and the child answers every epoch with an
``EpochReport`` (one JSON line; the parent replies ``go`` or ``stop``), then writes its result.
Why a unit stopped training is a ``StopReason``. ``EpochFn`` is the one type of the per-epoch
callback, from the training loop up to a tuner's pruner. Nothing here imports a framework.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, fields
from enum import Enum
from typing import Any

from trainsmart_bench.errors import ConfigError


class StopReason(str, Enum):
    """Why a unit stopped training (the ``stopped_by`` of its timings). A ``str`` Enum: it is
    written to JSON as its value and compares equal to it, so older records read the same."""

    EPOCHS = "epochs"  # trained every epoch it was given
    EARLY_STOPPING = "early_stopping"  # no validation improvement for ``patience`` epochs
    PRUNED = "pruned"  # the tuner's pruner or scheduler said stop
    BUDGET = "budget"  # the study's epoch or second budget ran out in this epoch
    DIVERGED = "diverged"  # the loss or the validation score stopped being finite
    FAILED = "failed"  # a replayed table entry that failed before it trained

    def __str__(self) -> str:
        return self.value

    @classmethod
    def of(cls, value: Any) -> StopReason | None:
        """The reason a record names (None where it names none); an unknown word is an error."""
        if value is None or isinstance(value, StopReason):
            return value
        try:
            return cls(str(value))
        except ValueError:
            raise ConfigError(f"unknown stop reason {value!r}; one of: "
                              f"{', '.join(r.value for r in cls)}") from None


@dataclass(frozen=True)
class EpochReport:
    """What a unit says after each epoch, and what a pruner decides on."""

    epoch: int  # 1-based
    value: float  # the validation objective (the task's metric)
    loss: float | None = None  # mean training loss of the epoch
    epochs: int | None = None  # epochs the unit was given
    elapsed_s: float | None = None  # since training began

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> EpochReport:
        """A report read off the channel; raises ValueError/KeyError/TypeError if unreadable."""
        return cls(epoch=int(data["epoch"]), value=float(data["value"]),
                   loss=None if data.get("loss") is None else float(data["loss"]),
                   epochs=None if data.get("epochs") is None else int(data["epochs"]),
                   elapsed_s=None if data.get("elapsed_s") is None else float(data["elapsed_s"]))


EpochFn = Callable[[EpochReport], bool]  # an epoch's report -> keep training?


def always_go(report: EpochReport) -> bool:
    return True


@dataclass(frozen=True)
class UnitSpec:
    """One unit of training, as its process receives it (JSON: ``to_json``/``from_json``).

    ``threads`` 0 means "the physical cores" (resolved by the spawner); ``cpus`` pins the
    process to those cores; ``plugin`` is the user task's spec (its process loads the same
    code); ``objective`` is the ``module:function`` that runs instead of the training loop (a
    task that declares its own, such as ``synthetic``).
    """

    task: str
    backend: str
    device: str = "cpu"
    seed: int = 0
    profile: str | None = None
    mode: str = "eager"
    fold: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    data_dir: str | None = None
    threads: int = 0
    cpus: tuple[int, ...] = ()
    epoch_test: bool = False  # also score the test split after every epoch (tuning tables)
    target: float | None = None  # pin the validation target (a table keeps its build's)
    plugin: str | None = None
    objective: str | None = None
    save_model: str | None = None  # keep the trained model: its path without a suffix
    serve: Mapping[str, Any] | None = None  # a serving unit's request (serving.unit)

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", dict(self.params))  # a copy; a dict pickles (Ray)
        if self.serve is not None:
            object.__setattr__(self, "serve", dict(self.serve))
        object.__setattr__(self, "cpus", tuple(int(c) for c in self.cpus or ()))
        object.__setattr__(self, "seed", int(self.seed))
        object.__setattr__(self, "threads", int(self.threads or 0))
        if self.target is not None and not math.isfinite(float(self.target)):
            raise ConfigError(f"a unit's target must be a finite number, not {self.target!r}")

    @classmethod
    def build(cls, task: str, backend: str, **kw: Any) -> UnitSpec:
        """The unit spec of ``task``: what it declares (a user task's plugin, its own objective)
        filled in, so that a run, a trial and an asv cell of one task carry the same fields."""
        from trainsmart_bench.tasks import resolve_task

        spec = resolve_task(task)
        plugin = spec.plugin.spec if spec.plugin is not None else None
        return cls(task=task, backend=backend, plugin=plugin, objective=spec.objective, **kw)

    def replace(self, **changes: Any) -> UnitSpec:
        from dataclasses import replace

        return replace(self, **changes)

    def to_json(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["params"], out["cpus"] = dict(self.params), list(self.cpus)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> UnitSpec:
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ConfigError(f"a unit spec with unknown fields {unknown}: the parent and the "
                              "child run different versions of trainsmart-bench")
        missing = [n for n in ("task", "backend") if n not in data]
        if missing:
            raise ConfigError(f"a unit spec without {missing}")
        return cls(**{k: v for k, v in data.items()})


def as_spec(spec: UnitSpec | Mapping[str, Any]) -> UnitSpec:
    """A ``UnitSpec`` from itself or its JSON form."""
    return spec if isinstance(spec, UnitSpec) else UnitSpec.from_json(spec)
