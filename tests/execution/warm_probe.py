"""An objective for tests/execution/test_warm.py: what a unit's process holds when it starts."""

from __future__ import annotations

import os
import random
import sys
from typing import Any

import numpy as np

CALLS = 0  # a module-level cache: every process must start with it empty


def probe(spec: Any, on_epoch: Any = None) -> dict[str, Any]:
    global CALLS
    CALLS += 1
    tf_at_start = "tensorflow" in sys.modules
    seen = {"calls": CALLS, "numpy": float(np.random.random()), "random": random.random(),
            "pid": os.getpid(), "omp": os.environ.get("OMP_NUM_THREADS")}
    if spec.backend == "torch":
        import torch

        seen.update(threads=torch.get_num_threads(), seed_drawn=float(torch.rand(1).item()))
    else:  # Keras on TensorFlow: the server imported it; its runtime must start here
        from tensorflow.python.eager import context

        started = context.context()._context_handle is not None
        from trainsmart_bench.backends.keras_tf import KerasTFBackend

        KerasTFBackend().configure("cpu", spec.threads)  # raises if the runtime had started
        import tensorflow as tf

        seen.update(runtime_started_before=started, seed_drawn=float(tf.random.uniform(())),
                    threads=tf.config.threading.get_intra_op_parallelism_threads(),
                    tf_imported_at_start=tf_at_start)
    return {"status": "ok", "metrics": {"best_val": 0.0}, "probe": seen}
