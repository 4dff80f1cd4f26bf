"""PyTorch backend: torch.optim.AdamW and plain tensor slicing; eager fp32 unless a mode says.

Choices that keep the comparison with Keras fair:
* no DataLoader and no per-sample Python: the epoch arrays become tensors with
  ``torch.from_numpy`` and contiguous batches are sliced and moved to the device;
* images arrive NHWC; conv models convert each batch to NCHW once, on the device;
* on CUDA, TF32 is off (strict fp32, as on the Keras side) and cuDNN autotuning is on
  (TensorFlow autotunes convolutions by default);
* the returned loss is the per-sample mean over the epoch, accumulated on the device
  and read back once (Keras reports the same batch-size-weighted mean).

Modes (``trainsmart_bench.mode``): ``compiled`` and ``max-autotune`` compile the whole
training step (forward, loss, backward, optimizer step) with ``torch.compile``, as Keras'
``jit_compile=True`` compiles its train step and the PyTorch compiler dashboard its iteration;
``backward()`` is a graph break dynamo reports (``graph_breaks``), gradients are zeroed outside
the step. Inference runs the module compiled the same way. ``bf16`` runs forward and loss
under ``torch.autocast``; ``fp16`` (CUDA) adds a GradScaler.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from trainsmart_bench.backends import torch_models, torch_modes, user_models
from trainsmart_bench.backends.arch import ADAM_BETAS, ADAM_EPS, CHANNELS_FIRST_KINDS, arch_for
from trainsmart_bench.backends.base import Backend, TaskData
from trainsmart_bench.mode import EAGER, Mode
from trainsmart_bench.tasks.spec import ResolvedTask

DEVICES = ("cpu", "cuda")


@dataclass
class TorchState:
    model: nn.Module
    optimizer: torch.optim.Optimizer
    device: torch.device
    classification: bool
    channels_first: bool  # convert NHWC batches to NCHW
    step: Callable  # (x batch, y batch) -> detached loss: one optimizer step, as the mode runs it
    infer: Callable  # the module for inference (compiled in a compiled mode)
    train_arrays: tuple | None = None  # (numpy x, tensor x, tensor y), reused across epochs
    user: bool = False  # a user task's own module (weights by state_dict, not Keras layout)


class TorchBackend(Backend):
    name: ClassVar[str] = "torch"
    framework: ClassVar[str] = "torch"
    adam_epsilon: float = ADAM_EPS  # torch adds it to sqrt(v_hat) (Algorithm 1 of the paper)

    def __init__(self) -> None:
        self.device = torch.device("cpu")
        self.mode = EAGER

    def check(self, task: ResolvedTask, device: str) -> None:
        if device not in DEVICES:
            raise NotImplementedError(f"torch backend runs on {DEVICES}, not {device!r}")
        if user_models.is_user(task):
            user_models.builder(task, "torch")  # none: a recorded skip
        elif task.spec.model.kind not in torch_models.BUILDERS:
            raise NotImplementedError(f"torch backend has no model kind {task.spec.model.kind!r}")

    def device_available(self, device: str) -> bool:
        return device == "cpu" or (device == "cuda" and torch.cuda.is_available())

    def check_mode(self, mode: Mode, device: str) -> None:
        if reason := torch_modes.unavailable(mode, device):
            raise NotImplementedError(reason)

    def setup(self, device: str, threads: int, seed: int, mode: Mode = EAGER) -> None:
        torch.set_num_threads(int(threads))
        torch.manual_seed(seed)
        self.device, self.mode = torch.device(device), mode
        if mode.compiled:
            torch_modes.cold_compiler(threads)
        if self.device.type == "cuda":
            torch.cuda.manual_seed_all(seed)
            torch.backends.cudnn.benchmark = True
            torch_modes.strict_fp32()

    def version(self) -> str:
        return torch.__version__

    model_format: ClassVar[str] = "pt"  # the module's state_dict, as torch.save writes it

    def save_model(self, state: TorchState, path: Any) -> None:
        torch.save(state.model.state_dict(), path)

    def load_model(self, path: Any, task: ResolvedTask, data: TaskData) -> TorchState:
        state = self.build(task, data)
        weights = torch.load(path, map_location=self.device, weights_only=True)
        state.model.load_state_dict(weights)
        state.model.eval()
        return state

    def build(self, task: ResolvedTask, data: TaskData) -> TorchState:
        if user_models.is_user(task):
            module = user_models.build(task, data, "torch", nn.Module, "a torch.nn.Module")
            classification = task.spec.is_classification
            return self._state(task, _Flat(module, classification).to(self.device),
                               classification, False, user=True)
        arch = arch_for(task, data)
        model = torch_models.build_module(arch).to(self.device)
        return self._state(task, model, arch.classification, arch.kind in CHANNELS_FIRST_KINDS)

    def _state(self, task: ResolvedTask, model: nn.Module, classification: bool,
               channels_first: bool, user: bool = False) -> TorchState:
        optimizer = torch.optim.AdamW(
            model.parameters(), lr=float(task["lr"]), betas=ADAM_BETAS, eps=self.adam_epsilon,
            weight_decay=float(task.get("weight_decay", 0.0) or 0.0),
        )
        loss_fn = F.cross_entropy if classification else F.mse_loss
        step = _train_step(model, optimizer, loss_fn, self.mode, self.device.type)
        return TorchState(model, optimizer, self.device, classification, channels_first,
                          torch_modes.compile_fn(step, self.mode),
                          torch_modes.compile_fn(model, self.mode), user=user)

    def train_epoch(self, state: TorchState, x: np.ndarray, y: np.ndarray,
                    batch_size: int, order: np.ndarray | None = None) -> float:
        model, opt = state.model, state.optimizer
        model.train()
        xs, ys = self._training_tensors(state, x, y)
        idx = None if order is None else torch.from_numpy(order).to(xs.device)
        total = torch.zeros((), device=state.device)
        for start in range(0, len(xs), batch_size):
            end = start + batch_size
            rows = slice(start, end) if idx is None else idx[start:end]
            xb = self._batch(state, xs[rows])
            yb = ys[rows].to(state.device, non_blocking=True)
            opt.zero_grad(set_to_none=True)
            total += state.step(xb, yb).float() * len(yb)
        return float(total.item()) / max(1, len(xs))

    def predict(self, state: TorchState, x: np.ndarray, batch_size: int) -> np.ndarray:
        model = state.model
        model.eval()
        xs, outs = _tensor(x), []
        with torch.no_grad(), torch_modes.autocast(self.mode, state.device.type):
            for start in range(0, max(1, len(xs)), batch_size):  # an empty x gives (0, ...)
                out = state.infer(self._batch(state, xs[start:start + batch_size])).float()
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

    def compile_stats(self) -> dict[str, float]:
        return torch_modes.dynamo_stats() if self.mode.compiled else {}

    def get_weights(self, state: TorchState) -> list[np.ndarray]:
        if state.user:  # parameters and buffers in the module's own order
            return [t.detach().cpu().numpy().copy() for t in state.model.state_dict().values()]
        return [w for m in torch_models.keras_layers(state.model) for w in torch_models.to_keras(m)]

    def param_count(self, state: TorchState) -> int:
        if state.user:  # trainable parameters, as Keras' trainable_weights count them
            return int(sum(p.numel() for p in state.model.parameters() if p.requires_grad))
        return super().param_count(state)

    def set_weights(self, state: TorchState, weights: list[np.ndarray]) -> None:
        if state.user:
            keys = list(state.model.state_dict())
            if len(weights) != len(keys):
                raise ValueError(f"expected {len(keys)} weight arrays, got {len(weights)}")
            state.model.load_state_dict({k: torch.from_numpy(np.asarray(w))
                                         for k, w in zip(keys, weights)})
            return
        layers, pos = torch_models.keras_layers(state.model), 0
        expected = sum(torch_models.n_keras_arrays(m) for m in layers)
        if len(weights) != expected:
            raise ValueError(f"expected {expected} weight arrays, got {len(weights)}")
        for m in layers:
            n = torch_models.n_keras_arrays(m)
            torch_models.from_keras(m, list(weights[pos:pos + n]))
            pos += n


class _Flat(nn.Module):
    """A user module's output as the loss and metrics read it: a regression's (N, 1) -> (N,)."""

    def __init__(self, module: nn.Module, classification: bool) -> None:
        super().__init__()
        self.module, self.classification = module, classification

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.module(x)
        if not self.classification and out.ndim == 2 and out.shape[1] == 1:
            out = out.squeeze(1)
        return out


def _train_step(model: nn.Module, opt: torch.optim.Optimizer, loss_fn: Callable, mode: Mode,
                device: str) -> Callable:
    """One optimizer step on a batch (gradients already zeroed); returns the detached loss."""
    scaler = torch.amp.GradScaler(device) if mode.precision == "fp16" else None

    def step(xb: torch.Tensor, yb: torch.Tensor) -> torch.Tensor:
        with torch_modes.autocast(mode, device):
            loss = loss_fn(model(xb), yb)
        if scaler is None:
            loss.backward()
            opt.step()
        else:
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
        return loss.detach()

    return step


def _tensor(a: np.ndarray, dtype: Any = None) -> torch.Tensor:
    """A zero-copy tensor where possible (copies only non-writable or non-contiguous input)."""
    return torch.from_numpy(np.require(a, dtype=dtype, requirements=["C", "W"]))
