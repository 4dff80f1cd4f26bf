"""An objective for tests/execution/test_warm.py: what a unit's process holds when it starts."""

from __future__ import annotations

import os
import random
from typing import Any

import numpy as np

CALLS = 0  # a module-level cache: every process must start with it empty


def probe(spec: Any, on_epoch: Any = None) -> dict[str, Any]:
    global CALLS
    import torch

    CALLS += 1
    return {"status": "ok", "metrics": {"best_val": 0.0}, "probe": {
        "calls": CALLS, "numpy": float(np.random.random()), "random": random.random(),
        "torch_threads": torch.get_num_threads(), "pid": os.getpid(),
        "omp": os.environ.get("OMP_NUM_THREADS"),
        "torch_seed_drawn": float(torch.rand(1).item())}}
