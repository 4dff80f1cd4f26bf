"""Table studies in the report: what answered them, time-to-target, performance profiles.

A study answered from a tuning table (``tuning.simulate``) carries the table's digest, its best
value and its target (the validation value its best 5% of configurations reach) in its summary;
the report labels such groups, gives each tuner's time-to-target in trials, epochs and
simulated seconds (``tuning.targets``), and, over the single-worker table groups, draws the
performance profiles and their scores as AlgoPerf does.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from markupsafe import Markup

from trainsmart_bench.report.charts import Series, styles
from trainsmart_bench.report.fmt import fmt_num, render
from trainsmart_bench.report.plots import legend, line_chart
from trainsmart_bench.report.tuning import StudyView, budget_label, table_of

UNITS = (("trials", "trials"), ("epochs", "epochs"), ("seconds", "simulated s"))


def _target(views: Sequence[StudyView]) -> float | None:
    t = table_of(views[0].summary) or {}
    target = t.get("target") if isinstance(t.get("target"), Mapping) else {}
    value = target.get("value")
    return float(value) if isinstance(value, (int, float)) else None


def table_note(views: Sequence[StudyView]) -> Markup:
    t = table_of(views[0].summary)
    if not t:
        return Markup()
    workers = int(views[0].summary["config"].get("workers", 1) or 1)
    configs, epochs = ("" if t.get(k) is None else t[k] for k in ("configs", "max_epochs"))
    return render("table_note.html.j2", digest=t["digest"], configs=configs, epochs=epochs,
                  best=fmt_num(t.get("best"), 4), workers=workers)


def _fmt(v: float) -> str:
    return "miss" if not math.isfinite(v) else fmt_num(v, 3)


def time_to_target_table(views: Sequence[StudyView]) -> Markup:
    from trainsmart_bench.tuning.targets import time_to_target

    target = _target(views)
    summaries = [v.summary for v in views if v.state == "finished"]
    if target is None or not summaries:
        return Markup()
    per = {u: time_to_target(summaries, target, u) for u, _ in UNITS}
    rows = [(t, [(_fmt(per[u][t].median), f"{per[u][t].reached}/{per[u][t].studies}")
                 for u, _ in UNITS]) for t in sorted(per["trials"])]
    return render("time_to_target.html.j2", target=fmt_num(target, 4), units=UNITS,
                  budget=budget_label(views[0].summary), rows=rows)


def per_task_times(groups: Mapping[str, Sequence[StudyView]], unit: str
                   ) -> dict[str, dict[str, float]]:
    """Single-worker table groups: group -> tuner -> median time-to-target in ``unit``."""
    from trainsmart_bench.tuning.targets import time_to_target

    out = {}
    for g, views in groups.items():
        target = _target(views)
        done = [v.summary for v in views if v.state == "finished"]
        if target is None or not done or int(done[0]["config"].get("workers", 1) or 1) != 1:
            continue
        out[g] = {t: v.median for t, v in time_to_target(done, target, unit).items()}
    return out


def profiles_section(groups: Mapping[str, Sequence[StudyView]]) -> Markup:
    """One profile per budget: a table studied under two budgets is two comparisons."""
    by_budget: dict[str, dict[str, Sequence[StudyView]]] = {}
    for g, views in groups.items():
        by_budget.setdefault(budget_label(views[0].summary), {})[g] = views
    return Markup().join(_profiles(budget, gs) for budget, gs in sorted(by_budget.items()))


def _profiles(budget: str, groups: Mapping[str, Sequence[StudyView]]) -> Markup:
    from trainsmart_bench.tuning.targets import TAU_MAX, profile_score, profiles

    per = {u: per_task_times(groups, u) for u, _ in UNITS}
    if not per["seconds"]:
        return Markup()
    prof = {u: profiles(per[u]) for u, _ in UNITS}
    tuners = sorted(prof["seconds"])
    st = styles(tuners)
    chart = line_chart([Series(t, st[t], tuple(prof["seconds"][t])) for t in tuners],
                       f"performance profiles, budget {budget}: simulated seconds to target",
                       "tau (ratio to the "
                       "fastest tuner)", "share of tables within tau")
    rows = [(t, [f"{profile_score(prof[u][t]):.3f}" for u, _ in UNITS]) for t in tuners]
    return render("profiles.html.j2", tables=len(per["seconds"]), budget=budget, chart=chart,
                  legend=legend([(t, st[t]) for t in tuners], line=True), units=UNITS,
                  rows=rows, tau_max=f"{TAU_MAX:g}", tau_span=f"{TAU_MAX - 1:g}")
