"""Tuning tables made in memory from the synthetic formula: known values, chosen durations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from trainsmart_bench.tasks.synthetic import SYNTHETIC, final_value
from trainsmart_bench.tuning.design import design
from trainsmart_bench.tuning.table import KIND, SCHEMA_VERSION, Table
from trainsmart_bench.tuning.table_build import table_space

EPOCHS = 4


def synthetic_header(max_epochs: int = EPOCHS) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION, "kind": KIND, "task": "synthetic", "backend": "none",
        "device": "cpu", "profile": None, "metric": "objective", "direction": "min",
        "space": table_space(SYNTHETIC).to_dict(), "fidelity": None, "max_epochs": max_epochs,
        "fixed": {"epochs": max_epochs}, "threads": 1, "design": {"seed": 0},
        "replicates": {"every": 10, "seeds": 1}, "identity": {}, "dataset": {},
        "sessions": [],
    }


def entry(index: int, config: dict[str, Any], epoch_s: float = 1.0, startup_s: float = 0.5,
          epochs: int = EPOCHS, seed: int = 0, curve: list | None = None) -> dict[str, Any]:
    final = final_value({**SYNTHETIC.defaults, **config})
    val = curve if curve is not None else [final + 1.0 / e for e in range(1, epochs + 1)]
    return {"index": index, "seed": seed, "config": dict(config), "identity": f"id{index}",
            "status": "ok", "error": None, "stopped_by": "epochs", "val": val,
            "test": [None if v is None else v + 0.05 for v in val],
            "epoch_s": [epoch_s] * len(val), "startup_s": startup_s,
            "wall_s": startup_s + epoch_s * len(val), "cpu_busy_before": 0.0, "started": ""}


def synthetic_table(n: int = 40, epoch_s: Callable[[int], float] = lambda i: 1.0 + i % 3,
                    max_epochs: int = EPOCHS) -> Table:
    configs = design(table_space(SYNTHETIC), n, seed=0)
    return Table(synthetic_header(max_epochs),
                 [entry(i, c, epoch_s(i), epochs=max_epochs) for i, c in enumerate(configs)])
