"""What a tuner costs per trial, apart from training: ``overhead(tuner, n_trials)``.

Drives an adapter on the synthetic objective (microseconds per evaluation) for ``n_trials``
trials and times ``suggest`` and ``observe`` of every trial; model-based tuners get slower as
history grows, so the result also gives the time per trial around 10, 100 and 1000 finished
trials (the mean over the preceding tenth). For comparison it runs the library's own loop on
the same objective where there is one (Optuna ``study.optimize``, Hyperopt ``fmin``) and times
its trials the same way. ``optuna-cmaes`` gets the space without its categorical parameter.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from trainsmart_bench.space import Categorical, Float, SearchSpace
from trainsmart_bench.tasks.synthetic import SYNTHETIC, final_value

MILESTONES = (10, 100, 1000)


def _space(tuner: str) -> SearchSpace:
    space = SYNTHETIC.space
    if tuner == "optuna-cmaes":
        return SearchSpace({k: p for k, p in space.params.items()
                            if not isinstance(p, Categorical)})
    return space


def _value(config: dict[str, Any]) -> float:
    return final_value({**SYNTHETIC.defaults, **config})


def at_milestones(per_trial: Sequence[float], milestones: Sequence[int] = MILESTONES
                  ) -> dict[int, float]:
    """Mean seconds per trial over the tenth of trials before each milestone reached."""
    out = {}
    for m in milestones:
        if m <= len(per_trial):
            w = max(1, m // 10)
            out[m] = float(np.mean(per_trial[m - w:m]))
    return out


def overhead(tuner: str, n_trials: int, seed: int = 0, native: bool = True) -> dict[str, Any]:
    """Suggest + observe seconds per trial of ``tuner`` (and of its library's own loop)."""
    from trainsmart_bench.tuners import create_tuner

    space = _space(tuner)
    t = create_tuner(tuner, space, SYNTHETIC.direction, seed, max_epochs=1)
    suggest_s, observe_s = [], []
    for _ in range(n_trials):
        t0 = time.perf_counter()
        (config,) = t.suggest(1)
        t1 = time.perf_counter()
        value = _value(space.validate(config))
        t2 = time.perf_counter()
        t.observe([config], [value])
        suggest_s.append(t1 - t0)
        observe_s.append(time.perf_counter() - t2)
    total = [a + b for a, b in zip(suggest_s, observe_s)]
    loop = _NATIVE.get(tuner) if native else None
    return {
        "tuner": tuner, "n_trials": n_trials, "library": t.primary_import,
        "version": t.library_version(), "unit": "s/trial",
        "suggest_s": float(np.mean(suggest_s)), "observe_s": float(np.mean(observe_s)),
        "per_trial_s": float(np.mean(total)), "at": at_milestones(total),
        "native": None if loop is None else loop(tuner, space, n_trials, seed),
    }


def _native_optuna(tuner: str, space: SearchSpace, n_trials: int, seed: int) -> dict[str, Any]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = {"optuna-tpe": optuna.samplers.TPESampler, "optuna-random":
               optuna.samplers.RandomSampler, "optuna-cmaes": optuna.samplers.CmaEsSampler}
    study = optuna.create_study(sampler=sampler[tuner](seed=seed))

    def objective(trial: optuna.Trial) -> float:
        config = {}
        for name, p in space.params.items():
            if isinstance(p, Float):
                config[name] = trial.suggest_float(name, p.low, p.high, log=p.log)
            elif isinstance(p, Categorical):
                config[name] = trial.suggest_categorical(name, list(p.choices))
            else:
                config[name] = trial.suggest_int(name, p.low, p.high, log=p.log)
        return _value(config)

    stamps = _Stamps()
    study.optimize(objective, n_trials=n_trials, callbacks=[lambda s, t: stamps()])
    return stamps.result("optuna study.optimize")


def _native_hyperopt(tuner: str, space: SearchSpace, n_trials: int, seed: int) -> dict[str, Any]:
    import hyperopt

    from trainsmart_bench.tuners.hyperopt import hyperopt_space

    stamps = _Stamps()

    def fn(raw: dict[str, Any]) -> float:
        config = {k: (int(round(v)) if isinstance(v, float) and not isinstance(
            space.params[k], Float) else v) for k, v in raw.items()}
        value = _value(config)
        stamps()  # the trial's end: fmin's own overhead falls between two stamps
        return value

    algo = hyperopt.tpe.suggest if tuner == "hyperopt-tpe" else hyperopt.rand.suggest
    hyperopt.fmin(fn, hyperopt_space(space), algo=algo, max_evals=n_trials,
                  trials=hyperopt.Trials(), rstate=np.random.default_rng(seed),
                  show_progressbar=False)
    return stamps.result("hyperopt fmin")


class _Stamps:
    def __init__(self) -> None:
        self.times = [time.perf_counter()]

    def __call__(self) -> None:
        self.times.append(time.perf_counter())

    def result(self, loop: str) -> dict[str, Any]:
        per_trial = list(np.diff(self.times))
        return {"loop": loop, "per_trial_s": float(np.mean(per_trial)),
                "at": at_milestones(per_trial)}


_NATIVE: dict[str, Callable[..., dict[str, Any]]] = {
    "optuna-tpe": _native_optuna, "optuna-random": _native_optuna,
    "optuna-cmaes": _native_optuna, "hyperopt-tpe": _native_hyperopt,
    "hyperopt-random": _native_hyperopt,
}
