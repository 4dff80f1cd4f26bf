"""What a tuner costs per trial, apart from training: ``overhead(tuner, n_trials)``.

Drives an adapter on the synthetic objective (microseconds per evaluation) for ``n_trials``
trials and times ``suggest`` and ``observe`` of every trial; model-based tuners get slower as
history grows, so the result also gives the time per trial around 10, 100 and 1000 finished
trials (the mean over the preceding tenth). For comparison it runs the library's own loop on
the same objective where there is one (Optuna ``study.optimize``, Hyperopt ``fmin``) and times
its trials the same way. ``optuna-cmaes`` gets the space without its categorical parameter.

``versus_native(tuner, n_trials, pairs)`` sets the two side by side as a ratio (ours / the
library's loop), over ``pairs`` interleaved pairs (the order alternates), on the process's CPU
clock by default: on a shared machine the wall clock of the same loop swings by a factor of two
with other processes' load, its CPU time by a few percent. It gives each pair's ratio and their
median, low and high.
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


def overhead(tuner: str, n_trials: int, seed: int = 0, native: bool = True,
             clock: Callable[[], float] = time.perf_counter) -> dict[str, Any]:
    """Suggest + observe seconds per trial of ``tuner`` (and of its library's own loop), on
    ``clock`` (wall time by default; ``time.process_time`` for CPU time)."""
    from trainsmart_bench.tuners import create_tuner

    space = _space(tuner)
    t = create_tuner(tuner, space, SYNTHETIC.direction, seed, max_epochs=1)
    suggest_s, observe_s = [], []
    for _ in range(n_trials):
        t0 = clock()
        (config,) = t.suggest(1)
        t1 = clock()
        value = _value(space.validate(config))
        t2 = clock()
        t.observe([config], [value])
        suggest_s.append(t1 - t0)
        observe_s.append(clock() - t2)
    total = [a + b for a, b in zip(suggest_s, observe_s)]
    loop = _NATIVE.get(tuner) if native else None
    return {
        "tuner": tuner, "n_trials": n_trials, "library": t.primary_import,
        "version": t.library_version(), "unit": "s/trial",
        "suggest_s": float(np.mean(suggest_s)), "observe_s": float(np.mean(observe_s)),
        "per_trial_s": float(np.mean(total)), "at": at_milestones(total),
        "native": None if loop is None else loop(tuner, space, n_trials, seed, clock),
    }


def versus_native(tuner: str, n_trials: int, pairs: int = 3, cpu: bool = True
                  ) -> dict[str, Any]:
    """Ours / the library's own loop, per trial, over interleaved pairs (see the module)."""
    if tuner not in _NATIVE:
        raise ValueError(f"{tuner} has no library loop to compare with")
    clock = time.process_time if cpu else time.perf_counter
    space = _space(tuner)
    ratios, rows = [], []
    for k in range(pairs):
        first_ours = k % 2 == 0
        if not first_ours:
            lib = _NATIVE[tuner](tuner, space, n_trials, k, clock)
        ours = overhead(tuner, n_trials, seed=k, native=False, clock=clock)
        if first_ours:
            lib = _NATIVE[tuner](tuner, space, n_trials, k, clock)
        ratios.append(ours["per_trial_s"] / lib["per_trial_s"])
        rows.append({"ours_s": ours["per_trial_s"], "native_s": lib["per_trial_s"],
                     "ratio": ratios[-1], "first": "ours" if first_ours else "native"})
    return {"tuner": tuner, "n_trials": n_trials, "clock": "cpu" if cpu else "wall",
            "pairs": rows, "median": float(np.median(ratios)), "low": float(min(ratios)),
            "high": float(max(ratios))}


def _native_optuna(tuner: str, space: SearchSpace, n_trials: int, seed: int,
                   clock: Callable[[], float] = time.perf_counter) -> dict[str, Any]:
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

    stamps = _Stamps(clock)
    study.optimize(objective, n_trials=n_trials, callbacks=[lambda s, t: stamps()])
    return stamps.result("optuna study.optimize")


def _native_hyperopt(tuner: str, space: SearchSpace, n_trials: int, seed: int,
                     clock: Callable[[], float] = time.perf_counter) -> dict[str, Any]:
    import hyperopt

    from trainsmart_bench.tuners.hyperopt import hyperopt_space

    stamps = _Stamps(clock)

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
    def __init__(self, clock: Callable[[], float] = time.perf_counter) -> None:
        self.clock = clock
        self.times = [clock()]

    def __call__(self) -> None:
        self.times.append(self.clock())

    def result(self, loop: str) -> dict[str, Any]:
        per_trial = list(np.diff(self.times))
        return {"loop": loop, "per_trial_s": float(np.mean(per_trial)),
                "at": at_milestones(per_trial)}


_NATIVE: dict[str, Callable[..., dict[str, Any]]] = {
    "optuna-tpe": _native_optuna, "optuna-random": _native_optuna,
    "optuna-cmaes": _native_optuna, "hyperopt-tpe": _native_hyperopt,
    "hyperopt-random": _native_hyperopt,
}
