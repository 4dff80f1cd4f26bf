"""`import trainsmart_bench` loads no framework and no tuner library."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("torch", "tensorflow", "keras", "jax", "ray", "optuna", "hyperopt", "sklearn", "scipy")


def test_import_is_framework_free():
    code = (
        "import json, sys; import trainsmart_bench, trainsmart_bench.cli, "
        "trainsmart_bench.registry, trainsmart_bench.tasks, trainsmart_bench.datasets; "
        "trainsmart_bench.cli.build_parser(); "
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []
