"""One study's trial loop (``StudyRun``): ask the tuner, validate, evaluate the unit, report
each epoch for pruning and the budget, observe, and write the ``TrialRecord``; resume re-observes
what is recorded. ``tuning.study`` sets it up and runs it, locally, on Ray or on a table.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from trainsmart_bench.errors import ConfigError
from trainsmart_bench.jsonfile import atomic_write_json
from trainsmart_bench.results.identity import differences, digest
from trainsmart_bench.results.phases import phases
from trainsmart_bench.results.records import SCHEMA_VERSION, Status
from trainsmart_bench.results.unit import EpochFn, EpochReport, StopReason, UnitSpec
from trainsmart_bench.space import SearchSpace
from trainsmart_bench.tasks import resolve_task
from trainsmart_bench.tasks.spec import TaskSpec
from trainsmart_bench.tuners.base import Tuner
from trainsmart_bench.tuning.budget import trial_epochs
from trainsmart_bench.tuning.records import (
    IDENTITY,
    SUMMARY_FILE,
    Study,
    StudyConfig,
    TrialRecord,
    load_study,
    record_trial,
    summarize,
)

Evaluator = Callable[[UnitSpec, float, EpochFn], dict[str, Any]]


def tuning_space(task: TaskSpec, pinned: Mapping[str, Any]) -> SearchSpace:
    """The task's space without the pinned (``--set``) hyperparameters."""
    params = {k: p for k, p in task.space.params.items() if k not in pinned}
    if not params:
        raise ConfigError(f"every parameter of {task.name!r}'s search space is pinned by --set; "
                          f"nothing is left to tune")
    return SearchSpace(params)


class Asked(NamedTuple):
    """A suggestion that passed validation: what the tuner said, the config, its trial id."""
    raw: dict[str, Any]
    config: dict[str, Any]
    trial_id: Any
    timings: dict[str, float]


class StudyRun:
    """The state of one study while it runs: tuner, records, clocks."""

    extra: dict[str, Any] = {}  # more for the summary (a table study's table)

    def __init__(self, config: StudyConfig, store: Path, data_dir: str | None, resume: bool,
                 tuner_options: dict[str, Any], on_trial: Callable | None) -> None:
        self.config = config
        self.task = resolve_task(config.task)
        self.task.resolve(config.profile, **config.params)  # checks the pinned names
        self.space = tuning_space(self.task, config.params)
        self.path = store / config.study_id
        self.data_dir, self.on_trial = data_dir, on_trial
        from trainsmart_bench.tuners import create_tuner

        self.tuner: Tuner = create_tuner(
            config.tuner, self.space, self.task.direction, config.study_seed,
            max_epochs=trial_epochs(self.task, config.profile, config.params),
            **tuner_options)
        self.library = {"import": self.tuner.primary_import,
                        "version": self.tuner.library_version()}
        if not resume:  # start afresh: an earlier study's records must not mix with this one
            for old in [*self.path.glob("trial-*.json"), self.path / SUMMARY_FILE,
                        self.path / "trials.json.gz"]:
                old.unlink(missing_ok=True)
        self.identity = config.identity(data_dir)
        if "plugin" in self.identity:  # the records name the plugin and its code's digest
            self.extra = {**self.extra, "plugin": self.identity["plugin"]}
        self.records: list[TrialRecord] = self._restore()

    # -- resume ----------------------------------------------------------------------------
    def _restore(self) -> list[TrialRecord]:
        summary, records = load_study(self.path)
        recorded = summary.get("identity_fields") or summary.get("config")
        if recorded is not None:
            mine = self.identity
            old = recorded if "identity_fields" in summary else {
                k: recorded.get(k) for k in IDENTITY}  # a summary written by 0.1
            mine = mine if "identity_fields" in summary else {k: mine.get(k) for k in old}
            if digest(old) != digest(mine):
                raise ConfigError(
                    f"{self.path} holds a study with other settings "
                    f"({'; '.join(differences(old, mine))}); use another --results directory "
                    f"or --no-resume")
        for r in records:
            if r.config:
                self.tuner.restore(r.config, r.value if r.status is Status.OK else None,
                                   r.curve, r.pruned)
        return records

    # -- the loop ---------------------------------------------------------------------------
    def _budget_left(self) -> bool:
        c = self.config
        if len(self.records) >= c.budget_trials:
            return False
        spent = sum(r.seconds for r in self.records)
        if c.budget_seconds is not None and spent >= c.budget_seconds:
            return False
        return c.budget_epochs is None or sum(r.epochs for r in self.records) < c.budget_epochs

    def start(self) -> None:
        """The study directory, with the settings while the study runs."""
        self.path.mkdir(parents=True, exist_ok=True)
        atomic_write_json(self.path / SUMMARY_FILE, {
            "schema_version": SCHEMA_VERSION, "kind": "study", "state": "running",
            "study_id": self.config.study_id, "config": self.config.to_dict(),
            "identity_fields": self.identity, "identity": digest(self.identity),
            "library": self.library, **({"plugin": self.extra["plugin"]}
                                        if "plugin" in self.extra else {})})

    def run(self, evaluator: Evaluator) -> Study:
        self.start()
        while self._budget_left():
            number = self.records[-1].trial + 1 if self.records else 0
            record = self._trial(number, evaluator)
            record_trial(self.path, record)
            self.records.append(record)
            if self.on_trial is not None:
                self.on_trial(record)
        return self._finish(evaluator)

    def _finish(self, evaluator: Evaluator) -> Study:
        from trainsmart_bench.env import environment

        env = self.extra.get("env") or environment()
        extra = {"space": self.space.to_dict(), "metric": self.task.metric,
                 "identity_fields": self.identity, "identity": digest(self.identity),
                 "evaluation": getattr(evaluator, "where", type(evaluator).__name__),
                 **self.extra, "env": env}
        summary = summarize(self.config, self.records, self.task.direction, self.library, extra)
        atomic_write_json(self.path / SUMMARY_FILE, summary)
        return Study(self.config, summary, list(self.records), self.path)

    def _ask(self, number: int, started: str) -> Asked | TrialRecord:
        """The tuner's next configuration, validated, or the failed record it costs."""
        t = time.perf_counter()
        raw: dict[str, Any] = {}
        try:
            (raw,) = self.tuner.suggest(1)
            config = self.space.validate(raw)
            trial_id = self.tuner.trial_id(raw)
        except Exception as exc:  # noqa: BLE001 - a broken tuner costs a trial, not the study
            what = "invalid suggestion" if raw else "suggest() raised"
            return self._failed(number, raw, f"{what}: {type(exc).__name__}: {exc}",
                                {"suggest_s": time.perf_counter() - t}, started)
        return Asked(raw, config, trial_id,
                     {"suggest_s": time.perf_counter() - t, "report_s": 0.0})

    def _trial(self, number: int, evaluator: Evaluator) -> TrialRecord:
        started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        asked = self._ask(number, started)
        if isinstance(asked, TrialRecord):
            return asked
        raw, config, trial_id, timings = asked
        epochs, seconds, t0 = (sum(r.epochs for r in self.records),
                               sum(r.seconds for r in self.records), time.perf_counter())
        c = self.config

        def spent(report: EpochReport) -> bool:
            return ((c.budget_epochs is not None and epochs + report.epoch
                     >= c.budget_epochs) or (c.budget_seconds is not None and
                                             seconds + time.perf_counter() - t0
                                             >= c.budget_seconds))

        result = evaluator(self._spec(config), self.config.timeout,
                           self._on_epoch(trial_id, timings, spent))
        if result.get("status") == "skipped":
            raise ConfigError(f"{self.config.study_id}: the trial cannot run here: "
                              f"{result.get('error')}")
        timings["train_s"] = float(result.get("wall_s", 0.0))
        return self._record(number, raw, config, result, timings, started)

    def _on_epoch(self, trial_id: int, timings: dict[str, float],
                  spent: EpochFn | None = None) -> EpochFn:
        """The answer to each epoch report: the tuner's pruning decision, then the budget
        (``spent(report)``: the budget is used up with this epoch, so the trial stops)."""
        def on_epoch(report: EpochReport) -> bool:
            keep = True
            if self.tuner.supports_pruning:
                t = time.perf_counter()
                keep = bool(self.tuner.report(trial_id, report.epoch, report.value))
                timings["report_s"] += time.perf_counter() - t
            if keep and spent is not None and spent(report):
                timings["budget_stop"] = True
                return False
            return keep

        return on_epoch

    def _spec(self, config: Mapping[str, Any]) -> UnitSpec:
        """A trial's unit: the same fields a run of this task carries (``UnitSpec.build``),
        with the study's seed and the suggested configuration over the pinned parameters."""
        c = self.config
        return UnitSpec.build(c.task, c.backend, device=c.device, seed=c.study_seed,
                              profile=c.profile, params={**c.params, **config},
                              data_dir=self.data_dir, threads=c.threads)

    def _observe(self, raw: Mapping[str, Any], value: float | None,
                 timings: dict[str, float]) -> str | None:
        t = time.perf_counter()
        try:
            self.tuner.observe([raw], [value])
            error = None
        except Exception as exc:  # noqa: BLE001 - recorded with the trial
            error = f"observe() raised {type(exc).__name__}: {exc}"
        timings["observe_s"] = time.perf_counter() - t
        return error

    def _record(self, number: int, raw: dict[str, Any], config: dict[str, Any],
                result: dict[str, Any], timings: dict[str, float], started: str) -> TrialRecord:
        status = Status(result.get("status", "failed"))
        metrics = dict(result.get("metrics") or {})
        value = metrics.get("best_val") if status is Status.OK else None
        if status is Status.OK and value is None:
            status, result = Status.FAILED, {**result, "error": "the trial reported no value"}
        observe_error = self._observe(raw, value, timings)
        error = result.get("error")
        if result.get("traceback"):
            error = f"{error}\n{result['traceback']}"
        if observe_error:
            error = f"{error}\n{observe_error}" if error else observe_error
        reported = [float(v) for v in result.get("reported", [])]
        worker_t = dict(result.get("timings") or {})
        if "wall_s" in result and "simulated_s" not in worker_t:  # a real trial: its phases
            worker_t["phases"] = phases({**worker_t, "process_wall_s": result["wall_s"]},
                                        result.get("curve") or [])
        stopped = StopReason.of(worker_t.get("stopped_by"))
        if timings.pop("budget_stop", False) and stopped is StopReason.PRUNED:
            stopped = StopReason.BUDGET  # the budget ran out, no pruner
            worker_t = {**worker_t, "stopped_by": stopped}
        return self._make(
            number, status, config, started, value=value, test_value=metrics.get(self.task.metric),
            epochs=int(metrics.get("epochs_trained", len(reported)) if status is Status.OK
                       else len(reported)),
            pruned=stopped is StopReason.PRUNED, curve=reported, metrics=metrics,
            timings={**timings, "worker": worker_t}, error=error, node=result.get("node") or {},
            threads=result.get("threads") or {})

    def _failed(self, number: int, raw: dict[str, Any], error: str, timings: dict[str, float],
                started: str) -> TrialRecord:
        if raw:
            observe_error = self._observe(raw, None, timings)
            error = f"{error}\n{observe_error}" if observe_error else error
        return self._make(number, Status.FAILED, dict(raw), started, error=error,
                          timings={"observe_s": 0.0, "report_s": 0.0, "train_s": 0.0, **timings})

    def _make(self, number: int, status: Status, config: dict[str, Any], started: str,
              **kw: Any) -> TrialRecord:
        c = self.config
        return TrialRecord(study_id=c.study_id, trial=number, tuner=c.tuner, task=c.task,
                           backend=c.backend, device=c.device, study_seed=c.study_seed,
                           status=status, config=config, profile=c.profile, started=started,
                           pruner=c.pruner, **kw)
