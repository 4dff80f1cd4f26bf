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

from trainsmart_bench.report.charts import Series, styles
from trainsmart_bench.report.fmt import esc, fmt_num
from trainsmart_bench.report.plots import legend, line_chart
from trainsmart_bench.report.tuning import StudyView, table_of

UNITS = (("trials", "trials"), ("epochs", "epochs"), ("seconds", "simulated s"))


def _target(views: Sequence[StudyView]) -> float | None:
    t = table_of(views[0].summary) or {}
    target = t.get("target") if isinstance(t.get("target"), Mapping) else {}
    value = target.get("value")
    return float(value) if isinstance(value, (int, float)) else None


def table_note(views: Sequence[StudyView]) -> str:
    t = table_of(views[0].summary)
    if not t:
        return ""
    workers = int(views[0].summary["config"].get("workers", 1) or 1)
    return (f'<p class="note">Answered from tuning table <code>{esc(t["digest"])}</code> '
            f"({esc(t.get('configs'))} recorded configurations of {esc(t.get('max_epochs'))} "
            f"epochs, best validation value {fmt_num(t.get('best'), 4)}): each suggestion is "
            "snapped to the nearest recorded configuration and its curve replayed; seconds are "
            f"simulated from the recorded epoch times, with {workers} worker(s). Regret is the "
            "distance to the table's best value.</p>")


def _fmt(v: float) -> str:
    return "miss" if not math.isfinite(v) else fmt_num(v, 3)


def time_to_target_table(views: Sequence[StudyView]) -> str:
    from trainsmart_bench.tuning.targets import time_to_target

    target = _target(views)
    if target is None:
        return ""
    summaries = [v.summary for v in views if v.state == "finished"]
    if not summaries:
        return ""
    per = {u: time_to_target(summaries, target, u) for u, _ in UNITS}
    head = "".join(f'<th scope="col" class="num">{esc(h)}</th>' for _, h in UNITS)
    rows = "".join(
        f'<tr><th scope="row">{esc(t)}</th>' + "".join(
            f'<td class="num">{_fmt(per[u][t].median)} <span class="ci">{per[u][t].reached}/'
            f"{per[u][t].studies} reached</span></td>" for u, _ in UNITS) + "</tr>"
        for t in sorted(per["trials"]))
    from trainsmart_bench.report.tuning import budget_label

    return (f"<h4>Time to target (validation {fmt_num(target, 4)}, the table's best 5%) "
            f"within a budget of {esc(budget_label(views[0].summary))}</h4>"
            '<div class="table-wrap"><table class="results"><thead><tr><th scope="col">tuner'
            f"</th>{head}</tr></thead><tbody>{rows}</tbody></table></div>"
            '<p class="note">Median over studies of the budget spent when the best so far first '
            "met the target; a study that never met it counts as infinite (miss).</p>")


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


def profiles_section(groups: Mapping[str, Sequence[StudyView]]) -> str:
    """One profile per budget: a table studied under two budgets is two comparisons."""
    from trainsmart_bench.report.tuning import budget_label

    by_budget: dict[str, dict[str, Sequence[StudyView]]] = {}
    for g, views in groups.items():
        by_budget.setdefault(budget_label(views[0].summary), {})[g] = views
    return "".join(_profiles(budget, gs) for budget, gs in sorted(by_budget.items()))


def _profiles(budget: str, groups: Mapping[str, Sequence[StudyView]]) -> str:
    from trainsmart_bench.tuning.targets import TAU_MAX, profile_score, profiles

    per = {u: per_task_times(groups, u) for u, _ in UNITS}
    if not per["seconds"]:
        return ""
    prof = {u: profiles(per[u]) for u, _ in UNITS}
    tuners = sorted(prof["seconds"])
    st = styles(tuners)
    chart = line_chart([Series(t, st[t], tuple(prof["seconds"][t])) for t in tuners],
                       f"performance profiles, budget {budget}: simulated seconds to target",
                       "tau (ratio to the "
                       "fastest tuner)", "share of tables within tau")
    head = "".join(f'<th scope="col" class="num">by {esc(h)}</th>' for _, h in UNITS)
    rows = "".join(f'<tr><th scope="row">{esc(t)}</th>' + "".join(
        f'<td class="num">{profile_score(prof[u][t]):.3f}</td>' for u, _ in UNITS) + "</tr>"
        for t in tuners)
    return (f'<h3>Performance profiles over {len(per["seconds"])} table(s), budget '
            f"{esc(budget)} per study</h3>"
            f"<figure>{chart}<figcaption>rho(tau): the share of tables on which a tuner's median "
            "time-to-target is within tau times the fastest tuner's.</figcaption>"
            f"{legend([(t, st[t]) for t in tuners], line=True)}</figure>"
            '<div class="table-wrap"><table class="results"><thead><tr><th scope="col">tuner'
            f"</th>{head}</tr></thead><tbody>{rows}</tbody></table></div>"
            f'<p class="note">Score: area under rho over tau in [1, {TAU_MAX:g}] divided by '
            f"{TAU_MAX - 1:g} (1 = fastest on every table), as AlgoPerf scores training "
            "algorithms.</p>")
