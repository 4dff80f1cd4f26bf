"""What benchmarks/bench_tuning.py calls: one study per task x tuner, tuner overhead, and
tuner studies on a tuning table.

A study (``trainsmart_bench.tuning.study.run_study``: every trial in its own process) runs once per
asv run and cell, in the memo directory of ``setup_cache``; every metric reads its summary.
Tuners whose library is missing, and tasks whose dataset is not cached, are skipped (n/a).

Every score is read at a budget, and its unit says which: a real study's is the profile's
``budget_trials`` trials; a table study's is ``TABLE_TRIALS`` trials, or, where the profile's
tuners do not all prune alike, as many epochs as ``TABLE_TRIALS`` unpruned trials train
(``tuning.budget.default_budget``), the same rule as ``trainsmart tune``.

Table studies (``table_comparison``): ``TABLE_STUDIES`` studies per tuner at that budget on
the table the asv module names (the committed
``benchmarks/tables/digits-mlp-torch.json.gz``; ``$TRAINSMART_TABLE`` overrides it), answered
in-process from the table (``tuning.compare``); a missing table is n/a.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

from trainsmart_bench.bench.memo import locked
from trainsmart_bench.bench.profiles import current_profile
from trainsmart_bench.bench.suite import ENV_RECORDS, RunFailed, missing_data

STUDY_METRICS = {  # asv metric -> (summary getter, unit)
    "best_val": (lambda s: (s.get("best") or {}).get("value"), "objective"),
    "test_value": (lambda s: (s.get("best") or {}).get("test_value"), "objective"),
    "tuner_time": (lambda s: s.get("tuner_s_per_trial"), "seconds"),
    "study_time": (lambda s: s.get("elapsed_s"), "seconds"),
}


def params() -> list[list[str]]:
    p = current_profile()
    return [list(p.tuning_tasks), list(p.tuners)]


def overhead_params() -> list[list[str]]:
    return [list(current_profile().tuners)]


def timeout() -> float:
    """asv's timeout for one metric: a whole study (trials run one after another)."""
    p = current_profile()
    return p.timeout * p.budget_trials + 300.0


@contextlib.contextmanager
def _skip_missing_library():
    from trainsmart_bench.tuners import MissingDependency

    try:
        yield
    except MissingDependency as exc:
        raise NotImplementedError(str(exc)) from exc


def study_summary(run_dir: str, task: str, tuner: str) -> dict[str, Any]:
    """The summary of the cell's study under the active profile (run once per asv run)."""
    from trainsmart_bench.env import default_threads
    from trainsmart_bench.tuning.study import run_study

    profile = current_profile()
    if task != "synthetic" and (reason := missing_data(task)):
        raise NotImplementedError(reason)
    export = os.environ.get(ENV_RECORDS)  # the report reads the studies' records there too
    store = Path(export) / "tune" if export else Path(run_dir) / "studies"
    done = Path(run_dir) / "studies" / f"{task}-{tuner}.summary.json"
    with locked(done.with_suffix(".lock")):
        if done.is_file():
            return json.loads(done.read_text())
        with _skip_missing_library():
            study = run_study(
                task, profile.tuning_backend, tuner, profile.budget_trials,
                device=profile.tuning_device, store_dir=store, params=profile.params(task),
                profile=profile.task_profiles.get(task), timeout=profile.timeout,
                threads=default_threads(), resume=False)
        done.write_text(json.dumps(study.summary, default=str))
        return study.summary


def study_value(run_dir: str, metric: str, task: str, tuner: str) -> float:
    """One metric of the cell's study; NotImplementedError (n/a) or RunFailed without one."""
    summary = study_summary(run_dir, task, tuner)
    value = STUDY_METRICS[metric][0](summary)
    if value is None:
        counts = summary.get("status_counts", {})
        if not counts.get("ok"):
            raise RunFailed(f"{summary.get('study_id')}: no trial succeeded ({counts})")
        raise NotImplementedError(f"{summary.get('study_id')} reports no {metric}")
    return float(value)


def overhead_per_trial(tuner: str) -> float:
    """Seconds of suggest + observe per trial, on the synthetic objective (no training)."""
    from trainsmart_bench.tuning.overhead import overhead

    with _skip_missing_library():
        result = overhead(tuner, current_profile().overhead_trials, native=False)
    return float(result["per_trial_s"])


def unit(metric: str) -> str:
    """The metric's unit, with the budget its value was read at where it is a score."""
    base = STUDY_METRICS[metric][1]
    if metric in ("best_val", "test_value"):
        return f"{base} (budget {current_profile().budget_trials} trials)"
    return base


ENV_TABLE = "TRAINSMART_TABLE"
TABLE_STUDIES, TABLE_TRIALS = 10, 50
TABLE_UNITS = {"regret": "objective", "trials_to_target": "trials",
               "seconds_to_target": "simulated seconds"}


def table_budget(table: str | Path | None = None) -> Any:
    """(budget, study limits) of the table studies: ``trainsmart tune``'s default for the
    profile's tuners (epochs when they do not all prune alike)."""
    from trainsmart_bench.tasks import resolve_task
    from trainsmart_bench.tuning.budget import Budget, caps, default_budget, trial_epochs
    from trainsmart_bench.tuning.table import Table

    path = Path(os.environ.get(ENV_TABLE) or table or "")
    if not path.is_file():  # no table: its benchmarks are n/a (see table_comparison)
        budget = Budget("trials", TABLE_TRIALS)
        return budget, caps(budget, None)
    h = Table.load(path).header
    budget = default_budget(list(current_profile().tuners), TABLE_TRIALS).resolved(
        TABLE_TRIALS, trial_epochs(resolve_task(h["task"]), h["profile"], {}))
    return budget, caps(budget, None)


def table_unit(metric: str, table: str | Path | None = None) -> str:
    """A table metric's unit with the budget it was read at, e.g. 'objective (budget 50
    trials)'."""
    budget, _ = table_budget(table)
    return f"{TABLE_UNITS[metric]} (budget {budget.label(simulated=True)})"


def table_comparison(tuner: str, table: str | Path) -> dict[str, float]:
    """Median regret and time-to-target of ``tuner`` over the table studies (run here)."""
    import math
    import tempfile

    from trainsmart_bench.tuning.compare import compare, run_comparison
    from trainsmart_bench.tuning.table import TARGET_QUANTILE, Table

    path = Path(os.environ.get(ENV_TABLE) or table)
    if not path.is_file():
        raise NotImplementedError(f"no tuning table at {path} (trainsmart table build)")
    table = Table.load(path)
    _, limits = table_budget(path)
    with _skip_missing_library(), tempfile.TemporaryDirectory() as store:
        groups = run_comparison(table, [tuner], TABLE_STUDIES, limits["budget_trials"], store,
                                budget_epochs=limits.get("budget_epochs"),
                                budget_unit=limits["budget_unit"])
    c = compare(groups[1], table.quantile(TARGET_QUANTILE))
    (score,) = c.scores

    def finite(v: float) -> float:
        return v if math.isfinite(v) else float("nan")  # asv stores nan as a failed value

    return {"regret": score.regret.median,
            "trials_to_target": finite(c.to_target["trials"][tuner].median),
            "seconds_to_target": finite(c.to_target["seconds"][tuner].median)}


def table_comparisons(tuners: list[str], table: str | Path) -> dict[str, dict[str, Any]]:
    """``table_comparison`` of each tuner, once per asv run; why a tuner has none, if so."""
    out: dict[str, dict[str, Any]] = {}
    for tuner in tuners:
        try:
            out[tuner] = table_comparison(tuner, table)
        except NotImplementedError as exc:
            out[tuner] = {"skip": str(exc)}
    return out


def table_result(results: dict[str, dict[str, Any]], tuner: str) -> dict[str, Any]:
    """One tuner's results; NotImplementedError (n/a) where it has none."""
    result = results.get(tuner) or {"skip": f"{tuner} was not run"}
    if "skip" in result:
        raise NotImplementedError(result["skip"])
    return result
