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
