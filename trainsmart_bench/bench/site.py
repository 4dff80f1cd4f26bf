"""What the published site shows, per asv machine: the latest results and where they moved.

The site (``html/``) is laid out as

    index.html                                   the landing page (bench/landing.py)
    asv/                                         the asv site, with its scripts vendored
    reports/<machine>/<commit[:8]>.html          the HTML report of a suite run's records
    reports/<machine>/<commit[:8]>-vs-<base[:8]>.html   the same, compared with the run before

An asv machine is one series of one profile (``<host>-<profile>``, see pipeline.default_machine).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from trainsmart_bench.bench import asvresults
from trainsmart_bench.bench.asvresults import ResultFile, is_missing
from trainsmart_bench.bench.compare import NoResults, Row, compare_commits, metric_of
from trainsmart_bench.bench.profiles import PROFILES
from trainsmart_bench.bench.suite import PARAM_NAMES
from trainsmart_bench.results.records import METRICS

ASV_DIR = "asv"
REPORTS_DIR = "reports"
QUALITY = ("accuracy", "rmse")  # a task is scored by one of them; the other is n/a
HEADLINE_METRICS = (*QUALITY, "train_throughput", "time_to_target")
TREND_DEPTH = 10  # commits in a trend


@dataclass(frozen=True)
class SiteLayout:
    root: Path

    @property
    def asv_dir(self) -> Path:
        return self.root / ASV_DIR

    @property
    def index(self) -> Path:
        return self.root / "index.html"

    def report(self, machine: str, commit: str, base: str | None = None) -> Path:
        name = commit[:8] if base is None else f"{commit[:8]}-vs-{base[:8]}"
        return self.root / REPORTS_DIR / machine / f"{name}.html"

    def href(self, path: Path) -> str:
        """``path`` as a link from the landing page."""
        return quote(path.relative_to(self.root).as_posix())


@dataclass(frozen=True)
class Point:
    commit: str
    value: float | None  # None: failed; NaN: n/a


@dataclass(frozen=True)
class Headline:
    """The best cell of a task for one metric, and that cell's values over the last commits."""

    task: str
    metric: str
    cell: str  # "backend/device" of the best value
    unit: str
    direction: str  # "max" | "min"
    graph: str  # link to the asv graph of the cell
    trend: tuple[Point, ...]  # oldest first, the latest commit last

    @property
    def latest(self) -> float:
        value = self.trend[-1].value
        assert value is not None
        return value

    @property
    def previous(self) -> float | None:
        return self.trend[-2].value if len(self.trend) > 1 else None


@dataclass(frozen=True)
class MachineView:
    machine: str
    profile: str | None
    latest: ResultFile
    previous: str | None  # the commit compared with
    headlines: tuple[Headline, ...]
    rows: tuple[Row, ...]  # the comparison with ``previous`` (compare.py's verdicts)
    report: str | None  # links to the reports, when they were written
    compare_report: str | None
    listing: str  # link to asv's benchmark list of the machine

    @property
    def regressions(self) -> list[Row]:
        return [r for r in self.rows if r.gating]


def profile_of(machine: str) -> str | None:
    """The profile a machine name ends with (``box-quick`` -> ``quick``), if any."""
    return next((p for p in sorted(PROFILES, key=len, reverse=True)
                 if machine.endswith(f"-{p}")), None)


def graph_link(benchmark: str, params: tuple[str, ...], machine: str) -> str:
    """The asv graph of one benchmark cell (asv's hash syntax: ``#name?key=value``)."""
    query = [("machine", machine), *((f"p-{n}", v) for n, v in zip(PARAM_NAMES, params))]
    return f"{ASV_DIR}/index.html#{quote(benchmark)}?" + "&".join(
        f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in query)


def series(results_dir: Path, machine: str, depth: int = TREND_DEPTH) -> list[ResultFile]:
    """The machine's result files of one environment (the latest one's), oldest first."""
    files = sorted(asvresults.iter_results(results_dir, machine), key=lambda r: r.date)
    if not files:
        return []
    return [r for r in files if r.env == files[-1].env][-depth:]


def best_cells(latest: ResultFile, metric: str) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Per task, the benchmark and params of the best value of ``metric`` in ``latest``."""
    direction = METRICS[metric][1]
    best: dict[str, tuple[float, str, tuple[str, ...]]] = {}
    for (name, params), value in latest.values.items():
        if metric_of(name) != metric or is_missing(value) or not params:
            continue
        assert value is not None
        task, score = params[0], value if direction == "max" else -value
        if task not in best or score > best[task][0]:
            best[task] = (score, name, params)
    return {task: (name, params) for task, (_, name, params) in best.items()}


def headlines(files: list[ResultFile], machine: str, units: dict[str, str]) -> list[Headline]:
    out = []
    for metric in HEADLINE_METRICS:
        for task, (name, params) in best_cells(files[-1], metric).items():
            trend = tuple(Point(f.commit, f.values.get((name, params), math.nan)) for f in files)
            out.append(Headline(_plain(task), metric, "/".join(_plain(p) for p in params[1:]),
                                units.get(name, METRICS[metric][0]), METRICS[metric][1],
                                graph_link(name, params, machine), trend))
    order = {m: i for i, m in enumerate(HEADLINE_METRICS)}
    return sorted(out, key=lambda h: (h.task, order[h.metric]))


def _plain(param: str) -> str:
    """asv writes string parameters as their repr: ``'mnist-mlp'``."""
    return param.strip("'\"")


def machine_view(results_dir: Path, machine: str, layout: SiteLayout) -> MachineView | None:
    files = series(results_dir, machine)
    if not files:
        return None
    latest = files[-1]
    previous = asvresults.previous_commit(results_dir, latest.commit, machine)
    rows: tuple[Row, ...] = ()
    if previous is not None:
        try:
            pairs = compare_commits(str(results_dir), previous, latest.commit, machine)
        except NoResults:
            pairs = []
        mine = [c for c in pairs if c.after.env == latest.env] or pairs
        rows = tuple(mine[0].rows) if mine else ()
    report = layout.report(machine, latest.commit)
    compared = layout.report(machine, latest.commit, previous) if previous else None
    return MachineView(
        machine, profile_of(machine), latest, previous,
        tuple(headlines(files, machine, asvresults.units(results_dir))), rows,
        layout.href(report) if report.is_file() else None,
        layout.href(compared) if compared and compared.is_file() else None,
        f"{ASV_DIR}/index.html#summarylist?machine={quote(machine, safe='')}")


def machine_views(results_dir: Path, layout: SiteLayout) -> list[MachineView]:
    """One view per machine with results, the most recently run first."""
    root = Path(results_dir)
    names = sorted(p.name for p in root.iterdir() if (p / "machine.json").is_file()) \
        if root.is_dir() else []
    views = [v for m in names if (v := machine_view(root, m, layout)) is not None]
    return sorted(views, key=lambda v: (-v.latest.ran_at, v.machine))
