"""PyTorch's runtimes for a saved model: eager, ``torch.compile``, ``torch.export`` and ONNX
Runtime (``torch.onnx.export``).

Every runtime serves the same module: the trained network wrapped so that it takes the task's
numpy layout (NHWC images are permuted inside) and returns what ``Backend.predict`` returns
(softmax probabilities in float32, or predictions), so a runtime's output is compared with the
trained model's own predictions as they are.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from trainsmart_bench.serving.served import Served, onnx_predict, onnx_session, size_of

EXAMPLE_ROWS = 2  # the traced example's batch (not 0 or 1, which exporters specialize on)


class ServingModule(nn.Module):
    """The trained network as a served model sees it: task-layout rows in, predictions out."""

    def __init__(self, model: nn.Module, classification: bool, channels_first: bool) -> None:
        super().__init__()
        self.model, self.classification = model, classification
        self.channels_first = channels_first

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.channels_first:
            x = x.permute(0, 3, 1, 2).contiguous()
        out = self.model(x).float()
        return torch.softmax(out, dim=1) if self.classification else out


def prepare(runtime: str, backend: Any, state: Any, example: np.ndarray, workdir: Path,
            threads: int, device: str) -> Served:
    module = ServingModule(state.model, state.classification, state.channels_first).eval()
    dev = torch.device(device)
    module.to(dev)
    versions = {"torch": torch.__version__}
    traced = torch.from_numpy(np.ascontiguousarray(example[:EXAMPLE_ROWS])).to(dev)
    batch = torch.export.Dim("batch", min=1)
    if runtime == "native":
        return Served(_call(module, dev), versions=versions)
    if runtime == "compiled":
        return Served(_call(torch.compile(module, dynamic=True), dev), exporter="torch.compile",
                      versions=versions)
    if runtime == "exported":
        try:
            program = torch.export.export(module, (traced,), dynamic_shapes=({0: batch},))
        except Exception as exc:  # noqa: BLE001 - the exporter's own message is the reason
            raise NotImplementedError(f"torch.export failed: {type(exc).__name__}: {exc}") from exc
        path = workdir / "model.pt2"
        torch.export.save(program, str(path))
        return Served(_call(program.module(), dev), exporter="torch.export", versions=versions,
                      artifact=str(path), artifact_bytes=size_of(path))
    if runtime == "onnxruntime":
        path = workdir / "model.onnx"
        try:
            torch.onnx.export(module, (traced,), str(path), input_names=["x"],
                              output_names=["y"], dynamic_shapes=({0: batch},), dynamo=True)
        except Exception as exc:  # noqa: BLE001
            raise NotImplementedError(
                f"torch.onnx.export failed: {type(exc).__name__}: {exc}") from exc
        session, ort_versions = onnx_session(path, threads, device)
        import onnx

        versions.update(ort_versions, onnx=onnx.__version__)
        return Served(onnx_predict(session, example.dtype), exporter="torch.onnx.export",
                      versions=versions, artifact=str(path), artifact_bytes=size_of(path))
    raise NotImplementedError(f"torch has no {runtime} runtime")


def _call(fn: Any, device: torch.device) -> Any:
    def predict(x: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            out = fn(torch.from_numpy(np.ascontiguousarray(x)).to(device))
            return out.cpu().numpy()

    return predict
