"""One backend in several modes, in a process of its own, reporting what its compiler did:
``python -m tests.backends.mode_worker BACKEND MODE [MODE ...]``.

Per mode: build the tiny MLP (seed 0), train one epoch, predict. Before the training and
before the prediction it writes a marker line to stderr (``@@ train MODE`` / ``@@ predict
MODE``), so the test can tell which phase a framework's own log line came from, and it prints
one JSON line per mode on stdout: the loss, the predictions, the compiler counters before and
after (``compile_stats``), JAX's XLA compilations during training, and Keras' ``jit_compile``.
"""

from __future__ import annotations

import json
import sys

import numpy as np

from tests.backends.backend_cases import task_data, tiny_task
from trainsmart_bench import registry
from trainsmart_bench.mode import parse_mode


def _jax_compiles() -> list[str]:
    module = sys.modules.get("trainsmart_bench.backends.keras_jax")
    return module.compiled_functions() if module else []


def run(name: str, modes: list[str]) -> None:
    task, data = tiny_task("mlp", dropout=0.0), task_data("mlp")
    order = np.random.default_rng(1).permutation(len(data.x_train))
    for text in modes:
        mode = parse_mode(text)
        backend = registry.resolve("backend", name)()
        try:
            backend.check_mode(mode, "cpu")
        except NotImplementedError as exc:
            print(json.dumps({"mode": text, "skipped": str(exc)}), flush=True)
            continue
        backend.setup("cpu", 1, 0, mode)
        state = backend.build(task, data)
        before, seen = backend.compile_stats(), len(_jax_compiles())
        print(f"@@ train {text}", file=sys.stderr, flush=True)
        loss = backend.train_epoch(state, data.x_train, data.y_train, 8, order)
        trained = _jax_compiles()[seen:]
        print(f"@@ predict {text}", file=sys.stderr, flush=True)
        out = backend.predict(state, data.x_val, 8)
        model = getattr(state, "model", None)
        print(json.dumps({
            "mode": text, "loss": loss, "predictions": out.tolist(),
            "before": before, "after": backend.compile_stats(), "jax_train": trained,
            "jit_compile": getattr(model, "jit_compile", None),
            "compute_dtype": getattr(getattr(model, "dtype_policy", None), "compute_dtype",
                                     None),
        }), flush=True)


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
