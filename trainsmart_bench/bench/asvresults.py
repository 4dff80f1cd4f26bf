"""Read asv's result files (results/<machine>/<commit[:8]>-<env>.json, asv api_version 2).

Only the columns we need are read: a value per benchmark and parameter combination, where
None means the benchmark failed and NaN that it was skipped (asv's n/a).
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

Key = tuple[str, tuple[str, ...]]  # (benchmark name, parameter values as asv writes them)
NOT_RESULTS = {"machine.json", "benchmarks.json"}


@dataclass(frozen=True)
class ResultFile:
    path: Path
    machine: str
    commit: str
    env: str
    date: int  # the commit's date, ms since the epoch (0 when unknown)
    values: dict[Key, float | None] = field(default_factory=dict)
    ran_at: int = 0  # when the last benchmark of the run started, ms since the epoch


def is_missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def parse(path: Path, machine: str) -> ResultFile:
    data = json.loads(path.read_text())
    columns = data.get("result_columns") or ["result", "params"]
    values: dict[Key, float | None] = {}
    ran_at = 0
    for name, row in (data.get("results") or {}).items():
        cols = dict(zip(columns, row))
        ran_at = max(ran_at, int(cols.get("started_at") or 0))
        params = cols.get("params") or []
        combos = list(itertools.product(*params)) if params else [()]
        result = cols.get("result") or [None] * len(combos)
        for combo, value in zip(combos, result):
            values[(name, tuple(combo))] = None if value is None else float(value)
    return ResultFile(path, machine, str(data.get("commit_hash", "")),
                      str(data.get("env_name", "")), int(data.get("date") or 0), values, ran_at)


def iter_results(results_dir: str | Path, machine: str | None = None) -> Iterator[ResultFile]:
    root = Path(results_dir)
    for mdir in sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []:
        if machine is not None and mdir.name != machine:
            continue
        if not (mdir / "machine.json").is_file():
            continue
        for path in sorted(mdir.glob("*.json")):
            if path.name not in NOT_RESULTS:
                yield parse(path, mdir.name)


def for_commit(results_dir: str | Path, commit: str,
               machine: str | None = None) -> list[ResultFile]:
    """Result files whose commit hash starts with ``commit`` (a full or abbreviated sha)."""
    commit = commit.lower()
    return [r for r in iter_results(results_dir, machine) if r.commit.startswith(commit)]


def previous_commit(results_dir: str | Path, commit: str, machine: str | None = None) -> str | None:
    """The newest other commit with results on the same machine, not newer than ``commit``."""
    mine = for_commit(results_dir, commit, machine)
    machines = {r.machine for r in mine} or ({machine} if machine else None)
    others = [r for r in iter_results(results_dir, machine)
              if not r.commit.startswith(commit.lower())
              and (machines is None or r.machine in machines)]
    newest = max((r.date for r in mine), default=None)
    older = [r for r in others if newest is None or r.date <= newest]
    return max(older, key=lambda r: r.date).commit if older else None


def units(results_dir: str | Path) -> dict[str, str]:
    """Benchmark name -> unit, from asv's results/benchmarks.json."""
    path = Path(results_dir) / "benchmarks.json"
    if not path.is_file():
        return {}
    data = json.loads(path.read_text())
    return {k: str(v.get("unit", "")) for k, v in data.items() if isinstance(v, dict)}
