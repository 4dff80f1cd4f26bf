"""The tuning-studies section; empty (and skipped) when there are no study or trial records."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from trainsmart_bench.report.charts import Series, Style, styles
from trainsmart_bench.report.fmt import DASH, esc, fmt_num, fmt_seconds
from trainsmart_bench.report.model import Problem
from trainsmart_bench.report.plots import legend, line_chart
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


def _summary(s: Summary, digits: int = 4) -> str:
    if s.median is None:
        return DASH
    ci = "n=1" if s.n < 2 else f"{fmt_num(s.low, digits)} \u2013 {fmt_num(s.high, digits)}"
    return f'<span class="med">{fmt_num(s.median, digits)}</span><span class="ci">{ci}</span>'


def _table(views: Sequence[StudyView]) -> str:
    from trainsmart_bench.tuning.scores import score_tuners

    done = [v for v in views if v.state == "finished"]
    note = ""
    if len(done) < len(views):
        k = len(views) - len(done)
        verb = "study appears" if k == 1 else "studies appear"
        why = "" if done else "; none has finished, so the scores are provisional and use all"
        note = f'<p class="note">{k} unfinished {verb} in the charts only{why}.</p>'
    try:
        scores = score_tuners([v.summary for v in done or views])
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        return f'<p class="note">scores unavailable: {esc(type(exc).__name__)}: {esc(exc)}</p>'
    not_ok: dict[str, int] = defaultdict(int)
    for v in done or views:
        not_ok[v.tuner] += v.not_ok
    tabled = any(s.regret is not None for s in scores)
    extra = {s.tuner: (f'<td class="num">{_summary(s.regret)}</td><td class="num">'
                       f'{fmt_num(s.average_rank) if s.average_rank is not None else DASH}</td>'
                       if tabled else "") for s in scores}
    body = "".join(
        f'<tr><th scope="row">{esc(s.tuner)}</th><td class="num">{s.studies}</td>'
        f'<td class="num">{s.rank}</td>{extra[s.tuner]}'
        f'<td class="num">{_summary(s.normalized, 3)}</td>'
        f'<td class="num">{_summary(s.final)}</td>'
        f'<td class="num">{fmt_num(s.auc) if s.auc is not None else DASH}</td>'
        f'<td class="num">{_summary(s.test)}</td><td class="num">{fmt_seconds(s.overhead_s)}</td>'
        f'<td class="num">{fmt_num(s.epochs) if s.epochs is not None else DASH}</td>'
        f'<td class="num">{not_ok[s.tuner]}</td></tr>' for s in scores)
    heads = (*HEADS[:3], *(TABLE_HEADS if tabled else ()), *HEADS[3:])
    head = "".join(f'<th scope="col"{" class=num" if i else ""}>{h}</th>'
                   for i, h in enumerate(heads))
    caption = (f"<caption>Scores at a budget of {esc(budget_label(views[0].summary))} per "
               "study</caption>")
    return (f'{note}<div class="table-wrap"><table class="results">{caption}<thead><tr>{head}'
            f"</tr></thead><tbody>{body}</tbody></table></div>")


def _series(bands: Mapping[str, Band], st: Mapping[str, Style]) -> list[Series]:
    return [Series(t, st[t], tuple(zip(b.x, b.median)), tuple(zip(b.x, b.low, b.high)))
            for t, b in bands.items() if b.x]


def _charts(group: str, views: Sequence[StudyView]) -> str:
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
    return "".join(f"<figure>{c}<figcaption>Best so far vs {w}, studies with a budget of "
                   f"{esc(budget)}: {cap}.</figcaption>{leg}</figure>"
                   for c, w in ((a, "trials"), (e, "epochs"), (b, "seconds")) if c)


def _group(group: str, views: Sequence[StudyView]) -> str:
    states = sorted({v.state for v in views} - {"finished"})
    note = (f' <span class="badge timeout">{esc(", ".join(states))}</span>' if states else "")
    table = table_of(views[0].summary)
    if table:
        note += ' <span class="badge">tuning table</span>'
    return (f"<h3>{esc(group)}{note}</h3>{table_note(views)}{_table(views)}"
            f"{time_to_target_table(views)}"
            f'<div class="charts">{_charts(group, views)}</div>')


def tuning_section(records: list[dict[str, Any]]) -> tuple[str, list[Problem]]:
    """HTML for the section (empty when no usable study) and the problems met on the way."""
    if not records:
        return "", []
    views, problems = studies(records)
    if not views:
        return "", problems
    groups: dict[str, list[StudyView]] = defaultdict(list)
    for v in views:
        groups[v.group].append(v)
    body = "".join(_group(g, vs) for g, vs in sorted(groups.items()))
    body += profiles_section(groups)
    trials = sum(len(v.curve) for v in views)
    return ('<section id="tuning"><h2>Tuning studies</h2>'
            f'<p class="meta">{len(views)} studies, {trials} trials. <b>Rank</b>: 1 + the number '
            "of tuners whose final best is significantly better (pairwise Mann-Whitney U, "
            "Holm-adjusted over all pairs, p&lt;0.05). <b>Normalized score</b>: (final \u2212 "
            "best known) / (random search's median final \u2212 best known): 0 = the best any "
            "study found, 1 = as good as random search. <b>Area under best-so-far</b>: its mean "
            "along the budget's axis in normalized units. <b>Budget</b>: every study of a group "
            "gets the same one, in trials, epochs trained (a pruned trial costs only the epochs "
            "it ran) or seconds, and the scores are read at it; the charts show best so far "
            "along all three axes. <b>Overhead</b>: suggest + observe + report per "
            "trial. Intervals: 95% bootstrap. Groups marked <b>tuning table</b> were answered "
            "from recorded runs (<code>trainsmart tune --table</code>), not trained.</p>"
            f"{body}</section>", problems)
