"""Inference records: one (saved model, runtime, scenario, batch), a record kind of its own.

Its identity holds what decides its numbers: the run it serves (that run's identity, so task,
hyperparameters, data, framework versions, device and threads), the model file's digest, the
runtime and the versions of what exports and runs it, LoadGen's version and settings (quick
or not, the Server's latency bound), the batch and the threads. Files live in
``<results>/inference/``, named by cell and identity like run records, each written once.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trainsmart_bench.jsonfile import atomic_write_json
from trainsmart_bench.results.records import SCHEMA_VERSION, JsonRecord, SchemaError, Status

# name -> (unit, direction), defined once
INFERENCE_METRICS: Mapping[str, tuple[str, str]] = {
    "latency_p50": ("s", "min"), "latency_p90": ("s", "min"), "latency_p99": ("s", "min"),
    "latency_mean": ("s", "min"),
    "samples_per_s": ("samples/s", "max"),  # LoadGen's rate of the scenario
    "server_max_qps": ("queries/s", "max"),  # the highest Server rate LoadGen found VALID
    "prepare_time": ("s", "min"),  # export / compile of the runtime, before any clock
    "peak_host_memory": ("bytes", "min"),
}


@dataclass(frozen=True)
class InferenceRecord(JsonRecord):
    task: str
    backend: str
    device: str
    seed: int
    runtime: str
    scenario: str
    batch: int
    status: Status
    profile: str | None = None
    mode: str = "eager"  # the training run's mode
    metrics: dict[str, float | None] = field(default_factory=dict)  # INFERENCE_METRICS
    gate: dict[str, Any] = field(default_factory=dict)  # serving.gate.check's verdict
    loadgen: dict[str, Any] = field(default_factory=dict)  # validity, why, settings, log dir
    exporter: str | None = None
    error: str | None = None
    env: dict[str, Any] = field(default_factory=dict)
    started: str = ""
    run_identity: str = ""  # the identity of the training run whose model this serves
    identity: str = ""
    identity_fields: dict[str, Any] = field(default_factory=dict)
    kind: str = "inference"
    schema_version: int = SCHEMA_VERSION

    @property
    def key(self) -> str:
        return (f"{self.task}__{self.backend}__{self.device}__seed{self.seed}__{self.runtime}"
                f"__{self.scenario}__b{self.batch}")

    @property
    def gated(self) -> bool:
        """Passed the accuracy gate (a record without one did not)."""
        return bool(self.gate.get("passed"))

    @property
    def mlperf_valid(self) -> bool:
        """LoadGen said VALID under its own minimum duration and query count."""
        return self.loadgen.get("validity") == "VALID" and not self.loadgen.get("quick", True)


class InferenceStore:
    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root) / "inference"
        self.problems: list[str] = []

    def path(self, record: InferenceRecord) -> Path:
        return self.root / f"{record.key}__{record.identity[:10]}.json"

    def write(self, record: InferenceRecord) -> Path:
        return atomic_write_json(self.path(record), record.to_dict())

    def __iter__(self) -> Iterator[InferenceRecord]:
        self.problems = []
        for path in sorted(self.root.glob("*.json")):
            try:
                d = json.loads(path.read_text())
                if isinstance(d, dict) and d.get("kind") == "inference":
                    yield InferenceRecord.from_dict(d)
            except (OSError, ValueError, TypeError, KeyError, SchemaError) as exc:
                self.problems.append(f"{path}: {type(exc).__name__}: {exc}")

    def by_identity(self) -> dict[str, InferenceRecord]:
        return {r.identity: r for r in self if r.status is Status.OK}
