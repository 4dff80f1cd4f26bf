"""The page: header with totals, navigation, and the sections in order, in the page shell.

Self-contained by construction: the shell (``trainsmart_bench.pages``) inlines the CSS, and
its Content-Security-Policy blocks any script or external resource that slipped in. Sections
arrive rendered (``Markup``); everything else is escaped by the template.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

from trainsmart_bench.report.charts import styles
from trainsmart_bench.report.fmt import render
from trainsmart_bench.report.model import TaskTable
from trainsmart_bench.report.task_view import row_key, task_section


@dataclass(frozen=True)
class PageParts:
    title: str
    generated: str
    sources: Sequence[str]
    tables: Sequence[TaskTable]
    warnings: Markup = Markup()
    modes: Markup = Markup()
    deploy: Markup = Markup()
    tuning: Markup = Markup()
    compare: Markup = Markup()
    environment: Markup = Markup()
    problems: Markup = Markup()
    n_problems: int = 0
    n_regressions: int | None = None
    deploy_cards: Sequence[tuple[str, int]] = ()


def anchor(prefix: str, name: str, i: int) -> str:
    return f"{prefix}-{i}-{re.sub(r'[^A-Za-z0-9_-]+', '-', name).strip('-')}"


def _cards(p: PageParts) -> list[tuple[str, int]]:
    statuses: Counter[str] = Counter(
        r.status.value for t in p.tables for row in t.rows for r in row.records)
    cards = [("tasks", len(p.tables)), ("runs", sum(statuses.values())),
             ("ok", statuses.get("ok", 0))]
    cards += [(s, n) for s, n in sorted(statuses.items()) if s != "ok"]
    cards += p.deploy_cards
    cards.append(("problems", p.n_problems))
    if p.n_regressions is not None:
        cards.append(("regressions", p.n_regressions))
    return cards


def render_page(p: PageParts) -> str:
    keys = list(dict.fromkeys(row_key(r) for t in p.tables for r in t.rows))
    st = styles(keys)
    anchors = [anchor("task", t.task, i) for i, t in enumerate(p.tables)]
    links = [(a, t.task) for a, t in zip(anchors, p.tables)]
    links += [(a, label) for a, label, body in (
        ("modes", "modes", p.modes), ("deployment", "deployment", p.deploy),
        ("tuning", "tuning studies", p.tuning),
        ("compare", "comparison", p.compare),
        ("environment", "environment", p.environment), ("problems", "problems", p.problems))
        if body]
    tasks = [task_section(t, st, a) for t, a in zip(p.tables, anchors)]
    return str(render("report.html.j2", title=p.title, p=p, cards=_cards(p), links=links,
                      tasks=tasks))
