"""Task declarations: what to train and how to judge it. Pure data; nothing here trains."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from trainsmart_bench.errors import ConfigError
from trainsmart_bench.space import Direction, SearchSpace
from trainsmart_bench.tasks.hyperparams import (
    AUGMENT_DEFAULT,
    check_all,
)


def _frozen(d: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(d or {}))


@dataclass(frozen=True)
class ModelSpec:
    """An architecture both frameworks build identically.

    kinds: ``mlp`` (hidden: widths), ``cnn`` (conv: filters, dense: width or 0),
    ``resnet`` (widths per stage, blocks per stage), ``embed-pool`` (embed_dim, hidden),
    ``cnn1d`` (embed_dim, filters, kernel), ``lstm`` (embed_dim, units),
    ``transformer`` (embed_dim, heads, head_dim, mlp, depth), ``mf`` (factors);
    ``user``: a user task's own builders (``tasks.user``).
    """

    kind: str
    options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "options", _frozen(self.options))


@dataclass(frozen=True)
class TaskSpec:
    name: str
    description: str
    dataset: str
    model: ModelSpec
    loss: str  # "sparse_categorical_crossentropy" | "mse"
    metric: str  # the objective: "accuracy" | "rmse"
    direction: Direction
    target: float  # quality target on validation (time-to-target) and on test (pass/fail)
    defaults: Mapping[str, Any]  # lr, batch_size, epochs, dropout, weight_decay, patience, ...
    space: SearchSpace
    data: Mapping[str, Any] = field(default_factory=dict)  # dataset options (split, vocab, ...)
    augment: Mapping[str, Any] = field(default_factory=dict)  # {"crop_pad": 4, "flip": True, ...}
    profiles: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # e.g. "cpu"
    optimizer: str = "adam"
    reference: str = ""  # where the target comes from
    plugin: Any = None  # a user task's code (tasks.user.UserCode); None for a built-in
    # "module:function" that runs instead of the training loop (``objective(spec, on_epoch)``
    # with a ``results.unit.UnitSpec``, returning the child's result); None: train the model
    objective: str | None = None

    def __post_init__(self) -> None:
        if self.augment and "augment" not in self.defaults:  # augmentation can be switched off
            object.__setattr__(self, "defaults", {**self.defaults, "augment": AUGMENT_DEFAULT})
        for name in ("defaults", "data", "augment"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))
        object.__setattr__(
            self, "profiles", _frozen({k: _frozen(v) for k, v in self.profiles.items()})
        )

    def profile_or_none(self, profile: str | None) -> str | None:
        """``profile`` if this task has it: one --profile can name a profile of some tasks."""
        return profile if profile in self.profiles else None

    @property
    def is_classification(self) -> bool:
        return self.loss == "sparse_categorical_crossentropy"

    def resolve(self, profile: str | None = None, **overrides: Any) -> ResolvedTask:
        """Defaults, then the profile's overrides, then explicit ones (hyperparameters)."""
        params = dict(self.defaults)
        target = self.target
        if profile:
            if profile not in self.profiles:
                have = ", ".join(sorted(self.profiles)) or "none"
                raise ConfigError(f"task {self.name!r} has no profile {profile!r} (has: {have})")
            prof = dict(self.profiles[profile])
            target = prof.pop("target", target)
            params.update(prof)
        unknown = set(overrides) - set(params)
        if unknown:
            raise ConfigError(
                f"task {self.name!r}: unknown hyperparameters {sorted(unknown)}; "
                f"known: {sorted(params)}"
            )
        params.update(overrides)
        try:
            params = check_all(params, self.defaults, self.space)
        except ConfigError as exc:
            where = f" (profile {profile!r})" if profile else ""
            raise ConfigError(f"task {self.name!r}{where}: {exc}") from None
        return ResolvedTask(self, profile, _frozen(params), target)


@dataclass(frozen=True)
class ResolvedTask:
    """A task with its hyperparameters fixed: what one run trains."""

    spec: TaskSpec
    profile: str | None
    params: Mapping[str, Any]
    target: float

    def __getitem__(self, key: str) -> Any:
        return self.params[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.params.get(key, default)

    def option(self, key: str) -> Any:
        """A model option: a hyperparameter of that name overrides the declared one."""
        if key in self.params:
            return self.params[key]
        return self.spec.model.options[key]

    def hidden(self) -> tuple[int, ...]:
        """MLP widths; a ``width`` hyperparameter scales them, keeping their ratios."""
        base = tuple(self.spec.model.options["hidden"])
        width = self.params.get("width", base[0])
        return tuple(max(1, round(h * width / base[0])) for h in base)
