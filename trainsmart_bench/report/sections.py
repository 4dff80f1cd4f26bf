"""Page sections besides the tasks: environment, environment warnings, comparison, problems.

Each renders its template (``report/templates``); an empty section is empty markup.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup

from trainsmart_bench.report.compare import DiffRow, power_note
from trainsmart_bench.report.environment import EnvSummary
from trainsmart_bench.report.fmt import fmt_num, fmt_p, fmt_pct, render
from trainsmart_bench.report.model import Problem

VERDICT_CLASS = {"regression": "regressed", "improvement": "improved"}
WORD = {"regressed": "worse", "improved": "better"}
OVERLAP = {True: "overlap", False: "disjoint", None: "\u2014"}
HEADS = ("task", "backend", "device", "metric", "before (--compare)", "after (main)", "change",
         "Mann-Whitney p", "95% intervals", "verdict")


def env_warnings(env: EnvSummary, cross: Sequence[tuple[str, str, str]] = (),
                 configs: Sequence[str] = ()) -> Markup:
    differing = [(k, sorted(env.values[k])) for k in env.differing()]
    busy = env.busy_runs()
    if not (configs or differing or cross or busy):
        return Markup()
    return render("warnings.html.j2", configs=configs, differing=differing, cross=cross,
                  busy=busy, runs=env.runs)


def env_section(env: EnvSummary, other: EnvSummary | None = None) -> Markup:
    keys = list(env.values) + [k for k in (other.values if other else {}) if k not in env.values]
    rows = []
    for k in keys:
        mine = env.values.get(k)
        theirs = None if other is None else other.values.get(k)
        diff = len(mine or ()) > 1 or (other is not None and set(mine or ()) != set(theirs or ()))
        rows.append((k, diff, mine, theirs))
    return render("environment.html.j2", env=env, compared=other is not None, rows=rows)


def diff_row(r: DiffRow) -> dict[str, object]:
    """What a row of the comparison shows besides the DiffRow's own fields."""
    cls = VERDICT_CLASS.get(r.verdict, "")
    return {"r": r, "cls": cls, "word": WORD.get(cls, ""), "overlap": OVERLAP[r.overlap],
            "before": fmt_num(r.before, 4), "after": fmt_num(r.after, 4),
            "change": fmt_pct(r.change), "p": fmt_p(r.test.p) if r.test else None}


def compare_section(rows: Sequence[DiffRow], unmatched: Sequence[str]) -> Markup:
    flagged = [r for r in rows if r.verdict in ("regression", "improvement", "changed")]
    quiet = [r for r in rows if r not in flagged]
    return render(
        "compare.html.j2", heads=HEADS, n_rows=len(rows), note=power_note(rows),
        regressions=sum(r.verdict == "regression" for r in rows),
        improvements=sum(r.verdict == "improvement" for r in rows),
        flagged=[diff_row(r) for r in flagged], quiet=[diff_row(r) for r in quiet],
        unmatched=unmatched)


def problems_section(problems: Sequence[Problem]) -> Markup:
    return render("problems.html.j2", problems=problems) if problems else Markup()
