"""The HTML comparison report: one self-contained page from run (and tuning) records.

``build_report(["runs"], baseline="torch", compare=["old/results"])`` returns the page;
``write_report`` writes it. Loading never fails on a bad record: it is listed under Problems.
Inference records (``<results>/inference/``) make the deployment section.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from markupsafe import Markup

from trainsmart_bench.report.compare import diff_tables
from trainsmart_bench.report.deploy_view import deploy_cards, deploy_section, load_inference
from trainsmart_bench.report.environment import cross_differences, summarize
from trainsmart_bench.report.html import PageParts, render_page
from trainsmart_bench.report.model import Loaded, Problem, TaskTable, build_tables, load
from trainsmart_bench.report.modes_view import modes_section
from trainsmart_bench.report.sections import (
    compare_section,
    env_section,
    env_warnings,
    problems_section,
)
from trainsmart_bench.report.tuning_view import tuning_section
from trainsmart_bench.results.inference_summary import rows as deploy_rows
from trainsmart_bench.results.modes import has_modes, mode_rows
from trainsmart_bench.results.summary import config_warnings

__all__ = ["Problem", "ReportResult", "TaskTable", "build_report", "load", "write_report"]


@dataclass(frozen=True)
class ReportResult:
    html: str
    tables: list[TaskTable]
    problems: list[Problem]
    regressions: int | None  # None without --compare
    has_tuning: bool = False
    served: int = 0  # inference records in the deployment section


def build_report(results: Sequence[str | Path], baseline: str = "torch",
                 compare: Sequence[str | Path] = (), title: str = "trainsmart-bench report",
                 now: str | None = None) -> ReportResult:
    main = load(results)
    tables = build_tables(main.runs, baseline)
    tuning, tuning_problems = tuning_section(main.tuning)
    served, served_problems = load_inference(results)
    deployed = deploy_rows(served)
    problems = [*main.problems, *tuning_problems, *served_problems]
    env = summarize(main.runs)
    other: Loaded | None = load(compare) if compare else None
    compare_html, regressions, cross = Markup(), None, []
    other_env = None
    if other is not None:
        problems += [Problem(f"--compare {p.source}", p.message) for p in other.problems]
        rows, unmatched = diff_tables(tables, build_tables(other.runs, baseline))
        regressions = sum(r.verdict == "regression" for r in rows)
        compare_html = compare_section(rows, unmatched)
        other_env = summarize(other.runs)
        cross = cross_differences(other_env, env)
    generated = now or _dt.datetime.now().astimezone().isoformat(timespec="seconds")
    sources = [str(s) for s in results] + [f"--compare {s}" for s in compare]
    page = render_page(PageParts(
        title=title, generated=generated, sources=sources, tables=tables,
        warnings=env_warnings(env, cross, config_warnings(main.runs)),
        modes=modes_section(mode_rows(main.runs)) if has_modes(main.runs) else Markup(),
        deploy=deploy_section(served, deployed), deploy_cards=deploy_cards(deployed),
        tuning=tuning,
        compare=compare_html,
        environment=env_section(env, other_env) if main.runs else Markup(),
        problems=problems_section(problems), n_problems=len(problems),
        n_regressions=regressions))
    return ReportResult(page, tables, problems, regressions, bool(main.tuning), len(served))


def write_report(path: str | Path, result: ReportResult) -> int:
    """Write the page (UTF-8); returns its size in bytes."""
    data = result.html.encode("utf-8")
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    return len(data)
