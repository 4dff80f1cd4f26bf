"""Serving a trained model: runtimes, the accuracy gate and MLPerf LoadGen scenarios.

A run kept with ``--save-model`` is served without training again: a serving unit (one
process per saved model and runtime, through the one child entry) loads the model, prepares
the runtime (the framework eager or compiled, an exported graph, ONNX Runtime), checks its
predictions on the whole test split against the trained model's own (``gate``), then drives
it through LoadGen's scenarios (``loadgen``). What it measured becomes inference records
(``results.inference``). Nothing here imports a framework at import time.
"""

from __future__ import annotations

from trainsmart_bench.serving.names import RUNTIMES, SCENARIOS, runtimes_for

__all__ = ["RUNTIMES", "SCENARIOS", "runtimes_for"]
