"""Tuning studies for the report: one summary per study, best-so-far bands over studies.

Reads what ``trainsmart tune`` writes (``trainsmart_bench.tuning.records``):
``<store>/<study-id>/trial-XXXX.json`` (kind ``trial``, a ``TrialRecord``) and
``<store>/<study-id>/study.json`` (kind ``study``). A finished summary is used as written; a
study still running, or whose summary is missing or malformed, is summarized from its trial
records with ``study_records.summarize``, so both read the same. Scores come from
``tuner_stats.score_tuners``: the report and ``trainsmart tune`` never disagree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from trainsmart_bench.report.fmt import first_line, num
from trainsmart_bench.report.model import Problem

# What a finished study.json must hold to be used without its trials (score_tuners reads these).
SUMMARY_FIELDS = ("study_id", "state", "config", "direction", "n_trials", "status_counts",
                  "epochs", "best", "best_so_far_trials", "best_so_far_seconds",
                  "tuner_s_per_trial")


@dataclass(frozen=True)
class StudyView:
    id: str
    group: str  # "task[@profile] · backend · device": studies in a group are compared
    tuner: str
    direction: str  # "max" | "min"
    curve: tuple[float | None, ...]  # best so far after each trial
    seconds: tuple[tuple[float, float | None], ...]  # (study seconds, best so far)
    not_ok: int  # trials whose status is not "ok"
    state: str  # "finished", or how far it got
    summary: Mapping[str, Any]  # a study.json-shaped dict, for tuner_stats.score_tuners


def _usable(s: Mapping[str, Any]) -> bool:
    cfg = s.get("config")
    return (s.get("state") == "finished" and all(k in s for k in SUMMARY_FIELDS)
            and isinstance(cfg, Mapping) and isinstance(cfg.get("tuner"), str)
            and isinstance(cfg.get("task"), str) and s.get("direction") in ("max", "min")
            and isinstance(s["best_so_far_trials"], list)
            and isinstance(s["best_so_far_seconds"], list)
            and num(s["tuner_s_per_trial"]) is not None and num(s["epochs"]) is not None)


def _direction(task: str, hint: Any) -> str | None:
    if hint in ("max", "min"):
        return hint
    from trainsmart_bench.errors import ConfigError
    from trainsmart_bench.tasks import get_task

    try:
        return get_task(task).direction.value
    except ConfigError:
        return None


def _from_trials(sid: str, trials: list, hint: Mapping[str, Any]) -> tuple[dict | None, str]:
    """A summary built from trial records; (None, why) when that is impossible."""
    from trainsmart_bench.space import Direction
    from trainsmart_bench.tuning.records import StudyConfig, summarize

    t = trials[0]
    direction = _direction(t.task, hint.get("direction"))
    if direction is None:
        return None, f"no direction for task {t.task!r} in the summary or the built-in tasks"
    config = StudyConfig(task=t.task, backend=t.backend, tuner=t.tuner, study_seed=t.study_seed,
                         device=t.device, profile=t.profile)
    library = hint.get("library") if isinstance(hint.get("library"), Mapping) else {}
    summary = summarize(config, trials, Direction(direction), library)
    summary["study_id"] = sid
    summary["state"] = str(hint.get("state") or "no summary")
    return summary, ""


def parse(records: Sequence[Mapping[str, Any]]) -> tuple[dict[str, dict], dict[str, list],
                                                          list[Problem]]:
    """Study summaries and TrialRecords by study id; unreadable records become Problems."""
    from trainsmart_bench.tuning.records import TrialRecord, upgrade_summary

    summaries: dict[str, dict] = {}
    trials: dict[str, list] = defaultdict(list)
    problems: list[Problem] = []
    for d in records:
        src = str(d.get("_source", "?"))
        body = {k: v for k, v in d.items() if k != "_source"}
        if d.get("kind") == "study":
            if isinstance(d.get("study_id"), str):
                summaries[d["study_id"]] = upgrade_summary(body)
            else:
                problems.append(Problem(src, "study summary without a string 'study_id'"))
            continue
        try:
            rec = TrialRecord.from_dict(body)
            if not isinstance(rec.study_id, str) or not isinstance(rec.trial, int):
                raise TypeError("study_id must be a string and trial an integer")
            trials[rec.study_id].append(rec)
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            problems.append(Problem(src, f"{type(exc).__name__}: {first_line(str(exc))}"))
    return summaries, trials, problems


def table_of(s: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The tuning table a study's trials were answered from (None: they trained)."""
    t = s.get("table")
    return t if isinstance(t, Mapping) and isinstance(t.get("digest"), str) else None


def budget_label(s: Mapping[str, Any]) -> str:
    """The study's budget in words ("50 trials", "1000 epochs", "60 simulated s")."""
    from trainsmart_bench.tuning.budget import of_config

    return of_config(s["config"]).label(simulated=table_of(s) is not None)


def by_epochs(views: Sequence[StudyView], e_max: float, points: int = 60) -> Band:
    """Best so far at evenly spaced epoch counts (epochs trained by the study so far)."""
    pts = [tuple((float(p[0]), num(p[1])) for p in v.summary.get("best_so_far_epochs", [])
                 if isinstance(p, (list, tuple)) and len(p) == 2) for v in views]
    return _along(pts, e_max, points, len(views))


def _along(per_study: Sequence[Sequence[tuple[float, float | None]]], x_max: float,
           points: int, n: int) -> Band:
    grid = np.linspace(0.0, x_max, points + 1)[1:] if x_max > 0 else np.array([])
    cols: list[list[float]] = [[] for _ in grid]
    for pts in per_study:
        for i, x in enumerate(grid):
            done = [b for s, b in pts if s <= x and b is not None]
            if done:
                cols[i].append(done[-1])
    return band(grid, cols, (n + 1) // 2)


def _view(sid: str, s: Mapping[str, Any]) -> StudyView:
    cfg = s["config"]
    group = (f"{cfg['task']}{'@' + str(cfg['profile']) if cfg.get('profile') else ''} \u00b7 "
             f"{cfg.get('backend', '?')} \u00b7 {cfg.get('device', '?')}")
    table = table_of(s)
    if table:  # a table study is compared only with studies on the same table and workers
        workers = int(num(cfg.get("workers")) or 1)
        group += f" \u00b7 table {table['digest'][:8]}" + (f" \u00b7 W={workers}"
                                                           if workers > 1 else "")
    group += f" \u00b7 budget {budget_label(s)}"  # scores are read at one budget
    counts = s.get("status_counts") if isinstance(s.get("status_counts"), Mapping) else {}
    clock = s.get("best_so_far_wallclock") if table else None  # simulated: no tuner seconds
    seconds = tuple((float(p[0]), num(p[1])) for p in (clock or s["best_so_far_seconds"])
                    if isinstance(p, (list, tuple)) and len(p) == 2 and num(p[0]) is not None)
    return StudyView(sid, group, cfg["tuner"], s["direction"],
                     tuple(num(v) for v in s["best_so_far_trials"]), seconds,
                     sum(int(n) for k, n in counts.items() if k != "ok" and num(n) is not None),
                     str(s.get("state")), s)


def studies(records: Sequence[Mapping[str, Any]]) -> tuple[list[StudyView], list[Problem]]:
    summaries, trials, problems = parse(records)
    views = []
    for sid in sorted(set(summaries) | set(trials)):
        s = summaries.get(sid, {})
        ts = sorted(trials.get(sid, []), key=lambda r: r.trial)
        if not _usable(s):
            if not ts:
                problems.append(Problem(f"study {sid}", "summary is unfinished or malformed and "
                                        "there are no trial records to rebuild it from"))
                continue
            try:
                s, why = _from_trials(sid, ts, s)
            except (TypeError, ValueError, KeyError, AttributeError) as exc:
                s, why = None, f"cannot summarize its trials: {type(exc).__name__}: {exc}"
            if s is None:
                problems.append(Problem(f"study {sid}", why))
                continue
        views.append(_view(sid, s))
    return views, problems


@dataclass(frozen=True)
class Band:
    """Median and inter-quartile range over studies at each x."""

    x: tuple[float, ...]
    median: tuple[float, ...]
    low: tuple[float, ...]
    high: tuple[float, ...]


def band(xs: Sequence[float], columns: Sequence[Sequence[float]], min_count: int = 1) -> Band:
    """Quartiles per x, where at least ``min_count`` studies have a value (so the median does
    not jump while studies are still joining)."""
    keep = [(x, c) for x, c in zip(xs, columns) if len(c) >= max(1, min_count)]
    if not keep:
        return Band((), (), (), ())
    q = [np.percentile(c, [25, 50, 75]) for _, c in keep]
    return Band(tuple(float(x) for x, _ in keep), tuple(float(v[1]) for v in q),
                tuple(float(v[0]) for v in q), tuple(float(v[2]) for v in q))


def by_trial(views: Sequence[StudyView]) -> Band:
    n = max((len(v.curve) for v in views), default=0)
    cols = [[v.curve[i] for v in views if i < len(v.curve) and v.curve[i] is not None]
            for i in range(n)]
    return band(range(1, n + 1), cols, (len(views) + 1) // 2)


def by_time(views: Sequence[StudyView], t_max: float, points: int = 60) -> Band:
    """Best so far at evenly spaced study times: the last value reached by then."""
    return _along([v.seconds for v in views], t_max, points, len(views))
