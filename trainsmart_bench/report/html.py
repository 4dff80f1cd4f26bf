"""The page: inline CSS, header with totals, navigation, and the sections in order.

Self-contained by construction: no scripts, no external resources, and a Content-Security-Policy
that would block any that slipped in.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from trainsmart_bench.report.charts import styles
from trainsmart_bench.report.fmt import esc
from trainsmart_bench.report.model import TaskTable
from trainsmart_bench.report.task_view import row_key, task_section

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

CSS = """
:root{--ink:#1f2328;--muted:#59636e;--line:#d8dee4;--soft:#f6f8fa;--blue:#0072B2;
--verm:#D55E00;--orange:#E69F00;--best:#e3eff9}
*{box-sizing:border-box}
body{margin:0;color:var(--ink);background:#fff;font:14px/1.45 system-ui,-apple-system,
"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans","Liberation Sans",sans-serif}
main{max-width:1360px;margin:0 auto;padding:28px 36px 60px}
h1{font-size:26px;margin:0 0 4px;letter-spacing:-.01em}
h2{font-size:20px;margin:40px 0 6px;padding-top:18px;border-top:1px solid var(--line)}
h3{font-size:16px;margin:24px 0 8px}
.meta{color:var(--muted);margin:4px 0 12px}
.meta b{color:var(--ink);font-weight:600}
code,pre{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace}
pre{white-space:pre-wrap;word-break:break-word;background:var(--soft);padding:8px;
border-radius:4px;max-height:320px;overflow:auto}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}
.card{border:1px solid var(--line);border-radius:6px;padding:8px 14px;min-width:110px}
.card .n{display:block;font-size:22px;font-weight:600;font-variant-numeric:tabular-nums}
.card .l{color:var(--muted);font-size:12px}
nav ul{list-style:none;padding:0;margin:8px 0;display:flex;flex-wrap:wrap;gap:6px 16px}
nav a{color:var(--blue);text-decoration:none}nav a:hover{text-decoration:underline}
.table-wrap{overflow-x:auto}
table{border-collapse:collapse;font-variant-numeric:tabular-nums}
table.results{width:100%}
th,td{padding:7px 10px;text-align:left;vertical-align:top}
thead th{font-size:12px;font-weight:600;color:var(--muted);border-bottom:2px solid var(--line);
vertical-align:bottom}
tbody tr{border-bottom:1px solid #eaeef2}
tbody th{font-weight:600}
.num{text-align:right;white-space:nowrap}
.unit{display:block;font-weight:400;color:var(--muted)}
.med{display:block;font-size:14px}
.ci,.ratio,.note{display:block;font-size:11.5px;color:var(--muted)}
td.best{background:var(--best)}
td.best .med{font-weight:700}
.better{color:var(--blue)}.worse{color:var(--verm)}
.ratio.better,.ratio.worse{font-weight:600}
td.na{color:var(--muted)}
.runs{font-weight:600;margin-right:6px}
.badge{display:inline-block;font-size:11px;font-weight:600;padding:1px 7px;border-radius:9px;
margin:1px 4px 1px 0;background:#eaeef2;color:var(--ink);white-space:nowrap}
.badge.failed{background:#fbe3d4;color:#8a3200}.badge.timeout{background:#fdf0d0;color:#6b4a00}
.badge.skipped{background:#eaeef2;color:#424a53}.badge.ok{background:#dcefe3;color:#155b2f}
tr.failed-row td.reason{color:var(--ink);background:repeating-linear-gradient(135deg,#fafbfc 0,
#fafbfc 6px,#f3f4f6 6px,#f3f4f6 12px)}
details summary{cursor:pointer;color:var(--blue);font-size:12px;margin-top:4px}
ul.issues,ul.problems{font-size:13px;color:var(--ink);margin:8px 0;padding-left:20px}
ul.problems li{margin:3px 0}
.warning{border-left:4px solid var(--orange);background:#fff7e6;padding:10px 14px;margin:16px 0;
border-radius:0 6px 6px 0}
.warning ul{margin:6px 0 0;padding-left:20px}
.note{margin:6px 0}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:18px;
margin-top:18px}
figure{margin:0;border:1px solid var(--line);border-radius:6px;padding:12px 14px 10px}
figcaption{font-size:12px;color:var(--muted);margin-top:4px}
svg.chart{width:100%;height:auto;display:block;font-family:inherit}
svg .tick{font-size:11px;fill:var(--muted)}svg .axis{font-size:12px;fill:var(--ink)}
svg .lbl{font-size:12px;fill:var(--ink)}svg .val{font-size:11px;fill:var(--ink)}
ul.legend{list-style:none;padding:0;margin:6px 0 0;display:flex;flex-wrap:wrap;gap:4px 14px;
font-size:12px}
ul.legend li{display:flex;align-items:center;gap:5px}
table.env{font-size:13px}table.env th[scope=row]{font-weight:500;color:var(--muted)}
table.env tr.diff{background:#fff7e6}
.verdict{font-weight:600}
tr.regressed td,tr.regressed th{background:#fdf1ea}
tr.improved td,tr.improved th{background:#eef5fb}
.count{font-size:11.5px;color:var(--muted)}
details.more{margin-top:10px}details.more>summary{font-size:13px}
footer{margin-top:48px;color:var(--muted);font-size:12px}
@media print{main{padding:0}.charts{grid-template-columns:1fr 1fr}}
"""


@dataclass(frozen=True)
class PageParts:
    title: str
    generated: str
    sources: Sequence[str]
    tables: Sequence[TaskTable]
    warnings: str = ""
    modes: str = ""
    tuning: str = ""
    compare: str = ""
    environment: str = ""
    problems: str = ""
    n_problems: int = 0
    n_regressions: int | None = None


def anchor(prefix: str, name: str, i: int) -> str:
    return f"{prefix}-{i}-{re.sub(r'[^A-Za-z0-9_-]+', '-', name).strip('-')}"


def _cards(p: PageParts) -> str:
    statuses: Counter[str] = Counter(
        r.status.value for t in p.tables for row in t.rows for r in row.records)
    cards = [("tasks", len(p.tables)), ("runs", sum(statuses.values())),
             ("ok", statuses.get("ok", 0))]
    cards += [(s, n) for s, n in sorted(statuses.items()) if s != "ok"]
    cards.append(("problems", p.n_problems))
    if p.n_regressions is not None:
        cards.append(("regressions", p.n_regressions))
    return '<div class="cards">' + "".join(
        f'<div class="card"><span class="n">{n}</span><span class="l">{esc(label)}</span></div>'
        for label, n in cards) + "</div>"


def render_page(p: PageParts) -> str:
    keys = list(dict.fromkeys(row_key(r) for t in p.tables for r in t.rows))
    st = styles(keys)
    anchors = [anchor("task", t.task, i) for i, t in enumerate(p.tables)]
    links = [(a, t.task) for a, t in zip(anchors, p.tables)]
    links += [(a, label) for a, label, body in (
        ("modes", "modes", p.modes), ("tuning", "tuning studies", p.tuning),
        ("compare", "comparison", p.compare),
        ("environment", "environment", p.environment), ("problems", "problems", p.problems))
        if body]
    nav = "".join(f'<li><a href="#{esc(a)}">{esc(label)}</a></li>' for a, label in links)
    tasks = "".join(task_section(t, st, a) for t, a in zip(p.tables, anchors))
    empty = "" if p.tables else '<p class="meta">No run records found.</p>'
    sources = ", ".join(f"<code>{esc(s)}</code>" for s in p.sources)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(p.title)}</title><style>{CSS}</style></head><body><main>"
        f'<header><h1>{esc(p.title)}</h1><p class="meta">generated {esc(p.generated)} from '
        f"{sources}</p>{_cards(p)}<nav><ul>{nav}</ul></nav></header>{p.warnings}"
        f"{tasks}{empty}{p.modes}{p.tuning}{p.compare}{p.environment}{p.problems}"
        '<footer>trainsmart-bench report \u00b7 medians over seeds with 95% percentile-bootstrap '
        "intervals \u00b7 self-contained page: no scripts, no external resources</footer>"
        "</main></body></html>\n")
