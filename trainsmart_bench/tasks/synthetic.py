"""A cheap, deterministic objective with the shape of a training run, for tests and overhead.

``synthetic`` is a task like the built-in ones (a ``TaskSpec`` with a search space and a
direction) whose "training" is a formula: a smooth bowl over a mixed space (log-scaled float,
log-scaled int, plain int, categorical), approached over epochs as ``final + 1/epoch``. It
takes milliseconds, needs numpy only, and can be told to fail: ``fail_above`` raises for
``x > fail_above``, ``exit_above`` kills its process, ``hang_above`` sleeps past any timeout,
``epoch_sleep`` adds seconds per epoch. Test score = final + 0.05 (never shown to a tuner).
"""

from __future__ import annotations

import math
from typing import Any

from trainsmart_bench.space import Categorical, Float, Int, SearchSpace
from trainsmart_bench.tasks.spec import Direction, ModelSpec, TaskSpec

ACTIVATION_PENALTY = {"relu": 0.0, "tanh": 0.3, "sigmoid": 1.0}

SYNTHETIC = TaskSpec(
    name="synthetic",
    description="a formula shaped like a training curve (milliseconds per trial)",
    dataset="none",
    model=ModelSpec("synthetic"),
    loss="mse",
    metric="objective",
    direction=Direction.MINIMIZE,
    target=0.1,
    defaults={"x": 0.0, "lr": 1e-3, "units": 16, "layers": 1, "act": "relu", "epochs": 4,
              "fail_above": None, "exit_above": None, "hang_above": None, "epoch_sleep": 0.0},
    space=SearchSpace({
        "x": Float(-5.0, 5.0),
        "lr": Float(1e-4, 1e-1, log=True),
        "units": Int(4, 256, log=True),
        "layers": Int(1, 4),
        "act": Categorical(("relu", "tanh", "sigmoid")),
    }),
    reference="optimum 0 at x=1, lr=10^-2.5, units=64, layers=2, act=relu",
    objective="trainsmart_bench.training.synthetic:synthetic_objective",
)


def final_value(p: dict[str, Any]) -> float:
    return ((p["x"] - 1.0) ** 2 / 5 + (math.log10(p["lr"]) + 2.5) ** 2
            + (math.log2(p["units"]) - 6) ** 2 / 10 + (p["layers"] - 2) ** 2 / 4
            + ACTIVATION_PENALTY[p["act"]])
