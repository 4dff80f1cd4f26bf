"""Flag regressions between two commits' asv results, with a threshold per kind of metric.

asv's own ``asv compare`` applies one factor to everything; here quality is judged in absolute
terms (accuracy down more than 0.5 points, RMSE up more than 0.005) and speed relatively
(throughput down, or a served model's p90 latency up, more than 10%). Those two gate: a
regression makes ``main`` exit 1.
Time-to-target, start-up, memory and import time are reported against the speed threshold
but do not gate (they are too noisy on shared CI machines).

    trainsmart bench-compare RESULTS_DIR SHA1 SHA2 [--machine NAME]
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from trainsmart_bench.bench.asvresults import Key, ResultFile, is_missing
from trainsmart_bench.results.records import METRICS

ACCURACY_LIKE = ("accuracy", "precision_macro", "recall_macro", "f1_macro")  # fractions
ERROR_LIKE = ("rmse", "mae")
THROUGHPUT = ("train_throughput", "inference_throughput", "offline_throughput")
LATENCY = ("p90_latency",)  # serving: SingleStream's 90th percentile (bench_serving)


@dataclass(frozen=True)
class Thresholds:
    quality_points: float = 0.5  # accuracy-like fractions: a drop of this many % points
    error: float = 0.005  # rmse-like: an absolute rise
    speed: float = 0.10  # relative change of throughput (and, reported only, of times)


@dataclass(frozen=True)
class Rule:
    kind: str  # "quality" | "speed" | "info"
    direction: str  # "max" | "min" | "none"
    limit: float  # allowed worsening: absolute when relative is False
    relative: bool
    gate: bool


@dataclass(frozen=True)
class Row:
    benchmark: str
    params: tuple[str, ...]
    unit: str
    before: float | None
    after: float | None
    rule: Rule
    verdict: str  # "REGRESSION" | "FAILED" | "worse" | "better" | "same" | "-" | "n/a"

    @property
    def gating(self) -> bool:
        return self.verdict in ("REGRESSION", "FAILED")


def metric_of(benchmark: str) -> str:
    """``bench_training.Accuracy.track_accuracy`` -> ``accuracy``."""
    method = benchmark.rsplit(".", 1)[-1]
    return method.split("_", 1)[1] if method.startswith("track_") else method


def rule_for(benchmark: str, th: Thresholds = Thresholds(), unit: str = "") -> Rule:
    metric = metric_of(benchmark)
    if metric in ACCURACY_LIKE:
        return Rule("quality", "max", th.quality_points / 100.0, False, True)
    if metric in ERROR_LIKE:
        return Rule("quality", "min", th.error, False, True)
    if metric in THROUGHPUT:
        return Rule("speed", "max", th.speed, True, True)
    if metric in LATENCY:
        return Rule("speed", "min", th.speed, True, True)
    if metric in METRICS:
        return Rule("info", METRICS[metric][1], th.speed, True, False)
    method = benchmark.rsplit(".", 1)[-1]
    costly = method.startswith(("time_", "timeraw_")) or unit in ("seconds", "bytes")
    return Rule("info", "min" if costly else "none", th.speed, True, False)


def judge(before: float | None, after: float | None, rule: Rule) -> str:
    if is_missing(before):
        return "n/a"
    if after is None:
        return "FAILED" if rule.gate else "worse"
    if is_missing(after):
        return "n/a"
    if rule.direction == "none":
        return "-"
    assert before is not None
    gain = after - before if rule.direction == "max" else before - after
    scale = abs(before) if rule.relative else 1.0
    if rule.relative and scale == 0:
        return "same"
    change = gain / scale
    if change < -rule.limit and not math.isclose(change, -rule.limit, rel_tol=1e-9):
        return "REGRESSION" if rule.gate else "worse"
    if change > rule.limit:
        return "better"
    return "same"


EAGER = repr("eager")  # how asv writes the mode parameter of an eager cell


def align_modes(values: dict[Key, float | None], other: dict[Key, float | None]
                ) -> dict[Key, float | None]:
    """``values`` with the mode parameter added where ``other`` has it and they do not: results
    from before the training benchmarks had a mode axis are the eager cells of that axis."""
    width = {name: len(params) for name, params in other}
    out = {}
    for (name, params), value in values.items():
        if width.get(name) == len(params) + 1 and any(
                p[:len(params)] == params and p[-1] == EAGER for n, p in other if n == name):
            params = (*params, EAGER)
        out[(name, params)] = value
    return out


def compare_values(before: dict[Key, float | None], after: dict[Key, float | None],
                   units: dict[str, str] | None = None,
                   th: Thresholds = Thresholds()) -> list[Row]:
    """A row per benchmark and parameter combination present in either set (the mode axis
    aligned, see ``align_modes``)."""
    before, after = align_modes(before, after), align_modes(after, before)
    rows = []
    for key in dict.fromkeys([*after, *before]):  # asv's order: benchmarks, then param product
        name, params = key
        unit = (units or {}).get(name, "")
        rule = rule_for(name, th, unit)
        b, a = before.get(key, math.nan), after.get(key, math.nan)
        rows.append(Row(name, params, unit, b, a, rule, judge(b, a, rule)))
    return rows


def pair_files(before: list[ResultFile], after: list[ResultFile]
               ) -> list[tuple[ResultFile, ResultFile]]:
    """Match files by machine and environment; a lone environment per side also matches."""
    pairs = []
    for machine in sorted({r.machine for r in before} & {r.machine for r in after}):
        b = {r.env: r for r in before if r.machine == machine}
        a = {r.env: r for r in after if r.machine == machine}
        common = sorted(set(b) & set(a))
        if common:
            pairs += [(b[e], a[e]) for e in common]
        elif len(b) == 1 and len(a) == 1:
            pairs.append((next(iter(b.values())), next(iter(a.values()))))
    return pairs


@dataclass(frozen=True)
class Comparison:
    before: ResultFile
    after: ResultFile
    rows: list[Row]

    @property
    def regressions(self) -> list[Row]:
        return [r for r in self.rows if r.gating]


class NoResults(LookupError):
    """A commit has no results (for the machine asked), so there is nothing to compare."""


def compare_commits(results_dir: str, before: str, after: str, machine: str | None = None,
                    th: Thresholds = Thresholds()) -> list[Comparison]:
    """Compare two commits' results on every machine and environment they share."""
    from trainsmart_bench.bench import asvresults

    found = {c: asvresults.for_commit(results_dir, c, machine) for c in (before, after)}
    for commit, files in found.items():
        if not files:
            where = f" on machine {machine!r}" if machine else ""
            raise NoResults(f"no asv results for commit {commit}{where} in {results_dir}")
    pairs = pair_files(found[before], found[after])
    if not pairs:
        raise NoResults(f"commits {before} and {after} share no machine with results")
    units = asvresults.units(results_dir)
    return [Comparison(b, a, compare_values(b.values, a.values, units, th)) for b, a in pairs]


def fmt_value(value: float | None, unit: str = "") -> str:
    if value is None:
        return "failed"
    if math.isnan(value):
        return "n/a"
    if unit == "bytes":
        return f"{value / 2**20:.1f}M"
    return f"{value:.4g}"


def fmt_change(row: Row) -> str:
    if is_missing(row.before) or is_missing(row.after):
        return ""
    assert row.before is not None and row.after is not None
    if row.rule.relative:
        return f"{(row.after / row.before - 1) * 100:+.1f}%" if row.before else ""
    diff = row.after - row.before
    return f"{diff * 100:+.2f} pts" if row.rule.direction == "max" else f"{diff:+.4f}"


def fmt_rule(rule: Rule) -> str:
    if rule.direction == "none":
        return ""
    sign = "-" if rule.direction == "max" else "+"
    limit = (f"{sign}{rule.limit * 100:g}%" if rule.relative
             else f"{sign}{rule.limit * 100:g} pts" if rule.direction == "max"
             else f"{sign}{rule.limit:g}")
    return limit if rule.gate else f"({limit})"


def format_table(comparison: Comparison, show_all: bool = False) -> str:
    """A fixed-width text table; rows n/a on both sides are left out unless ``show_all``."""
    head = ("benchmark", "params", "before", "after", "change", "limit", "verdict")
    rows = [(r.benchmark.split(".", 1)[-1], ", ".join(p.strip("'") for p in r.params),
             fmt_value(r.before, r.unit), fmt_value(r.after, r.unit), fmt_change(r),
             fmt_rule(r.rule), r.verdict)
            for r in comparison.rows
            if show_all or not (is_missing(r.before) and is_missing(r.after))]
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    lines = [f"{comparison.before.commit[:8]} -> {comparison.after.commit[:8]}  "
             f"machine {comparison.after.machine}  env {comparison.after.env}"]
    for row in (head, *rows):
        lines.append("  ".join(str(x).ljust(w) for x, w in zip(row, widths)).rstrip())
    n = len(comparison.regressions)
    lines.append(f"{n} regression(s)" if n else "no regressions")
    return "\n".join(lines)

