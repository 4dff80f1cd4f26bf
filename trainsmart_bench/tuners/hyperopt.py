"""Hyperopt TPE and random search, driven one trial at a time as bayesmark drives them.

Hyperopt only offers ``fmin``, which owns the loop. Like bayesmark's hyperopt wrapper we keep a
``hyperopt.Trials`` and a ``hyperopt.base.Domain`` ourselves and call the algorithm's
``suggest(new_ids, domain, trials, seed)`` directly: it writes trial documents, we insert them,
evaluate elsewhere, and mark each document done with its loss.

Translation: ``Float`` -> ``hp.uniform`` / ``hp.loguniform``; ``Int`` -> ``hp.quniform`` /
``hp.qloguniform`` with q=1 over [low - 1/2, high + 1/2] (so the end points get a full unit of
mass), rounded, cast to int and clipped; ``Categorical`` -> ``hp.choice`` (documents hold the
index). Hyperopt minimizes, so a maximized objective is observed as its negative.

Seeding: the algorithm's seed for trial t is derived from (seed, t), so a resumed study, whose
earlier trials are re-inserted as documents 0..k-1, proposes what an uninterrupted one would.

Failed trials: the document gets ``JOB_STATE_ERROR``, which ``Trials.refresh`` leaves out of
the history the algorithm sees (what ``fmin(..., catch_eval_exceptions=True)`` does): skipped.

Cost: ``Trials.refresh`` rebuilds the history (O(trials)), so it runs once per suggestion, just
before the algorithm reads the history, and only when a document changed since; documents are
found by trial id in a dict, not by scanning the history.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from trainsmart_bench.registry import require
from trainsmart_bench.space import Categorical, Direction, Float, Int, SearchSpace
from trainsmart_bench.tuners.base import Config, Tuner, derived_seed, is_failure

_HALF = 0.5 - 1e-9  # keeps round() of the widened bounds inside [low, high]


def _never_called(_: Any) -> None:
    raise AssertionError("the study loop evaluates trials; hyperopt's Domain.fn is unused")


def hyperopt_space(space: SearchSpace) -> dict[str, Any]:
    hp = require("hyperopt", "hyperopt", "a hyperopt tuner").hp
    out: dict[str, Any] = {}
    for name, p in space.params.items():
        if isinstance(p, Float):
            out[name] = (hp.loguniform(name, math.log(p.low), math.log(p.high)) if p.log
                         else hp.uniform(name, p.low, p.high))
        elif isinstance(p, Int):
            if p.log:
                low, high = math.log(max(p.low - _HALF, 1e-12)), math.log(p.high + _HALF)
                out[name] = hp.qloguniform(name, low, high, 1)
            else:
                out[name] = hp.quniform(name, p.low - _HALF, p.high + _HALF, 1)
        else:
            out[name] = hp.choice(name, list(p.choices))
    return out


class _Hyperopt(Tuner):
    primary_import: ClassVar[str] = "hyperopt"
    extra: ClassVar[str] = "hyperopt"
    algorithm: ClassVar[str] = "tpe"  # hyperopt module whose ``suggest`` proposes

    def __init__(self, space: SearchSpace, direction: Direction | str, seed: int = 0,
                 max_epochs: int | None = None, pruner: str | None = None,
                 **algo_options: Any) -> None:
        super().__init__(space, direction, seed, max_epochs, pruner)
        hyperopt = require("hyperopt", "hyperopt", f"tuner {self.name!r}")
        from hyperopt import base, utils

        self._base, self._now = base, utils.coarse_utcnow
        algo = require(f"hyperopt.{self.algorithm}", "hyperopt").suggest
        self._algo = (lambda *a: algo(*a, **algo_options)) if algo_options else algo
        self._domain = base.Domain(_never_called, hyperopt_space(space), pass_expr_memo_ctrl=None)
        self._trials = hyperopt.Trials()
        self._docs: dict[int, dict[str, Any]] = {}  # trial id -> its document in self._trials
        self._stale = False  # a document changed since the last Trials.refresh()

    # -- documents <-> configs ----------------------------------------------------------------
    def _decode(self, vals: Mapping[str, list]) -> Config:
        raw: Config = {}
        for name, p in self.space.params.items():
            (v,) = vals[name]
            if isinstance(p, Categorical):
                raw[name] = p.choices[int(v)]
            elif isinstance(p, Int):
                raw[name] = min(p.high, max(p.low, int(round(float(v)))))
            else:
                raw[name] = float(v)
        return self.cast(raw)

    def _encode(self, config: Mapping[str, Any]) -> dict[str, list]:
        vals: dict[str, list] = {}
        for name, p in self.space.params.items():
            v = config[name]
            vals[name] = [p.choices.index(v) if isinstance(p, Categorical) else float(v)]
        return vals

    def _insert(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """A document for a config hyperopt did not propose (an earlier session's trial)."""
        (tid,) = self._trials.new_trial_ids(1)
        vals = self._encode(config)
        misc = {"tid": tid, "cmd": self._domain.cmd, "workdir": self._domain.workdir,
                "idxs": {k: [tid] for k in vals}, "vals": vals}
        (doc,) = self._trials.new_trial_docs([tid], [None], [self._domain.new_result()], [misc])
        self._add([doc])
        return self._docs[tid]

    def _add(self, docs: list[dict[str, Any]]) -> None:
        """Insert documents; the ones ``Trials`` stores (validated copies) are indexed by id."""
        self._trials.insert_trial_docs(docs)
        for doc in self._trials._dynamic_trials[-len(docs):]:
            self._docs[doc["tid"]] = doc
        self._stale = True

    # -- the contract ---------------------------------------------------------------------------
    def _propose(self) -> tuple[Config, Any]:
        new_ids = self._trials.new_trial_ids(1)
        if self._stale:  # the algorithm reads the refreshed history
            self._trials.refresh()
            self._stale = False
        seed = derived_seed(self.seed, new_ids[0])  # a function of (seed, trial number)
        docs = self._algo(new_ids, self._domain, self._trials, seed)
        self._add(docs)
        return self._decode(docs[0]["misc"]["vals"]), docs[0]["tid"]

    def observe(self, configs: Sequence[Mapping[str, Any]],
                values: Sequence[float | None]) -> None:
        base = self._base
        for config, value in zip(configs, values, strict=True):
            entry = self._pop(config)
            doc = self._docs[entry[1]] if entry is not None else self._insert(config)
            doc["refresh_time"] = self._now()
            if is_failure(value):
                doc["state"] = base.JOB_STATE_ERROR
                doc["misc"]["error"] = ("TrialFailed", "the trial failed or timed out")
            else:
                doc["state"] = base.JOB_STATE_DONE
                doc["result"] = {"loss": self.loss(value), "status": base.STATUS_OK}
        self._stale = True


class HyperoptTPE(_Hyperopt):
    """``hyperopt.tpe.suggest`` with hyperopt's defaults (20 random start-up trials)."""

    name: ClassVar[str] = "hyperopt-tpe"
    algorithm: ClassVar[str] = "tpe"


class HyperoptRandom(_Hyperopt):
    """``hyperopt.rand.suggest``: hyperopt's own random search."""

    name: ClassVar[str] = "hyperopt-random"
    algorithm: ClassVar[str] = "rand"
