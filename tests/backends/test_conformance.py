"""The Backend contract, run against every installed backend (optuna's samplers_tests style)."""

from __future__ import annotations

import math
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

import numpy as np
import pytest

from tests.backends.backend_cases import KINDS, make_backend, task_data, tiny_task
from trainsmart_bench import registry
from trainsmart_bench.backends.arch import arch_for, expected_param_count
from trainsmart_bench.backends.base import Backend

# Keras backends other than the one this process loaded skip here; test_keras_backends.py
# runs this module once more per Keras backend, in a process of its own.
NEURAL = ("torch", "keras", "keras-tf", "keras-jax", "keras-torch")
ALL = (*NEURAL, "sklearn")
# The model-kind cases run once for Keras on TensorFlow: ``keras`` is keras-tf under its older
# name (test_the_keras_name_is_keras_tf_renamed), so its cases would train the same models again.
CASES = [(b, k) for b in NEURAL if b != "keras" for k in KINDS]
REPO = Path(__file__).resolve().parents[2]


def test_the_keras_name_is_keras_tf_renamed():
    """``keras`` trains exactly what ``keras-tf`` trains: a subclass that sets nothing but its
    name, so the model-kind cases need not run for both names."""
    pytest.importorskip("tensorflow")
    from tests.backends.backend_cases import resolve_backend

    alias, tf = resolve_backend("keras"), resolve_backend("keras-tf")
    assert alias.__bases__ == (tf,) and alias.name == "keras"
    assert {k for k in vars(alias) if not k.startswith("__")} == {"name"}


@pytest.mark.parametrize("name", ALL)
def test_metadata(name):
    backend = make_backend(name)
    assert type(backend).name == name
    assert type(backend).is_available()
    assert isinstance(backend.version(), str) and backend.version()
    assert backend.device_available("cpu")
    assert isinstance(backend.device_available("cuda"), bool)
    assert not backend.device_available("tpu")
    with pytest.raises(NotImplementedError):
        backend.check(tiny_task("mlp"), "tpu")


@pytest.mark.parametrize("name", ALL)
def test_cpu_has_no_device_memory(name):
    backend = make_backend(name)
    backend.reset_peak_device_memory()
    backend.synchronize()
    assert backend.peak_device_memory() is None


@pytest.mark.parametrize(("name", "kind"), CASES)
def test_train_and_predict(name, kind):
    backend = make_backend(name)
    task, data = tiny_task(kind, dropout=0.25), task_data(kind)
    backend.check(task, "cpu")
    state = backend.build(task, data)
    assert backend.param_count(state) == expected_param_count(arch_for(task, data))
    losses = [backend.train_epoch(state, data.x_train, data.y_train, 8) for _ in range(2)]
    assert all(isinstance(v, float) and math.isfinite(v) for v in losses)
    out = backend.predict(state, data.x_val, 5)  # 5 does not divide 24: a ragged last batch
    assert out.dtype == np.float32 and np.isfinite(out).all()
    if kind == "mf":
        assert out.shape == (len(data.x_val),)
    else:
        assert out.shape == (len(data.x_val), data.n_outputs)
        np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-5)


@pytest.mark.parametrize(("name", "kind"), CASES)
def test_weights_roundtrip(name, kind):
    backend = make_backend(name)
    task, data = tiny_task(kind), task_data(kind)
    state = backend.build(task, data)
    saved = backend.get_weights(state)
    before = backend.predict(state, data.x_val, 8)
    backend.train_epoch(state, data.x_train, data.y_train, 8)
    # get_weights returns copies: training must not have changed the saved arrays
    assert any(not np.array_equal(a, b) for a, b in zip(saved, backend.get_weights(state)))
    backend.set_weights(state, saved)
    for a, b in zip(saved, backend.get_weights(state)):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(backend.predict(state, data.x_val, 8), before, atol=1e-6)
    with pytest.raises(ValueError):
        backend.set_weights(state, saved[:-1])


@pytest.mark.parametrize(("name", "kind"), CASES)
def test_seed_fixes_initial_weights(name, kind):
    task, data = tiny_task(kind), task_data(kind)
    runs = []
    for seed in (3, 3, 4):
        backend = make_backend(name, seed)
        runs.append(backend.get_weights(backend.build(task, data)))
    assert all(np.array_equal(a, b) for a, b in zip(runs[0], runs[1]))
    assert not all(np.array_equal(a, b) for a, b in zip(runs[0], runs[2]))


def _requirement_names(extra: str) -> set[str]:
    """Normalized distribution names that ``pip install trainsmart-bench[extra]`` brings
    ("" = the core install), read from pyproject.toml."""
    tomllib = pytest.importorskip("tomllib" if sys.version_info >= (3, 11) else "tomli")
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    assert not extra or extra in extras, f"the extra {extra!r} is not in pyproject.toml"
    reqs = extras[extra] if extra else project["dependencies"]
    return {re.sub(r"[-_.]+", "-", re.match(r"[A-Za-z0-9_.-]+", r).group()).lower()
            for r in reqs}


@pytest.mark.parametrize("name", ALL)
def test_registry_entry_and_its_install_hint(name):
    """The registered class is a Backend under that name, and the extra its install hint
    names exists and installs the framework the backend imports."""
    make_backend(name)  # skips where the framework is missing
    cls = registry.resolve("backend", name)
    assert issubclass(cls, Backend) and cls.name == name
    provides = {d.lower() for d in packages_distributions().get(cls.framework, [])}
    assert provides, f"no installed distribution provides {cls.framework!r}"
    wanted = _requirement_names(registry.BACKEND_EXTRAS[name])
    assert provides & wanted, (name, registry.BACKEND_EXTRAS[name], provides, wanted)


@pytest.mark.parametrize(("name", "kind"), [c for c in CASES if c[0] != "sklearn"])
def test_an_order_means_the_same_batches_as_a_shuffled_copy(name, kind):
    """train_epoch(x, y, order) consumes x[order] in batches: the same training as on a copy."""
    task, data = tiny_task(kind, dropout=0.0), task_data(kind)
    order = np.random.default_rng(3).permutation(len(data.x_train))
    a, b = make_backend(name), make_backend(name)
    sa, sb = a.build(task, data), b.build(task, data)
    b.set_weights(sb, a.get_weights(sa))
    loss_a = a.train_epoch(sa, data.x_train, data.y_train, 8, order)
    loss_b = b.train_epoch(sb, data.x_train[order], data.y_train[order], 8)
    assert loss_a == pytest.approx(loss_b, rel=1e-5)
    for wa, wb in zip(a.get_weights(sa), b.get_weights(sb)):
        np.testing.assert_allclose(wa, wb, rtol=1e-4, atol=1e-6)
