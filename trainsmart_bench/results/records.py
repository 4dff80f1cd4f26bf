"""Typed result records with a schema version, and the one validator every reader uses.

Schema history: 1, the first release; 2 adds a run's identity (``identity``, ``config_id``,
``identity_fields``: see ``results.identity``), its ``mode`` and its protocol ``fold``.
Version 1 records still load: ``migrate`` rebuilds what it can of their identity from their
own fields, with the settings v1 did not record (threads) unknown, so a v1 record is never
reused by resume.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from enum import Enum
from typing import Any

SCHEMA_VERSION = 2
READABLE = (1, 2)  # schema versions this release reads (older ones are migrated)


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
    # 95% bootstrap interval of the test metric over test examples (not over seeds)
    "accuracy_test_low": ("fraction", "none"),
    "accuracy_test_high": ("fraction", "none"),
    "rmse_test_low": ("rating", "none"),
    "rmse_test_high": ("rating", "none"),
    "test_samples": ("samples", "none"),
    "train_throughput": ("samples/s", "max"),
    "inference_throughput": ("samples/s", "max"),
    "time_to_target": ("s", "min"),
    "startup_time": ("s", "min"),
    "compile_time": ("s", "min"),  # cold warm-up of training and inference steps (loop.py)
    "compiled_graphs": ("graphs", "none"),  # graphs (PyTorch) / XLA compilations (JAX)
    "graph_breaks": ("breaks", "min"),  # torch.compile's graph breaks
    "train_time": ("s", "min"),
    "epoch_time_cv": ("ratio", "min"),  # std / mean of the steady-state epoch times
    "peak_host_memory": ("bytes", "min"),
    "peak_device_memory": ("bytes", "min"),
    "epochs_trained": ("epochs", "none"),
    "param_count": ("parameters", "none"),
    "best_val": ("objective", "none"),
}


def metric(name: str, value: float | None) -> Metric:
    """A named value with its unit and direction (a name not in METRICS, e.g. from a newer
    child, is kept with neither rather than lost)."""
    unit, direction = METRICS.get(name, ("", "none"))
    return Metric(None if value is None else float(value), unit, direction)


class SchemaError(ValueError):
    """A record that this version cannot read: wrong schema version, kind or field types."""


_STR, _INT, _OPT_STR = "a non-empty string", "an integer", "a string or null"
# The fields every record of a kind must hold, and what they must be: checked on every read.
REQUIRED: Mapping[str, Mapping[str, str]] = {
    "run": {"task": _STR, "backend": _STR, "device": _STR, "seed": _INT, "profile": _OPT_STR},
    "trial": {"study_id": _STR, "trial": _INT, "tuner": _STR, "task": _STR, "backend": _STR,
              "device": _STR, "study_seed": _INT, "profile": _OPT_STR},
    "study": {"study_id": _STR},
    "inference": {"task": _STR, "backend": _STR, "device": _STR, "seed": _INT,
                  "runtime": _STR, "scenario": _STR, "batch": _INT},
}


def _fits(value: Any, rule: str) -> bool:
    if rule == _STR:
        return isinstance(value, str) and bool(value)
    if rule == _INT:
        return isinstance(value, int) and not isinstance(value, bool)
    return value is None or isinstance(value, str)


def validate(d: Any) -> str:
    """Check a decoded record (schema version, kind, field types); returns its kind."""
    if not isinstance(d, Mapping):
        raise SchemaError(f"expected a JSON object, found {type(d).__name__}")
    v = d.get("schema_version")
    if v not in READABLE:
        raise SchemaError(f"record has schema_version {v!r}; this trainsmart-bench reads "
                          f"{', '.join(map(str, READABLE))}")
    kind = d.get("kind", "run")
    if kind not in REQUIRED:
        raise SchemaError(f"unknown record kind {kind!r} (known: {', '.join(REQUIRED)})")
    for name, rule in REQUIRED[kind].items():
        if not _fits(d.get(name), rule):
            raise SchemaError(f"{kind} record: field {name!r} must be {rule}, "
                              f"found {d.get(name)!r}")
    if kind != "study" and d.get("status") not in {s.value for s in Status}:
        raise SchemaError(f"{kind} record: status {d.get('status')!r} is not one of "
                          f"{', '.join(s.value for s in Status)}")
    return kind


class JsonRecord:
    """JSON round trip shared by the record dataclasses: status as its value, validated,
    unknown keys (from a newer minor writer) ignored."""

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)  # type: ignore[call-overload]
        d["status"] = self.status.value  # type: ignore[attr-defined]
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]):
        validate(d)
        d = migrate(d)
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
    mode: str = "eager"
    fold: str | None = None  # the evaluation protocol's fold ("kfold:5/2"); None: holdout
    identity: str = ""  # digest of identity_fields: what determined this run's numbers
    config_id: str = ""  # the same without the seed: equal for every repeat of a config
    identity_fields: dict[str, Any] = field(default_factory=dict)
    # the trained model, where it was kept (--save-model): path, format, sha256, bytes and its
    # own test predictions (path, sha256); not part of the identity
    model: dict[str, Any] | None = None
    kind: str = "run"
    schema_version: int = SCHEMA_VERSION

    @property
    def key(self) -> str:
        return run_key(self.task, self.backend, self.device, self.seed, self.profile, self.mode,
                       self.fold)

    def value(self, name: str) -> float | None:
        m = self.metrics.get(name)
        return None if m is None else m.value

    @classmethod
    def _decode(cls, data: dict[str, Any]) -> dict[str, Any]:
        data["metrics"] = {k: Metric(**m) for k, m in data.get("metrics", {}).items()}
        return data


def run_key(task: str, backend: str, device: str, seed: int, profile: str | None = None,
            mode: str = "eager", fold: str | None = None) -> str:
    """The cell a run belongs to (several identities may share it: other settings)."""
    prof = f"@{profile}" if profile else ""
    how = "" if mode == "eager" else f"__{mode}"
    part = "" if not fold else "__" + fold.replace(":", "").replace("/", "-")
    return f"{task}{prof}__{backend}__{device}{how}{part}__seed{seed}"


def migrate(d: Mapping[str, Any]) -> dict[str, Any]:
    """A record of an older readable schema, in the current one."""
    d = dict(d)
    if d.get("schema_version") == 1 and d.get("kind", "run") == "run":
        from trainsmart_bench.results.identity import config_digest, digest

        env = d.get("env") or {}
        data = env.get("dataset") or {}
        fields = {
            "task": d.get("task"), "profile": d.get("profile"), "params": d.get("params", {}),
            "target": d.get("target"),
            "dataset": {"name": data.get("name"), "checksum": data.get("checksum")},
            "backend": d.get("backend"), "frameworks": {"version": env.get("framework_version")},
            "device": d.get("device"), "threads": None, "cpus": None, "mode": "eager",
            "protocol": None,
            "suite_version": (env.get("libraries") or {}).get("trainsmart-bench"),
            "seed": d.get("seed"),
        }
        d.update(identity_fields=fields, identity=digest(fields), config_id=config_digest(fields))
    d["schema_version"] = SCHEMA_VERSION
    return d
