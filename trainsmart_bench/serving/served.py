"""What a runtime hands the gate and LoadGen: one ``predict`` over a numpy batch.

Each framework's module (``serving.torch_runtimes``, ``keras_runtimes``, ``sklearn_runtimes``)
has ``prepare(runtime, backend, state, example, workdir, threads, device) -> Served``
(``example``: a few test rows, for exporters that trace), raising
``NotImplementedError`` with the exporter's own message where a combination cannot be made
(recorded as a skip). ``predict`` takes rows in the task's layout (as ``TaskData`` holds them)
and returns what ``Backend.predict`` returns: class probabilities (N, classes) in float32, or
predictions (N,) for regression.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from trainsmart_bench.serving.names import RUNTIMES, framework_of

MODULES = {"torch": "trainsmart_bench.serving.torch_runtimes",
           "keras": "trainsmart_bench.serving.keras_runtimes",
           "sklearn": "trainsmart_bench.serving.sklearn_runtimes"}


@dataclass
class Served:
    predict: Callable[[np.ndarray], np.ndarray]
    exporter: str | None = None  # what turned the model into this runtime's artifact
    versions: dict[str, str] = field(default_factory=dict)  # runtime and exporter versions
    artifact: str | None = None  # the exported file or folder, where there is one
    artifact_bytes: int | None = None


def prepare(runtime: str, backend_name: str, backend: Any, state: Any, example: np.ndarray,
            workdir: Path, threads: int, device: str) -> Served:
    framework = framework_of(backend_name)
    if framework not in RUNTIMES[runtime]:
        raise NotImplementedError(f"{backend_name} has no {runtime} runtime (its runtimes: "
                                  f"{', '.join(r for r, f in RUNTIMES.items() if framework in f)})")
    module = importlib.import_module(MODULES[framework])
    return module.prepare(runtime, backend, state, example, workdir, threads, device)


def size_of(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size


def onnx_session(path: Path, threads: int, device: str) -> tuple[Any, dict[str, str]]:
    """An ONNX Runtime session on ``threads`` intra-op threads (CUDA's provider on a GPU)."""
    try:
        import onnxruntime as ort
    except ImportError as exc:
        raise NotImplementedError(f"onnxruntime is not installed ({exc}); "
                                  "pip install 'trainsmart-bench[serve]'") from exc
    options = ort.SessionOptions()
    options.intra_op_num_threads = int(threads)
    options.inter_op_num_threads = 1
    providers = ["CPUExecutionProvider"]
    if device == "cuda":
        if "CUDAExecutionProvider" not in ort.get_available_providers():
            raise NotImplementedError("this onnxruntime has no CUDAExecutionProvider; "
                                      "pip install onnxruntime-gpu")
        providers.insert(0, "CUDAExecutionProvider")
    session = ort.InferenceSession(str(path), options, providers=providers)
    return session, {"onnxruntime": ort.__version__}


def onnx_predict(session: Any, dtype: Any) -> Callable:
    """The session's first output for rows of ``dtype``."""
    name = session.get_inputs()[0].name

    def predict(x: np.ndarray) -> np.ndarray:
        return session.run(None, {name: np.ascontiguousarray(x, dtype=dtype)})[0]

    return predict
