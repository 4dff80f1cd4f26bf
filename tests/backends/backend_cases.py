"""Tiny tasks and random TaskData for every model kind, shared by the backend test modules."""

from __future__ import annotations

import dataclasses
import importlib

import numpy as np
import pytest

from trainsmart_bench import registry
from trainsmart_bench.backends.base import Backend, TaskData
from trainsmart_bench.tasks import get_task
from trainsmart_bench.tasks.spec import ModelSpec, ResolvedTask

# what each backend needs installed; make_backend skips, naming the one that is missing
REQUIRES = {name: e.modules for name, e in registry.BACKEND_ENTRIES.items()}
KERAS_BACKENDS = ("keras-tf", "keras-jax", "keras-torch")  # each in a process of its own
N_USERS, N_ITEMS = 13, 17


def start_keras_here() -> str:
    """Start Keras on this process's own backend (TensorFlow in pytest, KERAS_BACKEND in the
    per-backend processes of test_keras_backends.py) and name it. Call it before importing a
    Keras backend module in-process: keras_jax and keras_torch keep TensorFlow (and JAX) out of
    a process that has not imported them yet, which would break every later TensorFlow test in
    this worker, whichever test ran first."""
    return importlib.import_module("keras").backend.backend()


def resolve_backend(name: str) -> type[Backend]:
    """The registered class, Keras started first (see start_keras_here)."""
    if name.startswith("keras"):
        start_keras_here()
    return registry.resolve("backend", name)


def make_backend(name: str, seed: int = 0) -> Backend:
    for module in REQUIRES[name]:  # found, not imported: Keras must load through its backend
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"the {name} backend needs {module}")
    cls = resolve_backend(name)
    wanted = getattr(cls, "keras_backend", None)
    if wanted and (running := start_keras_here()) != wanted:
        pytest.skip(f"Keras runs on {running} in this process; {name} is tested in a process "
                    "of its own (test_keras_backends.py)")
    backend = cls()
    backend.setup("cpu", 1, seed)
    return backend


def _images(rng: np.random.Generator, n: int, shape: tuple[int, ...]) -> np.ndarray:
    return rng.standard_normal((n, *shape)).astype(np.float32)


def _token_rows(rng: np.random.Generator, n: int, maxlen: int) -> np.ndarray:
    """Token ids 1..49 padded with 0 at the end like IMDB (one row all padding, one full)."""
    x = rng.integers(1, 50, (n, maxlen)).astype(np.int32)
    lengths = rng.integers(1, maxlen + 1, n)
    lengths[:2] = 0, maxlen
    x[np.arange(maxlen)[None, :] >= lengths[:, None]] = 0
    return x


def task_data(kind: str, n: int = 24, seed: int = 0) -> TaskData:
    """Random arrays with the dtypes and layouts the real data has, for one model kind."""
    rng = np.random.default_rng(seed)
    extras: dict = {}
    if kind in ("mlp", "cnn"):
        xs, n_out = [_images(rng, n, (28, 28, 1)) for _ in range(3)], 10
    elif kind == "resnet":  # odd size: strided convs must pad exactly like torch's padding=1
        xs, n_out = [_images(rng, n, (9, 9, 3)) for _ in range(3)], 10
    elif kind in TEXT_KINDS:
        xs, n_out = [_token_rows(rng, n, 12) for _ in range(3)], 2
        extras = {"num_words": 50, "maxlen": 12}
    else:  # mf
        xs = [np.stack([rng.integers(0, N_USERS, n), rng.integers(0, N_ITEMS, n)], 1)
              .astype(np.int32) for _ in range(3)]
        n_out, extras = 1, {"n_users": N_USERS, "n_items": N_ITEMS, "mean": 3.5}
    if kind == "mf":
        ys = [rng.integers(1, 6, n).astype(np.float32) for _ in range(3)]
    else:
        ys = [rng.integers(0, n_out, n).astype(np.int64) for _ in range(3)]
    return TaskData(xs[0], ys[0], xs[1], ys[1], xs[2], ys[2], n_out, extras, dataset="random")


TASK_OF_KIND = {"mlp": "mnist-mlp", "cnn": "mnist-cnn", "resnet": "cifar10-resnet",
                "embed-pool": "imdb-embed", "cnn1d": "imdb-cnn", "lstm": "imdb-lstm",
                "transformer": "imdb-transformer", "mf": "movielens-mf"}
KINDS = tuple(TASK_OF_KIND)
TEXT_KINDS = ("embed-pool", "cnn1d", "lstm", "transformer")
TINY_OPTIONS = {"resnet": {"widths": (4, 8), "blocks": 1}, "embed-pool": {"embed_dim": 8,
                "hidden": 6}, "cnn1d": {"embed_dim": 8, "filters": 6, "kernel": 3},
                "lstm": {"embed_dim": 8, "units": 5},
                "transformer": {"embed_dim": 8, "heads": 2, "head_dim": 3, "mlp": 10,
                                "depth": 2}}


def tiny_task(kind: str, options: dict | None = None, **params) -> ResolvedTask:
    """The built-in task of that kind with small model options (hyperparameters overridable)."""
    spec = get_task(TASK_OF_KIND[kind])
    if kind in TINY_OPTIONS or options:
        merged = {**spec.model.options, **TINY_OPTIONS.get(kind, {}), **(options or {})}
        spec = dataclasses.replace(spec, model=ModelSpec(kind, merged))
    if kind == "mf":
        params.setdefault("factors", 5)
    return spec.resolve(**params)


def module_available(name: str) -> bool:
    return all(importlib.util.find_spec(m) is not None for m in REQUIRES[name])
