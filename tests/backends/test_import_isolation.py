"""Backend modules import only their own framework; the shared pieces import none."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("torch", "tensorflow", "keras", "sklearn", "jax")


def _loaded_after(statement: str) -> list[str]:
    code = (f"import json, sys; {statement}; "
            f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & {set(HEAVY)!r})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_shared_backend_modules_are_framework_free():
    assert _loaded_after("import trainsmart_bench.backends, trainsmart_bench.backends.arch") == []


def test_torch_backend_loads_torch_only():
    pytest.importorskip("torch")
    assert _loaded_after("import trainsmart_bench.backends.torch") == ["torch"]


@pytest.mark.parametrize("backend, absent", [("keras_torch", ["jax", "tensorflow"]),
                                             ("keras_jax", ["tensorflow"])])
def test_kept_out_frameworks_look_absent_to_other_libraries(backend, absent):
    """A Keras run on JAX or PyTorch keeps TensorFlow (and JAX) out, and scipy, which looks
    frameworks up in sys.modules, still works there: its bootstrap crashed keras-torch runs
    while ``sys.modules["jax"]`` was None (the child no longer calls it, a plugin may)."""
    pytest.importorskip("keras")
    pytest.importorskip(backend.removeprefix("keras_"))
    code = (f"import importlib, json, sys; import trainsmart_bench.backends.{backend}; "
            "from trainsmart_bench.results.stats import bootstrap_median; "
            "s = bootstrap_median([0.0, 1.0, 2.0, 3.0, 4.0] * 4); "
            "assert s.low < s.median < s.high, s; "
            f"blocked = [n for n in {absent!r} if n in sys.modules]; "
            "tries = []\n"
            f"for n in {absent!r}:\n"
            "    try:\n        importlib.import_module(n)\n    except ImportError:\n"
            "        tries.append(n)\n"
            "print(json.dumps([blocked, tries]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    blocked, refused = json.loads(out.stdout.strip().splitlines()[-1])
    assert blocked == [] and refused == absent
