"""The study loop: one tuner, one task, one budget; every trial in its own process, recorded.

Like bayesmark's ``experiment.py`` the suite owns the loop, so every tuner gets the same budget,
data, training code, seed and evaluation. Per trial it times ``suggest``, the evaluation and
``observe`` apart, validates the suggestion against the search space, evaluates it through
``trainsmart_bench.tuning.evaluators`` (the suite's one execution path: a fresh child process
with a timeout, or the same unit as a Ray task), and writes a
``TrialRecord`` atomically to ``<store>/<study-id>/trial-XXXX.json``. A tuner that raises, an
invalid suggestion, a crashed or timed-out trial: each becomes a failed record that counts
against the budget, and the study goes on. ``study.json`` holds the settings while the study
runs and its summary (best so far over trials and over seconds, library version) at the end.

Budgets (``tuning.budget``): ``budget_trials`` trials (failed ones included); optionally
``budget_seconds`` of study time (suggest + evaluation + observe, summed over sessions) and
``budget_epochs`` of epochs actually trained (pruned trials train fewer). No trial starts once
one is spent, and the trial that spends the last epoch or second is stopped at the end of that
epoch (recorded as stopped by the budget, not as pruned). ``budget_unit`` names the one the
scores are read at.
Every trial trains with the study's seed, so within a study only the configuration varies.

Resume: a study directory with records continues where it stopped: each recorded trial is
re-observed into a fresh tuner (``Tuner.restore``, with its epoch curve for pruners), then the
loop goes on numbering from there.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from functools import lru_cache
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
from trainsmart_bench.training.protocols import folds
from trainsmart_bench.tuners.base import Tuner
from trainsmart_bench.tuning.budget import trial_epochs
from trainsmart_bench.tuning.records import (
    DEFAULT_TRIAL_TIMEOUT,
    IDENTITY,
    SUMMARY_FILE,
    Study,
    StudyConfig,
    TrialRecord,
    load_studies,
    load_study,
    record_trial,
    summarize,
)

__all__ = ["DEFAULT_TRIAL_TIMEOUT", "Study", "StudyConfig", "TrialRecord", "load_studies",
           "load_study", "resolve_task", "run_study", "tuning_space"]

Evaluator = Callable[[UnitSpec, float, EpochFn], dict[str, Any]]


def tuning_space(task: TaskSpec, pinned: Mapping[str, Any]) -> SearchSpace:
    """The task's space without the pinned (``--set``) hyperparameters."""
    params = {k: p for k, p in task.space.params.items() if k not in pinned}
    if not params:
        raise ConfigError(f"every parameter of {task.name!r}'s search space is pinned by --set; "
                          f"nothing is left to tune")
    return SearchSpace(params)


def run_study(
    task: str, backend: str, tuner_name: str, budget_trials: int,
    budget_seconds: float | None = None, study_seed: int = 0, device: str = "cpu",
    data_dir: str | None = None, store_dir: str | Path = "results/tune",
    ray_address: str | None = None, params: Mapping[str, Any] | None = None, *,
    budget_epochs: int | None = None, profile: str | None = None,
    timeout: float = DEFAULT_TRIAL_TIMEOUT, threads: int = 1, resume: bool = True,
    evaluator: Evaluator | None = None, tuner_options: Mapping[str, Any] | None = None,
    on_trial: Callable[[TrialRecord], None] | None = None,
    table: Any = None, workers: int = 1, protocol: str | None = None,
    budget_unit: str = "trials",
) -> Study:
    """Run (or resume) one study; returns its summary and trial records.

    ``params`` pins hyperparameters (they leave the search space). ``evaluator`` replaces the
    process-per-trial evaluation (tests); with ``ray_address`` trials run as Ray tasks. With
    ``table`` (a ``tuning.table.Table`` or its path) the trials are answered from the table
    with ``workers`` in flight on simulated time (``tuning.simulate``). With ``protocol``
    (e.g. ``kfold:5``) every trial is cross-validated: its objective is the mean over folds.
    """
    if budget_trials < 1:
        raise ConfigError("a study needs a budget of at least one trial")
    limits = {"trials": budget_trials, "epochs": budget_epochs, "seconds": budget_seconds}
    if limits.get(budget_unit) is None:
        raise ConfigError(f"a study whose budget is in {budget_unit!r} needs that limit set")
    config = StudyConfig(task, backend, tuner_name, int(study_seed), device, profile,
                         dict(params or {}), int(budget_trials), budget_seconds, budget_epochs,
                         float(timeout), int(threads), budget_unit=budget_unit)
    if protocol and protocol != "holdout":
        if table is not None or workers != 1:
            raise ConfigError("--protocol cross-validates real trials one at a time; it does "
                              "not combine with --table or --workers")
        config = replace(config, protocol=protocol)
    if table is not None:
        return _table_study(config, table, int(workers), Path(store_dir), resume,
                            dict(tuner_options or {}), on_trial)
    if workers != 1:
        config = replace(config, workers=int(workers))
        run = StudyRun(config, Path(store_dir), data_dir, resume, dict(tuner_options or {}),
                       on_trial)
        return _on_ray(run, ray_address, evaluator)
    run = StudyRun(config, Path(store_dir), data_dir, resume, dict(tuner_options or {}),
                   on_trial)
    owned = evaluator is None
    if owned and ray_address:
        from trainsmart_bench.tuning.evaluators import RayEvaluator

        evaluator = RayEvaluator(ray_address)
    elif owned:
        from trainsmart_bench.tuning.evaluators import ProcessEvaluator

        evaluator = ProcessEvaluator()
    if config.protocol:
        from trainsmart_bench.tuning.evaluators import CrossValidated

        labels = [f.label for f in folds(config.protocol, run.task)]
        evaluator, owned = CrossValidated(evaluator, labels), True
    try:
        return run.run(evaluator)
    finally:
        if owned and hasattr(evaluator, "close"):
            evaluator.close()


def _on_ray(run: StudyRun, ray_address: str | None, evaluator: Any) -> Study:
    """Real trials with ``workers`` in flight, as Ray tasks (``tuning.parallel``)."""
    from trainsmart_bench.tuning.evaluators import RayEvaluator
    from trainsmart_bench.tuning.parallel import RayWorkers, run_parallel

    if run.config.workers < 1:
        raise ConfigError("a study needs at least one worker")
    if not isinstance(evaluator, RayEvaluator) and not ray_address:
        raise ConfigError("several trials in flight need a Ray cluster (--ray-address), or a "
                          "tuning table (--table) to simulate them on")
    owned = evaluator if isinstance(evaluator, RayEvaluator) else RayEvaluator(ray_address)
    try:
        run.start()
        run_parallel(run, RayWorkers(owned.cluster, run.config.timeout,
                                     run.tuner.supports_pruning), run.config.workers, write=True)
        return run._finish(owned)
    finally:
        if owned is not evaluator:
            owned.close()


@lru_cache(maxsize=1)
def _environment() -> dict[str, Any]:
    """This process's environment, gathered once for its many table studies (each takes
    milliseconds; the environment record takes longer)."""
    from trainsmart_bench.env import environment

    return environment()


def _table_study(config: StudyConfig, table: Any, workers: int, store: Path, resume: bool,
                 tuner_options: dict[str, Any], on_trial: Callable | None) -> Study:
    """A study answered from a table; a finished one of the same identity is reused."""
    from trainsmart_bench.tuning.simulate import (
        TableEvaluator,
        check_table,
        run_simulated,
        write_trials,
    )
    from trainsmart_bench.tuning.table import TARGET_QUANTILE

    if workers < 1:
        raise ConfigError("a study needs at least one worker")
    evaluator = TableEvaluator(table)
    t = evaluator.table
    check_table(t, config.task, config.backend, config.device, config.profile, config.params)
    config = replace(config, table=t.digest, workers=workers)
    path = store / config.study_id / SUMMARY_FILE
    old = json.loads(path.read_text()) if resume and path.is_file() else {}
    if (old.get("state") == "finished" and old.get("config") == config.to_dict()
            and old.get("identity") == digest(config.identity())):
        return Study(config, old, [], path.parent)
    run = StudyRun(config, store, None, False, tuner_options, on_trial)
    target = {"quantile": TARGET_QUANTILE, "value": t.quantile(TARGET_QUANTILE)}
    run.extra = {**run.extra, "env": _environment(), "table": {
        "digest": t.digest, "path": str(t.path), "workers": workers, "best": t.best_value(),
        "configs": len(t.primary()), "max_epochs": t.max_epochs, "target": target}}
    run.path.mkdir(parents=True, exist_ok=True)
    run_simulated(run, evaluator, workers)
    write_trials(run.path, run.records)
    return run._finish(evaluator)


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
