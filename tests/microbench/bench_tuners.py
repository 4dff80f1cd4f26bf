"""One suggest + observe of a tuner that already has 100 finished trials (synthetic space)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.tuners.helpers import missing
from trainsmart_bench.tasks.synthetic import SYNTHETIC, final_value
from trainsmart_bench.tuners import create_tuner

FINISHED = 100
ROUNDS = {"random": 300, "optuna-tpe": 30, "hyperopt-tpe": 30}


@pytest.mark.parametrize("name", list(ROUNDS))
def test_suggest_observe_at_100_trials(benchmark, name):
    if missing(name):
        pytest.skip(f"{name} needs {missing(name)}")
    space = SYNTHETIC.space
    history = [space.sample(np.random.default_rng(i)) for i in range(FINISHED)]

    def tuner_with_history():  # a fresh tuner per round, so every round starts at 100 trials
        tuner = create_tuner(name, space, SYNTHETIC.direction, seed=0, max_epochs=4)
        for config in history:
            tuner.restore(config, final_value(config))
        return (tuner,), {}

    def step(tuner):
        (config,) = tuner.suggest(1)
        tuner.observe([config], [final_value(config)])
        return config

    config = benchmark.pedantic(step, setup=tuner_with_history, rounds=ROUNDS[name],
                                warmup_rounds=1)
    space.validate(config)
