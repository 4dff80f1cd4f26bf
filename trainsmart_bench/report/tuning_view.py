"""The tuning-studies section (``tuning.html.j2``); empty (and skipped) when there are no study
or trial records."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from markupsafe import Markup

from trainsmart_bench.report.charts import Series, Style, styles
from trainsmart_bench.report.fmt import DASH, fmt_num, fmt_seconds, render
from trainsmart_bench.report.model import Problem
from trainsmart_bench.report.plots import Figure, legend, line_chart
from trainsmart_bench.report.tuning import (
    Band,
    StudyView,
    budget_label,
    by_epochs,
    by_time,
    by_trial,
    studies,
    table_of,
)
from trainsmart_bench.report.tuning_targets import (
    profiles_section,
    table_note,
    time_to_target_table,
)
from trainsmart_bench.results.stats import Summary

HEADS = ("tuner", "studies", "rank \u2193", "normalized score \u2193", "final best",
         "area under best-so-far \u2193", "test score of best config", "overhead / trial \u2193",
         "epochs / study", "trials not ok")
TABLE_HEADS = ("regret \u2193", "average rank \u2193")  # table studies add these after rank

Shown = str | tuple[str, str]  # a number, or a median with its interval below it


def _summary(s: Summary, digits: int = 4) -> Shown:
    if s.median is None:
        return DASH
    ci = "n=1" if s.n < 2 else f"{fmt_num(s.low, digits)} \u2013 {fmt_num(s.high, digits)}"
    return fmt_num(s.median, digits), ci


def _or_dash(value: float | None) -> str:
    return DASH if value is None else fmt_num(value)


def _scores(views: Sequence[StudyView]) -> dict[str, Any]:
    """The score table's context: heads and rows of cells, or why there are no scores."""
    from trainsmart_bench.tuning.scores import score_tuners

    done = [v for v in views if v.state == "finished"]
    try:
        scores = score_tuners([v.summary for v in done or views])
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}
    not_ok: dict[str, int] = defaultdict(int)
    for v in done or views:
        not_ok[v.tuner] += v.not_ok
    tabled = any(s.regret is not None for s in scores)
    rows = [(s.tuner, [str(s.studies), str(s.rank),
                       *((_summary(s.regret), _or_dash(s.average_rank)) if tabled else ()),
                       _summary(s.normalized, 3), _summary(s.final), _or_dash(s.auc),
                       _summary(s.test), fmt_seconds(s.overhead_s), _or_dash(s.epochs),
                       str(not_ok[s.tuner])]) for s in scores]
    heads = (*HEADS[:3], *(TABLE_HEADS if tabled else ()), *HEADS[3:])
    return {"error": "", "heads": heads, "rows": rows, "budget": budget_label(views[0].summary)}


def _series(bands: Mapping[str, Band], st: Mapping[str, Style]) -> list[Series]:
    return [Series(t, st[t], tuple(zip(b.x, b.median)), tuple(zip(b.x, b.low, b.high)))
            for t, b in bands.items() if b.x]


def _charts(views: Sequence[StudyView]) -> list[Figure]:
    tuners = sorted({v.tuner for v in views})
    st = styles(tuners)
    per = {t: [v for v in views if v.tuner == t] for t in tuners}
    t_max = max((s for v in views for s, _ in v.seconds), default=0.0)
    e_max = max((float(p[0]) for v in views for p in v.summary.get("best_so_far_epochs", [])),
                default=0.0)
    label = f"best so far ({views[0].direction})"
    budget = budget_label(views[0].summary)
    a = line_chart(_series({t: by_trial(vs) for t, vs in per.items()}, st),
                   f"by trials, budget {budget}: best so far vs trials", "trial", label)
    e = line_chart(_series({t: by_epochs(vs, e_max) for t, vs in per.items()}, st),
                   f"by epochs, budget {budget}: best so far vs epochs trained", "epochs "
                   "trained (pruned trials count the epochs they ran)", label)
    clock = ("simulated seconds (recorded epoch times)" if table_of(views[0].summary)
             else "study seconds (suggest + train + observe)")
    b = line_chart(_series({t: by_time(vs, t_max) for t, vs in per.items()}, st),
                   f"by seconds, budget {budget}: best so far vs seconds", clock, label)
    leg = legend([(t, st[t]) for t in tuners], line=True)
    cap = "median over studies (line) and inter-quartile range (band)"
    return [Figure(c, f"Best so far vs {w}, studies with a budget of {budget}: {cap}.", leg)
            for c, w in ((a, "trials"), (e, "epochs"), (b, "seconds")) if c]


def _group(group: str, views: Sequence[StudyView]) -> dict[str, Any]:
    done = [v for v in views if v.state == "finished"]
    return {"name": group, "states": ", ".join(sorted({v.state for v in views} - {"finished"})),
            "tabled": table_of(views[0].summary) is not None, "unfinished": len(views) - len(done),
            "provisional": not done, "scores": _scores(views), "note": table_note(views),
            "targets": time_to_target_table(views), "figures": _charts(views)}


def tuning_section(records: list[dict[str, Any]]) -> tuple[Markup, list[Problem]]:
    """The section (empty when no usable study) and the problems met on the way."""
    if not records:
        return Markup(), []
    views, problems = studies(records)
    if not views:
        return Markup(), problems
    groups: dict[str, list[StudyView]] = defaultdict(list)
    for v in views:
        groups[v.group].append(v)
    return render("tuning.html.j2", n_studies=len(views),
                  trials=sum(len(v.curve) for v in views),
                  groups=[_group(g, vs) for g, vs in sorted(groups.items())],
                  profiles=profiles_section(groups)), problems
