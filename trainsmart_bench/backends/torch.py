"""PyTorch backend: eager mode (no torch.compile), fp32, torch.optim.AdamW, plain tensor slicing.

Choices that keep the comparison with Keras fair:
* no DataLoader and no per-sample Python: the epoch arrays become tensors with
  ``torch.from_numpy`` and contiguous batches are sliced and moved to the device;
* images arrive NHWC; conv models convert each batch to NCHW once, on the device;
* on CUDA, TF32 is off (strict fp32, as on the Keras side) and cuDNN autotuning is on
  (TensorFlow autotunes convolutions by default);
* the returned loss is the per-sample mean over the epoch, accumulated on the device
  and read back once (Keras reports the same batch-size-weighted mean).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from trainsmart_bench.backends import torch_models
from trainsmart_bench.backends.arch import ADAM_BETAS, ADAM_EPS, CHANNELS_FIRST_KINDS, arch_for
from trainsmart_bench.backends.base import Backend, TaskData
from trainsmart_bench.tasks.spec import ResolvedTask

DEVICES = ("cpu", "cuda")


@dataclass
class TorchState:
    model: nn.Module
    optimizer: torch.optim.Optimizer
    device: torch.device
    classification: bool
    channels_first: bool  # convert NHWC batches to NCHW
    train_arrays: tuple | None = None  # (numpy x, tensor x, tensor y), reused across epochs


class TorchBackend(Backend):
    name: ClassVar[str] = "torch"
    framework: ClassVar[str] = "torch"
    adam_epsilon: float = ADAM_EPS  # torch adds it to sqrt(v_hat) (Algorithm 1 of the paper)

    def __init__(self) -> None:
        self.device = torch.device("cpu")

    def check(self, task: ResolvedTask, device: str) -> None:
        if device not in DEVICES:
            raise NotImplementedError(f"torch backend runs on {DEVICES}, not {device!r}")
        if task.spec.model.kind not in torch_models.BUILDERS:
            raise NotImplementedError(f"torch backend has no model kind {task.spec.model.kind!r}")

    def device_available(self, device: str) -> bool:
        return device == "cpu" or (device == "cuda" and torch.cuda.is_available())

    def setup(self, device: str, threads: int, seed: int) -> None:
        torch.set_num_threads(int(threads))
        torch.manual_seed(seed)
        self.device = torch.device(device)
        if self.device.type == "cuda":
            torch.cuda.manual_seed_all(seed)
            torch.backends.cudnn.benchmark = True
            _strict_fp32()

    def version(self) -> str:
        return torch.__version__

    def build(self, task: ResolvedTask, data: TaskData) -> TorchState:
        arch = arch_for(task, data)
        model = torch_models.build_module(arch).to(self.device)
        optimizer = torch.optim.AdamW(
            model.parameters(), lr=float(task["lr"]), betas=ADAM_BETAS, eps=self.adam_epsilon,
            weight_decay=float(task.get("weight_decay", 0.0) or 0.0),
        )
        return TorchState(model, optimizer, self.device, arch.classification,
                          arch.kind in CHANNELS_FIRST_KINDS)

    def train_epoch(self, state: TorchState, x: np.ndarray, y: np.ndarray,
                    batch_size: int, order: np.ndarray | None = None) -> float:
        model, opt = state.model, state.optimizer
        model.train()
        xs, ys = self._training_tensors(state, x, y)
        idx = None if order is None else torch.from_numpy(order).to(xs.device)
        loss_fn = F.cross_entropy if state.classification else F.mse_loss
        total = torch.zeros((), device=state.device)
        for start in range(0, len(xs), batch_size):
            end = start + batch_size
            rows = slice(start, end) if idx is None else idx[start:end]
            xb = self._batch(state, xs[rows])
            yb = ys[rows].to(state.device, non_blocking=True)
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            total += loss.detach() * len(yb)
        return float(total.item()) / max(1, len(xs))

    def predict(self, state: TorchState, x: np.ndarray, batch_size: int) -> np.ndarray:
        model = state.model
        model.eval()
        xs, outs = _tensor(x), []
        with torch.no_grad():
            for start in range(0, max(1, len(xs)), batch_size):  # an empty x gives (0, ...)
                out = model(self._batch(state, xs[start:start + batch_size]))
                outs.append(torch.softmax(out, dim=1) if state.classification else out)
        return torch.cat(outs).cpu().numpy()

    @staticmethod
    def _training_tensors(state: TorchState, x: np.ndarray, y: np.ndarray):
        """The training arrays as tensors, made once per run (on the device for CUDA)."""
        if state.train_arrays is None or state.train_arrays[0] is not x:
            dtype = np.int64 if state.classification else np.float32
            xs, ys = _tensor(x), _tensor(y, dtype)
            if state.device.type == "cuda":  # gathers then run on the device
                xs, ys = xs.to(state.device), ys.to(state.device)
            state.train_arrays = (x, xs, ys)
        return state.train_arrays[1], state.train_arrays[2]

    @staticmethod
    def _batch(state: TorchState, xb: torch.Tensor) -> torch.Tensor:
        xb = xb.to(state.device, non_blocking=True)
        return xb.permute(0, 3, 1, 2).contiguous() if state.channels_first else xb

    def synchronize(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)

    def peak_device_memory(self) -> int | None:
        if self.device.type == "cuda":
            return int(torch.cuda.max_memory_allocated(self.device))
        return None

    def reset_peak_device_memory(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(self.device)

    def get_weights(self, state: TorchState) -> list[np.ndarray]:
        return [w for m in torch_models.keras_layers(state.model) for w in torch_models.to_keras(m)]

    def set_weights(self, state: TorchState, weights: list[np.ndarray]) -> None:
        layers, pos = torch_models.keras_layers(state.model), 0
        expected = sum(torch_models.n_keras_arrays(m) for m in layers)
        if len(weights) != expected:
            raise ValueError(f"expected {expected} weight arrays, got {len(weights)}")
        for m in layers:
            n = torch_models.n_keras_arrays(m)
            torch_models.from_keras(m, list(weights[pos:pos + n]))
            pos += n


def _tensor(a: np.ndarray, dtype: Any = None) -> torch.Tensor:
    """A zero-copy tensor where possible (copies only non-writable or non-contiguous input)."""
    return torch.from_numpy(np.require(a, dtype=dtype, requirements=["C", "W"]))


def _strict_fp32() -> None:
    """Disable TF32 for matmuls and convolutions (the newer API where torch has it)."""
    if hasattr(torch.backends.cuda.matmul, "fp32_precision"):
        torch.backends.cuda.matmul.fp32_precision = "ieee"
        torch.backends.cudnn.conv.fp32_precision = "ieee"
    else:  # torch < 2.9
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
