"""Minimal hand-written training loops, the yardstick for the suite's own overhead.

``compare(framework)`` trains mnist-mlp with the suite's backend and with the plainest loop a
user would write (PyTorch: a tensor-slicing loop; Keras: one ``model.fit`` with shuffling), on
the same arrays in the same process, alternating the two, and reports steady-state samples/s
(first epoch excluded on both sides). Throughput only: accuracy is the suite's job.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from trainsmart_bench.tasks import get_task
from trainsmart_bench.training.data import prepare


def _steady(times: list[float], n: int) -> float:
    return n * len(times[1:]) / sum(times[1:])


def torch_reference(x: np.ndarray, y: np.ndarray, epochs: int, batch: int, seed: int) -> float:
    import torch
    from torch import nn
    from torch.nn import functional as F

    torch.manual_seed(seed)
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 32),
                          nn.ReLU(), nn.Linear(32, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    xs, ys = torch.from_numpy(x), torch.from_numpy(y)
    times = []
    for _ in range(epochs):
        t = time.perf_counter()
        perm = torch.randperm(len(xs))
        for i in range(0, len(xs), batch):
            idx = perm[i:i + batch]
            loss = F.cross_entropy(model(xs[idx]), ys[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        times.append(time.perf_counter() - t)
    return _steady(times, len(x))


def keras_reference(x: np.ndarray, y: np.ndarray, epochs: int, batch: int, seed: int) -> float:
    import keras

    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input(x.shape[1:]), keras.layers.Flatten(),
                              keras.layers.Dense(64, activation="relu"),
                              keras.layers.Dense(32, activation="relu"), keras.layers.Dense(10)])
    model.compile(keras.optimizers.Adam(1e-3),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    times: list[float] = []

    class Clock(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.t = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self.t)

    model.fit(x, y, batch_size=batch, epochs=epochs, shuffle=True, verbose=0,
              callbacks=[Clock()])
    return _steady(times, len(x))


REFERENCES = {"torch": torch_reference, "keras": keras_reference}


def suite_throughput(backend_name: str, data, task, seed: int, threads: int) -> float:
    from trainsmart_bench.registry import resolve
    from trainsmart_bench.training.loop import train

    backend = resolve("backend", backend_name)()
    backend.setup("cpu", threads, seed)
    return float(train(backend, task, data, seed).metrics["train_throughput"])


def compare(framework: str, epochs: int = 4, rounds: int = 3, threads: int | None = None,
            data_dir: str | None = None) -> dict[str, Any]:
    """Median steady-state samples/s of the suite and of the reference loop, and their ratio."""
    from trainsmart_bench.env import default_threads

    threads = threads or default_threads()
    task = get_task("mnist-mlp").resolve(epochs=epochs)
    data = prepare(task, data_dir, backend=framework)
    x = np.ascontiguousarray(data.x_train)
    y = data.y_train
    if framework == "torch":
        import torch

        torch.set_num_threads(threads)
    suite, ref = [], []
    for r in range(rounds):
        suite.append(suite_throughput(framework, data, task, r, threads))
        ref.append(REFERENCES[framework](x, y, epochs, int(task["batch_size"]), r))
    s, f = float(np.median(suite)), float(np.median(ref))
    return {"framework": framework, "suite": s, "reference": f, "ratio": s / f,
            "suite_runs": suite, "reference_runs": ref, "threads": threads, "epochs": epochs}


def compare_isolated(framework: str, timeout: float = 1800, **kwargs: Any) -> dict[str, Any]:
    """``compare`` in a fresh interpreter, so frameworks never share a process or its threads."""
    import json
    import subprocess
    import sys

    code = ("import json, sys; from trainsmart_bench.training.reference import compare; "
            f"print(json.dumps(compare({framework!r}, **{kwargs!r})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError(f"{framework} reference comparison failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(compare(sys.argv[1] if len(sys.argv) > 1 else "torch"), indent=2))
