"""Typed result records with a schema version; JSON I/O with atomic writes."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field, fields
from enum import Enum
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1


class Status(str, Enum):
    OK = "ok"
    FAILED = "failed"
    SKIPPED = "skipped"
    TIMEOUT = "timeout"


@dataclass(frozen=True)
class Metric:
    value: float | None
    unit: str
    direction: str  # "max" | "min" | "none"


# Metric names with unit and direction, defined once.
METRICS: Mapping[str, tuple[str, str]] = {
    "accuracy": ("fraction", "max"),
    "precision_macro": ("fraction", "max"),
    "recall_macro": ("fraction", "max"),
    "f1_macro": ("fraction", "max"),
    "rmse": ("rating", "min"),
    "mae": ("rating", "min"),
    "train_throughput": ("samples/s", "max"),
    "inference_throughput": ("samples/s", "max"),
    "time_to_target": ("s", "min"),
    "startup_time": ("s", "min"),
    "train_time": ("s", "min"),
    "peak_host_memory": ("bytes", "min"),
    "peak_device_memory": ("bytes", "min"),
    "epochs_trained": ("epochs", "none"),
    "param_count": ("parameters", "none"),
    "best_val": ("objective", "none"),
}


def metric(name: str, value: float | None) -> Metric:
    unit, direction = METRICS[name]
    return Metric(None if value is None else float(value), unit, direction)


class JsonRecord:
    """JSON round trip shared by the record dataclasses: status as its value, schema checked,
    unknown keys (from a newer minor writer) ignored."""

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)  # type: ignore[call-overload]
        d["status"] = self.status.value  # type: ignore[attr-defined]
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]):
        check_schema(d)
        known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        data = {k: v for k, v in d.items() if k in known}
        data["status"] = Status(d["status"])
        return cls(**cls._decode(data))

    @classmethod
    def _decode(cls, data: dict[str, Any]) -> dict[str, Any]:
        """Turn nested JSON values back into their types (a hook for subclasses)."""
        return data


@dataclass(frozen=True)
class RunRecord(JsonRecord):
    """One (task, backend, device, seed) run."""

    task: str
    backend: str
    device: str
    seed: int
    status: Status
    params: dict[str, Any] = field(default_factory=dict)
    profile: str | None = None
    metrics: dict[str, Metric] = field(default_factory=dict)
    curve: list[dict[str, float]] = field(default_factory=list)  # per epoch
    timings: dict[str, float] = field(default_factory=dict)
    target: float | None = None
    reached_target: bool | None = None
    error: str | None = None
    env: dict[str, Any] = field(default_factory=dict)
    started: str = ""
    kind: str = "run"
    schema_version: int = SCHEMA_VERSION

    @property
    def key(self) -> str:
        return run_key(self.task, self.backend, self.device, self.seed, self.profile)

    def value(self, name: str) -> float | None:
        m = self.metrics.get(name)
        return None if m is None else m.value

    @classmethod
    def _decode(cls, data: dict[str, Any]) -> dict[str, Any]:
        data["metrics"] = {k: Metric(**m) for k, m in data.get("metrics", {}).items()}
        return data


def run_key(task: str, backend: str, device: str, seed: int, profile: str | None = None) -> str:
    prof = f"@{profile}" if profile else ""
    return f"{task}{prof}__{backend}__{device}__seed{seed}"


class SchemaError(ValueError):
    pass


def check_schema(d: Mapping[str, Any]) -> None:
    v = d.get("schema_version")
    if v != SCHEMA_VERSION:
        raise SchemaError(
            f"record has schema_version {v!r}; this trainsmart-bench reads {SCHEMA_VERSION}"
        )


def atomic_write_json(path: Path, obj: Any) -> None:
    """Write JSON to a temp file in the same directory, fsync, then rename over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(obj, fh, indent=2, sort_keys=True, default=str)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class RecordStore:
    """A directory of one-JSON-file-per-record; a record is written once, when its run ends."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        return self.root / f"{key}.json"

    def has(self, key: str) -> bool:
        return self.path(key).is_file()

    def write(self, record: RunRecord) -> Path:
        path = self.path(record.key)
        atomic_write_json(path, record.to_dict())
        return path

    def __iter__(self) -> Iterator[RunRecord]:
        for path in sorted(self.root.glob("*.json")):
            d = json.loads(path.read_text())
            if d.get("kind", "run") == "run":
                yield RunRecord.from_dict(d)


def load_json_records(paths: list[Path]) -> tuple[list[dict[str, Any]], list[str]]:
    """Read every *.json under the given files/directories; malformed ones are reported."""
    records: list[dict[str, Any]] = []
    problems: list[str] = []
    for p in paths:
        files = sorted(p.rglob("*.json")) if p.is_dir() else [p]
        for f in files:
            try:
                d = json.loads(f.read_text())
                check_schema(d)
                records.append(d)
            except (OSError, ValueError) as exc:
                problems.append(f"{f}: {exc}")
    return records, problems
