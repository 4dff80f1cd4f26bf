"""Keras 3's runtimes for a saved model: its inference function without and with XLA, its
TensorFlow SavedModel export, and its ONNX export run in ONNX Runtime.

The served model is the trained one with a float32 softmax on top for classification (what
``Backend.predict`` returns). ``exported`` and ``onnxruntime`` go through ``model.export``,
Keras's own exporter; on the TensorFlow backend the ONNX export needs ``tf2onnx``, and its
absence, like any exporter error, is a recorded skip with the exporter's message.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from typing import Any

import keras
import numpy as np

from trainsmart_bench.mode import parse_mode
from trainsmart_bench.serving.served import Served, onnx_predict, onnx_session, size_of


def prepare(runtime: str, backend: Any, state: Any, example: np.ndarray, workdir: Path,
            threads: int, device: str) -> Served:
    versions = {"keras": keras.__version__, "keras_backend": keras.backend.backend()}
    if runtime in ("native", "compiled"):
        backend.mode = parse_mode("compiled" if runtime == "compiled" else "eager")
        infer = backend.inference(state.model, state.classification)
        return Served(_call(backend, infer, state.classification), versions=versions,
                      exporter="jit_compile=True" if runtime == "compiled" else None)
    served = _served_model(state)
    served(example[:2])  # built and called once, as the exporters require
    if runtime == "exported":
        if keras.backend.backend() != "tensorflow":
            raise NotImplementedError(
                f"model.export to a TensorFlow SavedModel is measured on keras-tf only (this "
                f"model runs Keras on {keras.backend.backend()})")
        import tensorflow as tf

        path = workdir / "saved_model"
        _export(served, path, "tf_saved_model")
        loaded = tf.saved_model.load(str(path))  # kept: its variables live while it does
        versions["tensorflow"] = tf.__version__
        return Served(lambda x: np.asarray(loaded.serve(x)), exporter="keras model.export "
                      "(tf_saved_model)", versions=versions, artifact=str(path),
                      artifact_bytes=size_of(path))
    if runtime == "onnxruntime":
        path = workdir / "model.onnx"
        _export(served, path, "onnx")
        session, ort_versions = onnx_session(path, threads, device)
        versions.update(ort_versions)
        with contextlib.suppress(ImportError):
            import tf2onnx

            versions["tf2onnx"] = tf2onnx.__version__
        return Served(onnx_predict(session, example.dtype), exporter="keras model.export "
                      "(onnx)", versions=versions, artifact=str(path),
                      artifact_bytes=size_of(path))
    raise NotImplementedError(f"keras has no {runtime} runtime")


def _served_model(state: Any) -> keras.Model:
    """The trained layers with the predict path's float32 softmax, as one functional model."""
    try:
        out = state.model.output
    except (AttributeError, ValueError) as exc:  # a subclassed user model has no graph
        raise NotImplementedError(
            f"a subclassed Keras model cannot be exported here: {exc}") from exc
    if state.classification:
        out = keras.layers.Softmax(dtype="float32")(out)
    return keras.Model(state.model.input, out)


def _export(model: keras.Model, path: Path, fmt: str) -> None:
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # the exporter's chatter
            model.export(str(path), format=fmt, verbose=False)
    except Exception as exc:  # noqa: BLE001 - the exporter's own message is the reason
        raise NotImplementedError(
            f"keras model.export(format={fmt!r}) failed: {type(exc).__name__}: {exc}") from exc


def _call(backend: Any, infer: Any, classification: bool) -> Any:
    def predict(x: np.ndarray) -> np.ndarray:
        with backend.device_scope():
            out = keras.ops.convert_to_numpy(infer(x))
        out = np.asarray(out, np.float32)
        if not classification and out.ndim == 2 and out.shape[1] == 1:
            out = out[:, 0]
        return out

    return predict
