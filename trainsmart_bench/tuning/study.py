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
loop goes on numbering from there. The loop itself is ``tuning.trial_loop.StudyRun``; this
module sets a study up and runs it here, on Ray or on a tuning table.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from trainsmart_bench.errors import ConfigError
from trainsmart_bench.results.identity import digest
from trainsmart_bench.tasks import resolve_task
from trainsmart_bench.training.protocols import folds
from trainsmart_bench.tuning.records import (
    DEFAULT_TRIAL_TIMEOUT,
    SUMMARY_FILE,
    Study,
    StudyConfig,
    TrialRecord,
    load_studies,
    load_study,
)
from trainsmart_bench.tuning.trial_loop import Evaluator, StudyRun, tuning_space

__all__ = ["DEFAULT_TRIAL_TIMEOUT", "Study", "StudyConfig", "TrialRecord", "load_studies",
           "load_study", "resolve_task", "run_study", "tuning_space"]


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
