"""Ray Tune's search algorithms and ASHA, driven by our loop instead of ``tune.Tuner``.

Why not ``tune.Tuner(...).fit()``: Ray would then own the loop, the trial processes, the clock
and the stopping rule, and the budget would no longer be the same one every other tuner gets.
Ray Tune's search algorithms are written against its ``Searcher`` interface
(``suggest(trial_id)`` / ``on_trial_complete(trial_id, result, error)``) and its schedulers
against ``on_trial_add`` / ``on_trial_result`` / ``on_trial_complete``; we call exactly those, so
the proposals and the stopping decisions are Ray's own code, fed by our per-epoch reports.

* ``ray-random``: ``generate_variants`` with a seeded numpy generator, the variant generation
  that ``BasicVariantGenerator`` runs (the generator itself builds full ``Trial`` objects with
  storage; its sampling is this function).
* ``ray-optuna``: ``OptunaSearch`` (TPE, seeded); ``ray-hyperopt``: ``HyperOptSearch`` (seeded).
* ``+asha`` after any of them (``ray-random+asha``, also spelled ``ray-asha``;
  ``ray-optuna+asha``, ``ray-hyperopt+asha``): the searcher's proposals, stopped early by
  ``AsyncHyperBandScheduler`` (Ray's defaults: grace_period=1, reduction_factor=4, one bracket)
  with ``max_t`` = the most epochs a trial can train, as ``tune.Tuner(search_alg=...,
  scheduler=ASHAScheduler())`` combines them; each epoch report is an ``on_trial_result`` with
  ``training_iteration=epoch``. The plain names stop no trial early.

Translation: Ray's own domains (``tune.uniform`` / ``loguniform``, ``tune.randint`` /
``lograndint`` with an exclusive upper bound of high + 1, ``tune.choice``), converted to each
library by Ray's ``convert_search_space``. Failed trials: ``on_trial_complete(error=True)``;
OptunaSearch tells them as FAIL and HyperOptSearch marks their documents as errors (skipped).

Resume: ``ray-random`` replays its draws and ASHA its rungs from the recorded curves, so they
continue as an uninterrupted study would; the searchers are built with the
earlier trials as ``points_to_evaluate``, whose results are replayed, and a seed derived from
(seed, trials restored) so that they do not repeat the first session's start-up draws.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import SimpleNamespace
from typing import Any, ClassVar

import numpy as np

from trainsmart_bench.registry import RAY_SCHEDULERS, require
from trainsmart_bench.space import Categorical, Direction, Float, SearchSpace
from trainsmart_bench.tuners.base import Config, Tuner, derived_seed, is_failure

METRIC = "objective"


def ray_space(space: SearchSpace) -> dict[str, Any]:
    tune = require("ray.tune", "ray", "a Ray Tune tuner")
    out: dict[str, Any] = {}
    for name, p in space.params.items():
        if isinstance(p, Float):
            out[name] = tune.loguniform(p.low, p.high) if p.log else tune.uniform(p.low, p.high)
        elif isinstance(p, Categorical):
            out[name] = tune.choice(list(p.choices))
        else:
            out[name] = (tune.lograndint if p.log else tune.randint)(p.low, p.high + 1)
    return out


class _ASHA:
    """Ray's ``AsyncHyperBandScheduler``, fed our epoch reports as ``on_trial_result`` calls."""

    def __init__(self, mode: str, max_epochs: int | None, grace_period: int = 1,
                 reduction_factor: float = 4) -> None:
        from ray.tune.schedulers import AsyncHyperBandScheduler, TrialScheduler

        self.max_t = int(max_epochs or 100)
        self._continue = TrialScheduler.CONTINUE
        self._scheduler = AsyncHyperBandScheduler(
            time_attr="training_iteration", metric=METRIC, mode=mode, max_t=self.max_t,
            grace_period=min(grace_period, self.max_t), reduction_factor=reduction_factor,
            brackets=1)
        self._live: dict[str, dict[str, float]] = {}  # ray id -> last result, while running

    def on_result(self, rid: str, epoch: int, value: float) -> bool:
        trial = SimpleNamespace(trial_id=rid)  # all the scheduler reads from a Trial
        if rid not in self._live:
            self._scheduler.on_trial_add(None, trial)
        result = {"training_iteration": int(epoch), METRIC: float(value)}
        self._live[rid] = result
        action = self._scheduler.on_trial_result(None, trial, result)
        if epoch >= self.max_t:  # the trial ends here anyway: that is no early stop
            return True
        if action != self._continue:
            self._scheduler.on_trial_remove(None, trial)
            del self._live[rid]
            return False
        return True

    def finish(self, rid: str, failed: bool) -> None:
        last = self._live.pop(rid, None)
        if last is not None:  # still running: it completed (or failed) normally
            trial = SimpleNamespace(trial_id=rid)
            if failed:
                self._scheduler.on_trial_remove(None, trial)
            else:
                self._scheduler.on_trial_complete(None, trial, last)

    def replay(self, rid: str, curve: Sequence[float], value: float | None) -> None:
        """Rebuild the rungs from a recorded trial (resume)."""
        for epoch, v in enumerate(curve, start=1):
            if not self.on_result(rid, epoch, v):
                break
        self.finish(rid, is_failure(value))


class _Ray(Tuner):
    primary_import: ClassVar[str] = "ray"
    extra: ClassVar[str] = "ray"
    pruners: ClassVar[tuple[str, ...]] = RAY_SCHEDULERS

    def __init__(self, space: SearchSpace, direction: Direction | str, seed: int = 0,
                 max_epochs: int | None = None, pruner: str | None = None,
                 grace_period: int = 1, reduction_factor: float = 4) -> None:
        super().__init__(space, direction, seed, max_epochs, pruner)
        require("ray.tune", "ray", f"tuner {self.name!r}")
        self._space = ray_space(space)
        self._asha = (_ASHA(self.mode, max_epochs, grace_period, reduction_factor)
                      if pruner == "asha" else None)
        self._replayed = 0

    @property
    def max_t(self) -> int | None:
        return self._asha.max_t if self._asha else None

    def _ray_id(self) -> str:
        return f"trial_{self._next_id:05d}"

    def _result(self, value: float | None) -> dict[str, float] | None:
        return None if is_failure(value) else {METRIC: float(value)}

    def report(self, trial_id: int, epoch: int, value: float) -> bool:
        if self._asha is None:
            return True
        return self._asha.on_result(self._handle(trial_id), epoch, value)

    def observe(self, configs: Sequence[Mapping[str, Any]],
                values: Sequence[float | None]) -> None:
        for config, value in zip(configs, values, strict=True):
            entry = self._pop(config)
            if entry is None:  # observed without being suggested: an earlier session's trial
                self.restore(config, value)
            else:
                if self._asha is not None:
                    self._asha.finish(entry[1], is_failure(value))
                self._finish(entry[1], value)

    def _finish(self, rid: str, value: float | None) -> None:
        """Tell the searcher that trial ``rid`` ended with ``value``."""

    def _replay_rungs(self, curve: Sequence[float], value: float | None) -> None:
        if self._asha is not None:
            self._replayed += 1
            self._asha.replay(f"restored_{self._replayed:05d}", curve, value)


class _RaySearcher(_Ray):
    """A ``ray.tune.search.Searcher``, built at the first suggestion so that a resumed study
    can hand it its earlier trials as ``points_to_evaluate`` (and replay their results)."""

    def __init__(self, space: SearchSpace, direction: Direction | str, seed: int = 0,
                 max_epochs: int | None = None, **options: Any) -> None:
        super().__init__(space, direction, seed, max_epochs, **options)
        self._searcher: Any = None
        self._history: list[tuple[Config, float | None]] = []

    def _build(self, points: list[Config]) -> Any:
        raise NotImplementedError

    def _seed(self) -> int:
        """A resumed study's searcher gets a seed derived from (seed, trials restored), so it
        does not repeat the first session's random start-up draws."""
        n = len(self._history)
        return derived_seed(self.seed, n) if n else self.seed

    def _ensure(self) -> Any:
        if self._searcher is None:
            self._searcher = self._build([dict(c) for c, _ in self._history])
            for i, (_, value) in enumerate(self._history):  # replay the earlier session
                rid = f"restored_{i:05d}"
                self._searcher.suggest(rid)
                self._searcher.on_trial_complete(rid, self._result(value),
                                                 error=is_failure(value))
        return self._searcher

    def _propose(self) -> tuple[Config, Any]:
        rid = self._ray_id()
        return self.cast(self._ensure().suggest(rid)), rid

    def _finish(self, rid: str, value: float | None) -> None:
        self._searcher.on_trial_complete(rid, self._result(value), error=is_failure(value))

    def restore(self, config, value, curve=(), pruned=False) -> None:
        if self._searcher is not None:
            raise RuntimeError(f"{self.name}: restore() must come before the first suggest()")
        self._history.append((dict(config), value))
        self._replay_rungs(curve, value)


class RayOptuna(_RaySearcher):
    """``ray.tune.search.optuna.OptunaSearch(seed=seed)`` (Optuna TPE, no pruner)."""

    name: ClassVar[str] = "ray-optuna"

    def _build(self, points: list[Config]) -> Any:
        ot = require("optuna", "optuna", "tuner 'ray-optuna'")
        ot.logging.set_verbosity(ot.logging.WARNING)
        from ray.tune.search.optuna import OptunaSearch

        return OptunaSearch(OptunaSearch.convert_search_space(self._space), metric=METRIC,
                            mode=self.mode, seed=self._seed(), points_to_evaluate=points or None)


class RayHyperopt(_RaySearcher):
    """``ray.tune.search.hyperopt.HyperOptSearch(random_state_seed=seed)`` (TPE)."""

    name: ClassVar[str] = "ray-hyperopt"

    def _build(self, points: list[Config]) -> Any:
        require("hyperopt", "hyperopt", "tuner 'ray-hyperopt'")
        from ray.tune.search.hyperopt import HyperOptSearch

        return HyperOptSearch(HyperOptSearch.convert_search_space(self._space), metric=METRIC,
                              mode=self.mode, random_state_seed=self._seed(),
                              points_to_evaluate=points or None)


class RayRandom(_Ray):
    """Ray Tune's random variant generation; seeded, and replayed on resume."""

    name: ClassVar[str] = "ray-random"

    def __init__(self, space: SearchSpace, direction: Direction | str, seed: int = 0,
                 max_epochs: int | None = None, **options: Any) -> None:
        super().__init__(space, direction, seed, max_epochs, **options)
        from ray.tune.search.variant_generator import generate_variants

        self._generate = generate_variants
        self._rng = np.random.default_rng(seed)

    def _draw(self) -> Config:
        _, spec = next(self._generate({"config": self._space}, random_state=self._rng))
        return self.cast(spec["config"])

    def _propose(self) -> tuple[Config, Any]:
        rid = self._ray_id()
        return self._draw(), rid

    def restore(self, config, value, curve=(), pruned=False) -> None:
        self._draw()  # the draw an uninterrupted study made for this trial
        self._replay_rungs(curve, value)
