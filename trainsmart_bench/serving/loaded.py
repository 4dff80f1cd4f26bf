"""A saved model loaded to serve, in the process that serves it: a serving unit or a Ray
Serve replica. The request (``ServeRequest``), the digests checked first (``verify``: a
truncated or swapped file is an error that says so, never served), the model built again and
its weights loaded, its runtime prepared (``load_served``)."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from trainsmart_bench.errors import ConfigError


@dataclass(frozen=True)
class ServeRequest:
    model: dict[str, Any]  # the run record's ``model`` (path, format, sha256, predictions)
    runtime: str
    scenarios: tuple[str, ...]
    settings: dict[str, Any]  # serving.loadgen.LoadSettings as JSON
    log_dir: str  # LoadGen's logs, one folder per scenario
    params: dict[str, Any] = field(default_factory=dict)  # the run's resolved hyperparameters
    ray: dict[str, Any] = field(default_factory=dict)  # server-ray: serving.ray_serve.RaySettings

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["scenarios"] = list(self.scenarios)
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ServeRequest:
        return cls(**{**data, "scenarios": tuple(data["scenarios"])})


def verify(model: dict[str, Any]) -> tuple[Path, Path]:
    """The model file and its test predictions, both as recorded; else a clear error."""
    from trainsmart_bench.execution.matrix import model_problem

    if model.get("skipped"):
        raise NotImplementedError(f"no saved model to serve: {model['skipped']}")
    problem = model_problem(model)
    if problem is not None:
        label, path, missing = problem
        state = "is missing" if missing else (
            "does not match the digest its run recorded (truncated, or from another run)")
        raise ConfigError(f"the {label} {path} {state}: run `trainsmart infer` (or `trainsmart "
                          "run --save-model`) again, which trains a run whose model is not as "
                          "recorded")
    return Path(model["path"]), Path(model["test_predictions"]["path"])


@dataclass
class Loaded:
    """A saved model ready to serve: its runtime, the task's data and what it was trained to
    predict, with the seconds each step took."""

    served: Any  # serving.served.Served
    data: Any  # backend.base.TaskData
    task: Any  # ResolvedTask
    backend: Any
    trained: Any  # np.ndarray: the trained model's own test predictions
    timings: dict[str, float]


def load_served(spec: Any, workdir: Path) -> Loaded:
    """Verify, load and prepare the request's model in this process (a serving unit, or a
    Ray Serve replica)."""
    import numpy as np

    from trainsmart_bench.mode import EAGER
    from trainsmart_bench.registry import resolve
    from trainsmart_bench.serving.served import prepare
    from trainsmart_bench.tasks import get_task
    from trainsmart_bench.training.child import load_plugin
    from trainsmart_bench.training.data import prepare as prepare_data

    request = ServeRequest.from_json(dict(spec.serve))
    model_path, predictions_path = verify(request.model)
    load_plugin(spec)
    task = get_task(spec.task).resolve(spec.profile, **request.params)
    backend = resolve("backend", spec.backend)()
    backend.check(task, spec.device)
    backend.setup(spec.device, spec.threads, spec.seed, EAGER)
    data = prepare_data(task, spec.data_dir, backend=spec.backend)
    trained = np.load(predictions_path, allow_pickle=False)
    t = time.perf_counter()
    state = backend.load_model(model_path, task, data)
    load_s = time.perf_counter() - t
    t = time.perf_counter()
    served = prepare(request.runtime, spec.backend, backend, state, data.x_test, workdir,
                     spec.threads, spec.device)
    return Loaded(served, data, task, backend, trained,
                  {"load_s": load_s, "prepare_s": time.perf_counter() - t})
