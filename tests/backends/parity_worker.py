"""One backend's side of the parity test, in a process of its own (Keras picks its backend once
per process): ``python -m tests.backends.parity_worker BACKEND WEIGHTS OUT``.

For every parity case it loads the shared initial weights (``WEIGHTS``, written by the torch
worker with ``--init``), predicts the validation rows, then rebuilds with the one-step Adam
epsilon, takes one optimizer step on 16 rows and records the loss, the weights and the new
predictions. Everything goes to ``OUT`` as one .npz for the test to compare across backends.
"""

from __future__ import annotations

import sys

import numpy as np

from tests.backends.backend_cases import task_data, tiny_task
from trainsmart_bench import registry
from trainsmart_bench.backends.arch import ADAM_BETAS

CASES = [("mlp", None), ("cnn", None), ("resnet", None), ("embed-pool", None),
         ("cnn1d", None), ("lstm", None), ("transformer", None), ("mf", None),
         ("cnn", {"dense": 16}), ("resnet", {"blocks": 2})]
STEP_EPS = 1e-4  # see test_parity.py


def case_id(kind: str, options: dict | None) -> str:
    return kind + "".join(f"-{k}{v}" for k, v in (options or {}).items())


def step_epsilon(name: str) -> float:
    """torch adds eps to sqrt(v_hat), Keras to sqrt(v): equal at step 1 with this scaling."""
    return STEP_EPS if name == "torch" else STEP_EPS * float(np.sqrt(1 - ADAM_BETAS[1]))


def moving_var_slots(backend, state) -> list[int]:
    """Positions of BatchNorm moving variances in the exchanged weight list."""
    if hasattr(state, "layers"):  # Keras: gamma, beta, moving_mean, moving_variance
        sizes = [(type(layer).__name__, len(layer.weights)) for layer in state.layers]
    else:
        from trainsmart_bench.backends import torch_models

        sizes = [(type(m).__name__, torch_models.n_keras_arrays(m))
                 for m in torch_models.keras_layers(state.model)]
    slots, pos = [], 0
    for kind, n in sizes:
        if kind in ("BatchNormalization", "BatchNorm2d"):
            slots.append(pos + 3)
        pos += n
    return slots


def run(name: str, weights_path: str, out_path: str, init: bool = False) -> None:
    backend = registry.resolve("backend", name)()
    init_weights = {} if init else dict(np.load(weights_path))
    out: dict[str, np.ndarray] = {}
    for kind, options in CASES:
        cid = case_id(kind, options)
        task, data = tiny_task(kind, options, dropout=0.0, weight_decay=0.05), task_data(kind)
        backend.setup("cpu", 1, 0)
        backend.check(task, "cpu")
        state = backend.build(task, data)
        if init:
            for i, w in enumerate(backend.get_weights(state)):
                out[f"{cid}/w{i}"] = w
            continue
        start = [init_weights[f"{cid}/w{i}"] for i in range(len(backend.get_weights(state)))]
        backend.set_weights(state, start)
        out[f"{cid}/forward"] = backend.predict(state, data.x_val, 7)
        eps, backend.adam_epsilon = backend.adam_epsilon, step_epsilon(name)
        try:
            state = backend.build(task, data)
        finally:
            backend.adam_epsilon = eps
        backend.set_weights(state, start)
        out[f"{cid}/loss"] = np.float64(backend.train_epoch(state, data.x_train[:16],
                                                            data.y_train[:16], 16))
        for i, w in enumerate(backend.get_weights(state)):
            out[f"{cid}/step{i}"] = w
        out[f"{cid}/after"] = backend.predict(state, data.x_val, 8)
        out[f"{cid}/moving_var"] = np.asarray(moving_var_slots(backend, state), np.int64)
    np.savez(out_path, **out)


if __name__ == "__main__":
    args = sys.argv[1:]
    run(args[0], args[1], args[2], init="--init" in args)
