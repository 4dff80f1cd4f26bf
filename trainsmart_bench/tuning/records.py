"""Study records: the settings of a study, one ``TrialRecord`` per trial, and the summary.

``<store>/<study-id>/trial-XXXX.json`` holds one trial each (written atomically the moment it
ends); ``<store>/<study-id>/study.json`` the settings while the study runs and, at the end,
the summary: best so far over trials and over seconds, epochs, overhead, library version.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from trainsmart_bench.jsonfile import atomic_write_json
from trainsmart_bench.results.records import SCHEMA_VERSION, JsonRecord, Status
from trainsmart_bench.space import Direction

DEFAULT_TRIAL_TIMEOUT = 3600.0
SUMMARY_FILE = "study.json"
IDENTITY = ("task", "backend", "device", "profile", "tuner", "pruner", "study_seed", "params")


def legacy_tuner(name: str) -> tuple[str, str | None]:
    """(tuner, pruner) of a name recorded before pruners were named (no ``pruner`` field):
    ``optuna-tpe`` then carried a MedianPruner and is read as ``optuna-tpe+median``."""
    from trainsmart_bench.registry import LEGACY_TUNERS, UnknownNameError, split_tuner

    name = LEGACY_TUNERS.get(name, name)
    try:
        base, pruner = split_tuner(name)
    except UnknownNameError:  # a tuner this version does not know: kept as it was
        return name, None
    return (f"{base}+{pruner}" if pruner else base), pruner


def upgrade_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """A study's settings (or identity fields) as this version names them: one recorded
    before pruners were named gets its tuner's name of today (``legacy_tuner``)."""
    out = dict(config)
    if "pruner" not in out and isinstance(out.get("tuner"), str):
        out["tuner"], out["pruner"] = legacy_tuner(out["tuner"])
    return out


def upgrade_summary(summary: Mapping[str, Any]) -> dict[str, Any]:
    """``study.json`` as this version reads it (``upgrade_config`` of its settings)."""
    out = dict(summary)
    for key in ("config", "identity_fields"):
        if isinstance(out.get(key), Mapping):
            out[key] = upgrade_config(out[key])
    return out


@dataclass(frozen=True)
class TrialRecord(JsonRecord):
    """One trial of a study. ``value`` is what the tuner observed (validation objective, best
    over the epochs trained); ``test_value`` is the test score of the same config, never shown
    to the tuner."""

    study_id: str
    trial: int
    tuner: str
    task: str
    backend: str
    device: str
    study_seed: int
    status: Status
    config: dict[str, Any]
    value: float | None = None
    test_value: float | None = None
    epochs: int = 0
    pruned: bool = False
    curve: list[float] = field(default_factory=list)  # validation value after each epoch
    metrics: dict[str, Any] = field(default_factory=dict)  # the trial's own metrics
    # suggest_s, train_s (the trial's process, start to exit), observe_s, report_s (pruning
    # decisions, made while the trial waits), worker (the trial's own timings)
    timings: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    pruner: str | None = None  # the tuner's pruner or scheduler (None: it prunes nothing)
    node: dict[str, Any] = field(default_factory=dict)  # hostname, pid, ray_node_id
    threads: dict[str, Any] = field(default_factory=dict)  # pools in effect in the trial
    profile: str | None = None
    started: str = ""
    kind: str = "trial"
    schema_version: int = SCHEMA_VERSION

    @property
    def seconds(self) -> float:
        t = self.timings
        return t.get("suggest_s", 0.0) + t.get("train_s", 0.0) + t.get("observe_s", 0.0)

    @classmethod
    def _decode(cls, data: dict[str, Any]) -> dict[str, Any]:
        return upgrade_config(data)  # a trial recorded before pruners were named



@dataclass(frozen=True)
class StudyConfig:
    task: str
    backend: str
    tuner: str
    study_seed: int = 0
    device: str = "cpu"
    profile: str | None = None
    params: dict[str, Any] = field(default_factory=dict)  # pinned hyperparameters (not searched)
    budget_trials: int = 20
    budget_seconds: float | None = None
    budget_epochs: int | None = None
    timeout: float = DEFAULT_TRIAL_TIMEOUT
    threads: int = 1
    table: str | None = None  # digest of the tuning table that answers the trials, if any
    workers: int = 1  # trials in flight (table studies simulate them)
    protocol: str | None = None  # e.g. "kfold:5": every trial cross-validated
    budget_unit: str = "trials"  # the budget the scores are read at (tuning.budget)
    pruner: str | None = None  # set from the tuner's name ("optuna-tpe+median" -> "median")

    def __post_init__(self) -> None:
        from trainsmart_bench.registry import UnknownNameError, split_tuner

        try:
            base, pruner = split_tuner(self.tuner)
        except UnknownNameError:  # a tuner registered by a test or plugin: taken as named
            return
        object.__setattr__(self, "tuner", f"{base}+{pruner}" if pruner else base)
        object.__setattr__(self, "pruner", pruner)

    def to_dict(self) -> dict[str, Any]:
        """The settings as JSON: no per-trial limit (``--timeout none``, ``math.inf``) is
        written as null, since strict JSON has no infinity."""
        d = asdict(self)
        if not math.isfinite(d["timeout"]):
            d["timeout"] = None
        return d

    @property
    def study_id(self) -> str:
        prof = f"@{self.profile}" if self.profile else ""
        on = f"__table-{self.table[:8]}" if self.table else ""
        w = f"__w{self.workers}" if self.workers != 1 else ""
        cv = f"__{self.protocol.replace(':', '')}" if self.protocol else ""
        from trainsmart_bench.registry import tuner_slug

        return (f"{self.task}{prof}__{self.backend}__{self.device}__{tuner_slug(self.tuner)}"
                f"{on}{w}{cv}{self._budget_part()}__study{self.study_seed}")

    def _budget_part(self) -> str:
        """Studies under other budgets keep folders of their own: a table study (redone in
        milliseconds) names its budget's unit and amount, a real one its unit unless trials
        (so that resuming with a larger amount goes on in the same folder)."""
        if self.table:
            amount = getattr(self, f"budget_{self.budget_unit}")
            return f"__{self.budget_unit}{amount:g}"
        return "" if self.budget_unit == "trials" else f"__{self.budget_unit}"

    def plugin(self) -> dict[str, str] | None:
        """The plugin tuner's spec, kind, location and code digest (None for a built-in); read
        from its files, nothing imported."""
        from trainsmart_bench.registry import TUNERS, split_tuner
        from trainsmart_bench.tuners.plugins import describe

        base, _ = split_tuner(self.tuner)
        return None if base in TUNERS else describe(base).identity()

    def identity(self, data_dir: str | None = None) -> dict[str, Any]:
        """What determines the study's results: its settings, plus (like a run's identity)
        the dataset checksum, the framework versions and the suite's version; for a plugin
        tuner, the digest of its code, so a changed tuner never continues an old study."""
        from trainsmart_bench import __version__
        from trainsmart_bench.execution.identity import dataset_checksum, framework_versions
        from trainsmart_bench.tasks import resolve_task

        plugin = self.plugin()
        mine = {k: getattr(self, k) for k in IDENTITY}
        if plugin is not None:
            mine["plugin"] = plugin
        if self.table:  # nothing trains: the table's digest covers data, frameworks and runs
            return {**mine, "table": self.table, "workers": self.workers,
                    "suite_version": __version__}
        task = resolve_task(self.task)
        dataset = task.dataset
        return {**mine,
                **({"task_plugin": task.plugin.identity()} if task.plugin is not None else {}),
                "dataset": {"name": dataset, "checksum": dataset_checksum(dataset, data_dir)},
                "frameworks": framework_versions(self.backend), "threads": self.threads,
                "suite_version": __version__,
                **({"workers": self.workers} if self.workers != 1 else {}),
                **({"protocol": self.protocol} if self.protocol else {})}


@dataclass
class Study:
    config: StudyConfig
    summary: dict[str, Any]
    trials: list[TrialRecord]
    path: Path


def load_study(path: str | Path) -> tuple[dict[str, Any], list[TrialRecord]]:
    """A study directory's summary (``{}`` if absent) and trial records, in trial order."""
    path = Path(path)
    summary_path = path / SUMMARY_FILE
    summary = upgrade_summary(json.loads(summary_path.read_text())) if summary_path.is_file() \
        else {}
    trials = [TrialRecord.from_dict(json.loads(p.read_text()))
              for p in sorted(path.glob("trial-*.json"))]
    return summary, sorted(trials, key=lambda r: r.trial)


def load_studies(store_dir: str | Path) -> list[dict[str, Any]]:
    """Every finished study summary under ``store_dir``."""
    out = []
    for p in sorted(Path(store_dir).glob(f"*/{SUMMARY_FILE}")):
        d = json.loads(p.read_text())
        if d.get("kind") == "study" and d.get("state") == "finished":
            out.append(upgrade_summary(d))
    return out


def record_trial(path: Path, record: TrialRecord) -> Path:
    target = path / f"trial-{record.trial:04d}.json"
    atomic_write_json(target, record.to_dict())
    return target




def best_so_far(records: Sequence[TrialRecord], direction: Direction) -> list[float | None]:
    """After each trial: the best validation value of the ok trials so far (None before one)."""
    best: float | None = None
    out: list[float | None] = []
    for r in records:
        if r.status is Status.OK and r.value is not None and (
                best is None or direction.better(r.value, best)):
            best = r.value
        out.append(best)
    return out


def summarize(config: StudyConfig, records: Sequence[TrialRecord], direction: Direction,
              library: Mapping[str, Any], extra: Mapping[str, Any] | None = None) -> dict:
    """The study's summary; besides best so far over trials and seconds, over epochs trained
    and, for simulated studies, over the simulated wall clock (each trial's ``finished_at``)."""
    curve = best_so_far(records, direction)
    elapsed, over_seconds, epochs, over_epochs, wall = 0.0, [], 0, [], []
    for r, b in zip(records, curve):
        elapsed += r.seconds
        epochs += r.epochs
        over_seconds.append([round(elapsed, 6), b])
        over_epochs.append([epochs, b])
        if "finished_at" in r.timings:
            wall.append([round(float(r.timings["finished_at"]), 6), b])
    ok = [r for r in records if r.status is Status.OK and r.value is not None]
    best = None
    for r in ok:
        if best is None or direction.better(r.value, best.value):
            best = r
    counts: dict[str, int] = {}
    for r in records:
        counts[r.status.value] = counts.get(r.status.value, 0) + 1
    n = max(1, len(records))
    tuner_s = {k: sum(r.timings.get(k, 0.0) for r in records)
               for k in ("suggest_s", "observe_s", "report_s")}
    return {
        "schema_version": SCHEMA_VERSION, "kind": "study", "state": "finished",
        "study_id": config.study_id, "config": config.to_dict(), "direction": direction.value,
        "library": dict(library), "n_trials": len(records), "status_counts": counts,
        "pruned": sum(r.pruned for r in records), "epochs": sum(r.epochs for r in records),
        "elapsed_s": elapsed,
        "best": None if best is None else {"trial": best.trial, "value": best.value,
                                           "test_value": best.test_value, "config": best.config},
        "best_so_far_trials": curve, "best_so_far_seconds": over_seconds,
        "best_so_far_epochs": over_epochs,
        **({"best_so_far_wallclock": wall} if wall else {}),
        "tuner_s": tuner_s, "tuner_s_per_trial": sum(tuner_s.values()) / n,
        **(extra or {}),
    }
