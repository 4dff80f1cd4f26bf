"""Optuna's TPE, random and CMA-ES samplers through its ask-and-tell interface.

Translation: ``Float`` -> ``FloatDistribution(low, high, log)``, ``Int`` ->
``IntDistribution(low, high, log)``, ``Categorical`` -> ``CategoricalDistribution``. The study
is created with the task's direction, so values go in unchanged.

Pruning: the plain names (``optuna-tpe``, ``optuna-random``, ``optuna-cmaes``) prune nothing,
as a sampler on its own does in Optuna. ``+median`` adds ``MedianPruner()``, ``+sha``
``SuccessiveHalvingPruner()`` and ``+hyperband`` ``HyperbandPruner(min_resource=1,
max_resource=<the most epochs a trial trains>)``, each with Optuna's defaults otherwise;
``report`` calls ``trial.report(value, epoch)`` and ``trial.should_prune()``, and a pruned trial
is told as ``TrialState.PRUNED`` (Optuna then uses its last intermediate value, as in
``study.optimize``).

Failed trials are told as ``TrialState.FAIL``: Optuna's samplers skip them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from trainsmart_bench.errors import ConfigError
from trainsmart_bench.registry import OPTUNA_PRUNERS, install_hint, require
from trainsmart_bench.space import Categorical, Direction, Float, SearchSpace
from trainsmart_bench.tuners.base import Config, Tuner, derived_seed, is_failure


def optuna_distributions(space: SearchSpace) -> dict[str, Any]:
    dist = require("optuna", "optuna", "an optuna tuner").distributions
    out: dict[str, Any] = {}
    for name, p in space.params.items():
        if isinstance(p, Float):
            out[name] = dist.FloatDistribution(p.low, p.high, log=p.log)
        elif isinstance(p, Categorical):
            out[name] = dist.CategoricalDistribution(list(p.choices))
        else:
            out[name] = dist.IntDistribution(p.low, p.high, log=p.log)
    return out


class _Optuna(Tuner):
    primary_import: ClassVar[str] = "optuna"
    extra: ClassVar[str] = "optuna"
    pruners: ClassVar[tuple[str, ...]] = OPTUNA_PRUNERS

    def __init__(self, space: SearchSpace, direction: Direction | str, seed: int = 0,
                 max_epochs: int | None = None, pruner: str | None = None) -> None:
        super().__init__(space, direction, seed, max_epochs, pruner)
        self._check_space()
        ot = require("optuna", "optuna", f"tuner {self.name!r}")
        ot.logging.set_verbosity(logging.WARNING)
        self._ot = ot
        self._dists = optuna_distributions(space)
        self._study: Any = None  # created at the first suggestion (see _ensure)
        self._restored: list[Any] = []
        self._pruned: set[int] = set()

    def _check_space(self) -> None:
        pass

    def _sampler(self, ot: Any, seed: int) -> Any:
        raise NotImplementedError

    def _make_pruner(self) -> Any:
        p = self._ot.pruners
        if self.pruner == "median":
            return p.MedianPruner()
        if self.pruner == "sha":
            return p.SuccessiveHalvingPruner()
        if self.pruner == "hyperband":
            return p.HyperbandPruner(min_resource=1, max_resource=self.max_epochs or "auto")
        return p.NopPruner()

    def _ensure(self) -> Any:
        """The study, made with the restored trials: a resumed study's sampler gets a seed
        derived from (seed, trials restored), so it does not repeat the first session's
        random start-up draws."""
        if self._study is None:
            n = len(self._restored)
            # a fixed name: HyperbandPruner assigns brackets by a hash of the study's name, which
            # Optuna otherwise draws at random
            self._study = self._ot.create_study(
                study_name=f"{self.name}-{self.seed}",
                direction="maximize" if self.direction is Direction.MAXIMIZE else "minimize",
                sampler=self._sampler(self._ot, derived_seed(self.seed, n) if n else self.seed),
                pruner=self._make_pruner())
            self._study.add_trials(self._restored)
        return self._study

    def _propose(self) -> tuple[Config, Any]:
        trial = self._ensure().ask(self._dists)
        return self.cast(trial.params), trial

    def report(self, trial_id: int, epoch: int, value: float) -> bool:
        trial = self._handle(trial_id)
        trial.report(float(value), int(epoch))
        if trial.should_prune():
            self._pruned.add(trial_id)
            return False
        return True

    def observe(self, configs: Sequence[Mapping[str, Any]],
                values: Sequence[float | None]) -> None:
        state = self._ot.trial.TrialState
        for config, value in zip(configs, values, strict=True):
            entry = self._pop(config)
            if entry is None:
                self.restore(config, value)
                continue
            tid, trial = entry
            if is_failure(value):
                self._study.tell(trial, state=state.FAIL)
            elif tid in self._pruned:
                self._study.tell(trial, state=state.PRUNED)
            else:
                self._study.tell(trial, float(value))

    def restore(self, config: Mapping[str, Any], value: float | None,
                curve: Sequence[float] = (), pruned: bool = False) -> None:
        ot = self._ot
        state = ot.trial.TrialState
        failed = is_failure(value)
        st = state.FAIL if failed else (state.PRUNED if pruned and curve else state.COMPLETE)
        trial = ot.trial.create_trial(
            params=dict(config), distributions=self._dists, state=st,
            value=None if st is not state.COMPLETE else float(value),
            intermediate_values={i + 1: float(v) for i, v in enumerate(curve)},
        )
        if self._study is None:
            self._restored.append(trial)
        else:
            self._study.add_trial(trial)


class OptunaTPE(_Optuna):
    """``TPESampler(seed=seed)`` with Optuna's defaults (10 random start-up trials)."""

    name: ClassVar[str] = "optuna-tpe"

    def _sampler(self, ot: Any, seed: int) -> Any:
        return ot.samplers.TPESampler(seed=seed)


class OptunaRandom(_Optuna):
    name: ClassVar[str] = "optuna-random"

    def _sampler(self, ot: Any, seed: int) -> Any:
        return ot.samplers.RandomSampler(seed=seed)


class OptunaCmaEs(_Optuna):
    """``CmaEsSampler(seed=seed)``, needs ``cmaes``. CMA-ES searches the Float and Int
    parameters; categorical ones are drawn by the sampler's independent sampler (Optuna's
    default: ``RandomSampler`` with the same seed), as ``CmaEsSampler`` does on a mixed space,
    without its warning per trial. On a space with only categoricals it is random search."""

    name: ClassVar[str] = "optuna-cmaes"

    def _check_space(self) -> None:
        require("cmaes", "optuna", "tuner 'optuna-cmaes'", pip="cmaes")

    def _sampler(self, ot: Any, seed: int) -> Any:
        return ot.samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False)


class OptunaSampler(_Optuna):
    """Any Optuna sampler by import path (``optuna:optuna.samplers.GPSampler``), with its
    constructor's options from the spec (``...GPSampler(n_startup_trials=5)``, JSON values) and
    ``seed`` set from the study seed where the sampler takes one. Asked and told like the
    built-in samplers (above); ``+median`` and the other pruners compose the same way."""

    sampler_path: ClassVar[str] = ""
    sampler_options: ClassVar[dict[str, Any]] = {}

    def _check_space(self) -> None:
        self._class = sampler_class(self.sampler_path, type(self).name)
        self._sampler(require("optuna", "optuna", type(self).name), self.seed)  # bad options

    def _sampler(self, ot: Any, seed: int) -> Any:
        import inspect

        kw = dict(self.sampler_options)
        if "seed" in inspect.signature(self._class).parameters:
            kw["seed"] = seed
        try:
            return self._class(**kw)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"tuner {type(self).name!r}: {self.sampler_path}(**{kw}) "
                              f"failed: {exc}") from exc


def sampler_class(path: str, what: str) -> type:
    """The sampler class at ``path`` (``module.Class``); it must subclass BaseSampler."""
    from trainsmart_bench.tuners.plugin_code import attribute, import_module

    ot = require("optuna", "optuna", what)
    module, _, attr = path.rpartition(".")
    if not module:
        raise ConfigError(f"{what}: name the sampler's module too, e.g. "
                          f"optuna:optuna.samplers.TPESampler")
    cls = attribute(import_module(module, what), attr, what)
    if not (isinstance(cls, type) and issubclass(cls, ot.samplers.BaseSampler)):
        raise ConfigError(f"{what}: {path} is not an optuna.samplers.BaseSampler subclass")
    return cls


def _sampler_spec(spec: str) -> tuple[str, dict[str, Any]]:
    from trainsmart_bench.tuners.plugin_code import parse_call

    path, options = parse_call(spec.partition(":")[2], f"tuner {spec!r}")
    if "seed" in options:
        raise ConfigError(f"tuner {spec!r}: the seed is the study's (--studies N runs seeds "
                          f"0..N-1); leave it out of the options")
    return path, options


def sampler_tuner(spec: str) -> type[OptunaSampler]:
    """An ``OptunaSampler`` class bound to ``optuna:<path>(<options>)``."""
    path, options = _sampler_spec(spec)
    return type("OptunaSampler", (OptunaSampler,), {
        "name": spec, "sampler_path": path, "sampler_options": options})


def describe_sampler(spec: str) -> Any:
    """The sampler's code: Optuna's distribution (and the sampler's own, if another)."""
    import hashlib

    from trainsmart_bench.tuners.plugin_code import (
        PluginSource,
        _distribution_of,
        distribution_digest,
    )

    path, _ = _sampler_spec(spec)
    dists = {d.metadata["Name"]: d for d in (_distribution_of("optuna"), _distribution_of(path))
             if d is not None}
    if not dists:
        raise ConfigError(f"tuner {spec!r} needs optuna: {install_hint('optuna')}")
    digest = hashlib.sha256("\0".join(distribution_digest(d) for _, d in sorted(dists.items()))
                            .encode()).hexdigest()
    where = ", ".join(f"{n}=={d.version}" for n, d in sorted(dists.items()))
    return PluginSource(spec, "optuna", f"{path} ({where})", digest)
