"""Page sections besides the tasks: environment, environment warnings, comparison, problems."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from trainsmart_bench.report.compare import DiffRow, power_note
from trainsmart_bench.report.environment import EnvSummary
from trainsmart_bench.report.fmt import esc, fmt_num, fmt_p, fmt_pct
from trainsmart_bench.report.model import Problem

VERDICT_CLASS = {"regression": "regressed", "improvement": "improved"}
HEADS = ("task", "backend", "device", "metric", "before (--compare)", "after (main)", "change",
         "Mann-Whitney p", "95% intervals", "verdict")


def _values(counter: Counter[str] | None) -> str:
    if not counter:
        return "\u2014"
    if len(counter) == 1:
        return esc(next(iter(counter)))
    return "<br>".join(f'{esc(v)} <span class="count">({n} runs)</span>'
                       for v, n in counter.most_common())


def env_warnings(env: EnvSummary, cross: Sequence[tuple[str, str, str]] = (),
                 configs: Sequence[str] = ()) -> str:
    items = [f"<li><b>settings</b>: {esc(w)}</li>" for w in configs]
    items += [f"<li><b>{esc(k)}</b> differs between runs: "
             f"{', '.join(esc(v) for v in sorted(env.values[k]))}</li>" for k in env.differing()]
    items += [f"<li><b>{esc(k)}</b>: {esc(b)} (main) vs {esc(a)} (--compare)</li>"
              for k, a, b in cross]
    if busy := env.busy_runs():
        items.append(f"<li><b>machine load</b>: {busy} of {env.runs} runs started while other "
                     "work kept at least half the cores busy; their timings are suspect</li>")
    if not items:
        return ""
    return ('<div class="warning" role="alert"><b>\u26a0 Settings or environment differ.</b> '
            "Differences below can explain changes in the numbers; compare with care."
            f'<ul>{"".join(items)}</ul></div>')


def env_section(env: EnvSummary, other: EnvSummary | None = None) -> str:
    keys = list(env.values) + [k for k in (other.values if other else {}) if k not in env.values]
    heads = "<th scope=col>attribute</th><th scope=col>main results</th>"
    if other is not None:
        heads += "<th scope=col>--compare</th>"
    rows = []
    for k in keys:
        diff = len(env.values.get(k, ())) > 1 or (
            other is not None and set(env.values.get(k, ())) != set(other.values.get(k, ())))
        cells = f"<td>{_values(env.values.get(k))}</td>"
        if other is not None:
            cells += f"<td>{_values(other.values.get(k))}</td>"
        rows.append(f'<tr{" class=diff" if diff else ""}><th scope="row">{esc(k)}</th>{cells}</tr>')
    dates = f"{esc(env.first)} \u2192 {esc(env.last)}" if env.first else "unknown"
    return ('<section id="environment"><h2>Environment</h2>'
            f'<p class="meta">{env.runs} runs, started {dates}. Highlighted rows differ.</p>'
            f'<div class="table-wrap"><table class="env"><thead><tr>{heads}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div></section>')


def _diff_row(r: DiffRow) -> str:
    cls = VERDICT_CLASS.get(r.verdict, "")
    word = {"regressed": "worse", "improved": "better"}.get(cls, "")
    p = (f'{fmt_p(r.test.p)}<span class="ci">{esc(r.test.method)}</span>' if r.test
         else "\u2014")
    overlap = {True: "overlap", False: "disjoint", None: "\u2014"}[r.overlap]
    unit = f' <span class="count">{esc(r.unit)}</span>' if r.unit else ""
    return (f'<tr class="{cls}"><th scope="row">{esc(r.task)}</th><td>{esc(r.backend)}</td>'
            f"<td>{esc(r.device)}</td><td>{esc(r.metric)}{unit}</td>"
            f'<td class="num">{fmt_num(r.before, 4)}<span class="ci">n={r.n_before}</span></td>'
            f'<td class="num">{fmt_num(r.after, 4)}<span class="ci">n={r.n_after}</span></td>'
            f'<td class="num {word}">{fmt_pct(r.change)}</td><td class="num">{p}</td>'
            f'<td>{overlap}</td><td><span class="verdict {word}">{esc(r.verdict)}</span></td></tr>')


def _diff_table(rows: Sequence[DiffRow]) -> str:
    head = "".join(f'<th scope="col"{" class=num" if 4 <= i <= 7 else ""}>{h}</th>'
                   for i, h in enumerate(HEADS))
    return (f'<div class="table-wrap"><table class="results diff"><thead><tr>{head}</tr>'
            f'</thead><tbody>{"".join(_diff_row(r) for r in rows)}</tbody></table></div>')


def compare_section(rows: Sequence[DiffRow], unmatched: Sequence[str]) -> str:
    flagged = [r for r in rows if r.verdict in ("regression", "improvement", "changed")]
    quiet = [r for r in rows if r not in flagged]
    regressions = sum(r.verdict == "regression" for r in rows)
    note = power_note(rows)
    extra = "".join(f"<li>{esc(u)}</li>" for u in unmatched)
    out = ['<section id="compare"><h2>Comparison</h2>',
           f'<p class="meta"><b class="worse">{regressions} regression(s)</b> and '
           f"{sum(r.verdict == 'improvement' for r in rows)} improvement(s) among {len(rows)} "
           "compared medians (relative change = after / before \u2212 1). A change is flagged "
           "when the two-sided Mann-Whitney U test over seeds gives p&lt;0.05 or the 95% "
           "bootstrap intervals are disjoint.</p>"]
    if note:
        out.append(f'<p class="note">{esc(note)}</p>')
    out.append(_diff_table(flagged) if flagged else
               '<p class="meta">No significant change.</p>')
    if quiet:
        out.append(f'<details class="more"><summary>{len(quiet)} comparisons without a '
                   f"significant change</summary>{_diff_table(quiet)}</details>")
    if extra:
        out.append(f'<ul class="issues">{extra}</ul>')
    return "".join(out) + "</section>"


def problems_section(problems: Sequence[Problem]) -> str:
    if not problems:
        return ""
    items = "".join(f"<li><code>{esc(p.source)}</code>: {esc(p.message)}</li>" for p in problems)
    return ('<section id="problems"><h2>Problems</h2><p class="meta">These inputs were skipped; '
            f'everything else in the report is unaffected.</p><ul class="problems">{items}</ul>'
            "</section>")
