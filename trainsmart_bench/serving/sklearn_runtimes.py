"""scikit-learn's runtimes for a saved baseline: the fitted estimator itself, and its
``skl2onnx`` conversion run in ONNX Runtime (pixel baselines: scaler + logistic regression).

The rating baseline (mean + biases) and users' own estimators have no converter here: a
recorded skip saying so.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import sklearn

from trainsmart_bench.backends.sklearn import SklearnState
from trainsmart_bench.serving.served import Served, onnx_session, size_of


def prepare(runtime: str, backend: Any, state: Any, example: np.ndarray, workdir: Path,
            threads: int, device: str) -> Served:
    versions = {"sklearn": sklearn.__version__}
    if device != "cpu":
        raise NotImplementedError("scikit-learn serves on the CPU only")
    if runtime == "native":
        return Served(lambda x: backend.predict(state, x, len(x)), versions=versions)
    if runtime != "onnxruntime":
        raise NotImplementedError(f"sklearn has no {runtime} runtime")
    if not isinstance(state, SklearnState) or state.texts is not None:
        raise NotImplementedError(f"skl2onnx has no converter for {type(state).__name__} "
                                  "(only the pixel baselines' scaler + logistic regression)")
    try:
        from skl2onnx import __version__ as skl2onnx_version
        from skl2onnx import convert_sklearn
        from skl2onnx.common.data_types import FloatTensorType
    except ImportError as exc:
        raise NotImplementedError(f"skl2onnx is not installed ({exc}); "
                                  "pip install 'trainsmart-bench[serve]'") from exc
    lr = state.model[-1]
    try:
        onx = convert_sklearn(state.model, initial_types=[("x", FloatTensorType(
            [None, state.n_features]))], options={id(lr): {"zipmap": False}})
    except Exception as exc:  # noqa: BLE001 - the converter's own message is the reason
        raise NotImplementedError(f"skl2onnx failed: {type(exc).__name__}: {exc}") from exc
    path = workdir / "model.onnx"
    path.write_bytes(onx.SerializeToString())
    session, ort_versions = onnx_session(path, threads, device)
    versions.update(ort_versions, skl2onnx=skl2onnx_version)
    name = session.get_inputs()[0].name
    classes = np.asarray(lr.classes_, int)

    def predict(x: np.ndarray) -> np.ndarray:
        flat = np.ascontiguousarray(np.asarray(x, np.float32).reshape(len(x), -1))
        proba = session.run(["probabilities"], {name: flat})[0]
        out = np.zeros((len(x), state.n_classes), np.float32)
        out[:, classes] = proba
        return out

    return Served(predict, exporter="skl2onnx", versions=versions, artifact=str(path),
                  artifact_bytes=size_of(path))
