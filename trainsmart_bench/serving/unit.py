"""One serving unit, in its own process: a saved model, one runtime, its scenarios.

The objective ``serve_unit`` runs in the one child entry (``training.child``), given a
``UnitSpec`` whose ``serve`` is a ``ServeRequest``. It checks the model file and the trained
model's test predictions against their recorded digests (a truncated or swapped file is a
failure that says so, never a silent re-train), builds the model again and loads its weights,
prepares the runtime (export, compile: ``prepare_s``, apart from every clock below), runs the
accuracy gate on the whole test split, calibrates, and drives LoadGen through each scenario.
"""

from __future__ import annotations

import tempfile
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

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["scenarios"] = list(self.scenarios)
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ServeRequest:
        return cls(**{**data, "scenarios": tuple(data["scenarios"])})


def verify(model: dict[str, Any]) -> tuple[Path, Path]:
    """The model file and its test predictions, both as recorded; else a clear error."""
    from trainsmart_bench.datasets.files import file_digest

    if model.get("skipped"):
        raise NotImplementedError(f"no saved model to serve: {model['skipped']}")
    paths = []
    for label, what in (("model file", model), ("test predictions",
                                                  model.get("test_predictions") or {})):
        path = Path(what.get("path") or "")
        if not path.is_file():
            raise ConfigError(f"the {label} {path} is missing: run `trainsmart infer` (or "
                              "`trainsmart run --save-model`) again, which trains a run "
                              "whose model is not as recorded")
        if file_digest(path) != what.get("sha256"):
            raise ConfigError(f"the {label} {path} does not match the digest its run recorded "
                              "(truncated, or from another run): run `trainsmart infer` "
                              "again, which trains a run whose model is not as recorded")
        paths.append(path)
    return paths[0], paths[1]


def serve_unit(spec: Any, on_epoch: Any = None) -> dict[str, Any]:
    import numpy as np

    from trainsmart_bench.env import thread_pools
    from trainsmart_bench.metrics.resources import peak_host_memory
    from trainsmart_bench.mode import EAGER
    from trainsmart_bench.registry import resolve
    from trainsmart_bench.serving import gate, loadgen
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
    with tempfile.TemporaryDirectory(prefix="trainsmart-serve-") as tmp:
        t = time.perf_counter()
        served = prepare(request.runtime, spec.backend, backend, state, data.x_test,
                         Path(tmp), spec.threads, spec.device)
        prepare_s = time.perf_counter() - t
        t = time.perf_counter()
        out = gate.predict_all(served.predict, data.x_test)  # the first call warms it up
        gate_s = time.perf_counter() - t
        verdict = gate.check(out, trained, data.y_test, task.spec.is_classification,
                             task.spec.metric)
        settings = loadgen.LoadSettings(**request.settings)
        cal = loadgen.calibrate(served.predict, data.x_test, settings.batch)
        results = {}
        for scenario in request.scenarios:
            logs = Path(request.log_dir) / scenario
            results[scenario] = (
                loadgen.find_server_rate(served.predict, data.x_test, settings, logs, cal)
                if scenario == "server" else
                loadgen.run(scenario, served.predict, data.x_test, settings, logs, cal))
    return {
        "status": "ok", "runtime": request.runtime, "exporter": served.exporter,
        "versions": served.versions, "artifact_bytes": served.artifact_bytes,
        "gate": verdict, "calibration": asdict(cal), "scenarios": results,
        "timings": {"load_s": load_s, "prepare_s": prepare_s, "gate_s": gate_s},
        "metrics": {"peak_host_memory": peak_host_memory(),
                    "peak_device_memory": backend.peak_device_memory()},
        "framework_version": backend.version(), "threads": thread_pools(),
    }
