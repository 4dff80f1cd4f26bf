"""Build, extend and spot-check a tuning table (``tuning.table``) from real training runs.

``build`` trains the first ``n`` configurations of the table's design (``tuning.design``) that
the file does not hold yet, each as one unit through the suite's one execution path
(``execution.process.run_unit`` with ``execution.matrix``'s spec and identity: a fresh process,
``threads`` intra-op threads, the run's own identity digest), and writes the table after every
run, so an interrupted build resumes where it stopped and ``--configs`` more extends it. Every
run trains the most epochs the task allows (its space's largest ``epochs``, else its default)
with early stopping off (``patience=0``), and scores the test split after every epoch
(``epoch_test``, outside the run's clocks); epochs, patience and every other parameter a tuner
asks for are then read from the curves (``tuning.simulate``).

Seeds: every configuration trains with seed 0; every ``replicate_every``-th (design index 0,
k, 2k, ...) also with seeds 1..s-1, which gives the table's seed spread (``table.seed_spread``).
``jobs`` units may run at once (each in its own process, with its own threads): the results do
not depend on it, only the recorded epoch times do, which is why the default is one.

``check`` re-trains ``n`` recorded configurations for real, with their recorded seed and
settings, and compares final and best validation values with the table's. The rule: a
re-trained value matches when it is within the seed spread of the recorded one (the median
range over seeds of the replicated configurations): a re-run must differ from its record less
than two seeds of one configuration typically differ. Without replicates it must match exactly.
"""

from __future__ import annotations

import concurrent.futures as futures
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from trainsmart_bench.errors import ConfigError
from trainsmart_bench.results.identity import differences, digest
from trainsmart_bench.results.unit import StopReason
from trainsmart_bench.space import Categorical, SearchSpace
from trainsmart_bench.tasks import resolve_task
from trainsmart_bench.tasks.spec import TaskSpec
from trainsmart_bench.tuning.design import design
from trainsmart_bench.tuning.table import KIND, SCHEMA_VERSION, Table, seed_spread

FIDELITY = "epochs"
RunListener = Callable[[dict[str, Any], int, int], None]  # (entry, done, todo)


@dataclass(frozen=True)
class BuildSettings:
    task: str
    backend: str
    device: str = "cpu"
    profile: str | None = None
    threads: int = 1
    seed: int = 0  # of the design
    replicate_every: int = 10
    replicate_seeds: int = 3
    data_dir: str | None = None
    timeout: float = 3600.0
    # None (both): an existing table's own (its design, the target it was built with: a
    # target calibrated since changes no recorded curve); for a new table, the grid and the
    # task's target
    grid: bool | None = None  # the design starts with the 3-point grid where it is small
    target: float | None = None


def fixed_params(task: TaskSpec, profile: str | None) -> tuple[dict[str, Any], str | None, int]:
    """What every run of the table trains with, the fidelity parameter and the most epochs."""
    p = task.space.params.get(FIDELITY)
    if isinstance(p, Categorical):
        most, fidelity = int(max(p.choices)), FIDELITY
    elif p is not None:
        most, fidelity = int(p.high), FIDELITY
    else:
        most, fidelity = int(task.resolve(profile).params[FIDELITY]), None
    fixed = {FIDELITY: most, "patience": 0} if "patience" in task.defaults else {FIDELITY: most}
    return fixed, fidelity, most


def table_space(task: TaskSpec) -> SearchSpace:
    """The parameters a table configuration is made of: the task's space less the fidelity."""
    return SearchSpace({k: p for k, p in task.space.params.items() if k != FIDELITY})


def _settings(s: BuildSettings, params: Mapping[str, Any]) -> Any:
    from trainsmart_bench.execution.matrix import Settings

    return Settings(params=dict(params), data_dir=s.data_dir, threads=s.threads,
                    timeout=s.timeout, epoch_test=True, target=s.target)


def _cell(s: BuildSettings, seed: int) -> Any:
    from trainsmart_bench.execution.matrix import Cell

    return Cell(s.task, s.backend, s.device, seed, s.profile)


def header(s: BuildSettings) -> dict[str, Any]:
    """The header a table of these settings has (before any session)."""
    from trainsmart_bench.execution.matrix import identity_of

    task = resolve_task(s.task)
    fixed, fidelity, most = fixed_params(task, s.profile)
    ident = identity_of(_cell(s, 0), _settings(s, fixed))
    shared = {k: v for k, v in ident.items() if k not in ("params", "seed")}
    return {
        "schema_version": SCHEMA_VERSION, "kind": KIND, "task": s.task, "backend": s.backend,
        "device": s.device, "profile": s.profile, "metric": task.metric,
        "direction": task.direction.value, "space": table_space(task).to_dict(),
        "fidelity": fidelity, "max_epochs": most, "fixed": fixed, "threads": s.threads,
        "design": {"method": ("grid(3) when small, then scrambled Sobol" if s.grid
                              else "scrambled Sobol"), "seed": s.seed},
        "replicates": {"every": s.replicate_every, "seeds": s.replicate_seeds},
        "identity": shared, "dataset": ident["dataset"], "sessions": [],
    }


def kept(h: Mapping[str, Any], s: BuildSettings) -> BuildSettings:
    """``s`` with what it leaves open taken from an existing table's header ``h``."""
    return replace(s, grid=h["design"]["method"].startswith("grid") if s.grid is None
                   else s.grid,
                   target=h["identity"].get("target") if s.target is None else s.target)


def open_table(path: Path, s: BuildSettings) -> tuple[Table, BuildSettings]:
    """The table at ``path`` (checked against these settings) and the settings that extend
    it, or a new empty one."""
    if not path.is_file():
        s = replace(s, grid=s.grid is not False)
        return Table(header(s), [], path), s
    table = Table.load(path)
    s = kept(table.header, s)
    fresh = header(s)
    old = {k: v for k, v in table.header.items() if k != "sessions"}
    new = {k: v for k, v in fresh.items() if k != "sessions"}
    if digest(old) != digest(new):
        raise ConfigError(f"{path} was built with other settings "
                          f"({'; '.join(differences(old, new))}); use another --out")
    return table, s


def _done(entry: Mapping[str, Any]) -> bool:
    """A run whose result stands: ok, or failed by its own training (diverged); a crash or a
    timeout runs again."""
    return entry["status"] == "ok" or StopReason.of(entry.get("stopped_by")) is StopReason.DIVERGED


def plan(table: Table, s: BuildSettings, n: int) -> list[tuple[int, int, dict[str, Any]]]:
    """(design index, seed, config) of every run the first ``n`` configurations still need."""
    have = {(e["index"], e["seed"]) for e in table.entries if _done(e)}
    todo = []
    grid = kept(table.header, s).grid  # the table's design where ``s`` leaves it open
    for i, config in enumerate(design(table.space, n, s.seed, grid)):
        seeds = range(s.replicate_seeds) if i % max(1, s.replicate_every) == 0 else (0,)
        todo += [(i, seed, config) for seed in seeds if (i, seed) not in have]
    return todo


def _finite(v: Any) -> float | None:
    return float(v) if v is not None and math.isfinite(float(v)) else None


def run_config(s: BuildSettings, table: Table, index: int, seed: int,
               config: Mapping[str, Any]) -> dict[str, Any]:
    """Train one configuration in its own process; the table entry of its run."""
    from trainsmart_bench.execution.matrix import cpu_busy, identity_of, now, unit_spec
    from trainsmart_bench.execution.process import run_unit

    settings = _settings(s, {**table.header["fixed"], **config})
    cell = _cell(s, seed)
    started, busy = now(), cpu_busy()
    r = run_unit(unit_spec(cell, settings), s.timeout)
    if r.get("status") == "skipped":
        raise ConfigError(f"{s.task} on {s.backend}: {r.get('error')}")
    metric = table.header["metric"]
    curve = r.get("curve") or []
    epoch_s = [c.get("prep_s", 0.0) + c.get("epoch_s", 0.0) + c.get("eval_s", 0.0)
               for c in curve]
    test_s = sum(c.get("test_s", 0.0) for c in curve)
    error = r.get("error")
    return {
        "index": index, "seed": seed, "config": dict(config),
        "identity": digest(identity_of(cell, settings)), "status": r.get("status", "failed"),
        "error": error.splitlines()[0][:500] if error else None,
        "stopped_by": (r.get("timings") or {}).get("stopped_by"),
        "val": [_finite(c.get(f"val_{metric}")) for c in curve],
        "test": [_finite(c.get(f"test_{metric}")) for c in curve],
        "epoch_s": [round(t, 6) for t in epoch_s],
        "startup_s": round(max(0.0, float(r.get("wall_s", 0.0)) - sum(epoch_s) - test_s), 6),
        "wall_s": round(float(r.get("wall_s", 0.0)), 6), "cpu_busy_before": busy,
        "started": started,
    }


def build(path: str | Path, s: BuildSettings, n: int, jobs: int = 1,
          on_run: RunListener | None = None) -> Table:
    """Train what the first ``n`` configurations still need; the table is saved after each run."""
    from trainsmart_bench.env import environment
    from trainsmart_bench.execution.matrix import now

    table, s = open_table(Path(path), s)
    todo = plan(table, s, n)
    session = {"started": now(), "env": environment(), "runs": 0, "seconds": 0.0}
    table.header["sessions"].append(session)
    t0 = time.perf_counter()
    with futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        pending = [pool.submit(run_config, s, table, i, seed, c) for i, seed, c in todo]
        try:
            for k, fut in enumerate(futures.as_completed(pending), start=1):
                entry = fut.result()
                table.entries = [e for e in table.entries
                                 if (e["index"], e["seed"]) != (entry["index"], entry["seed"])]
                table.entries.append(entry)
                session.update(runs=k, seconds=round(time.perf_counter() - t0, 3),
                               finished=now())
                table.save()
                if on_run:
                    on_run(entry, k, len(todo))
        except BaseException:
            for f in pending:
                f.cancel()
            raise
    table.entries.sort(key=lambda e: (e["index"], e["seed"]))
    session.update(seconds=round(time.perf_counter() - t0, 3), finished=now())
    table.save()
    return table


@dataclass(frozen=True)
class Check:
    index: int
    config: dict[str, Any]
    recorded: tuple[float | None, float | None]  # final, best validation value
    retrained: tuple[float | None, float | None]
    tolerance: tuple[float, float]
    same_identity: bool

    @property
    def ok(self) -> bool:
        pairs = zip(self.recorded, self.retrained, self.tolerance)
        return all(a is not None and b is not None and abs(a - b) <= tol + 1e-12
                   for a, b, tol in pairs)


def check(path: str | Path, n: int = 5, seed: int = 0, jobs: int = 1,
          data_dir: str | None = None, timeout: float = 3600.0,
          on_check: Callable[[Check], None] | None = None) -> list[Check]:
    """Re-train ``n`` recorded configurations (seeded choice among the ok ones) for real."""
    table = Table.load(path)
    h = table.header
    table.task()  # a user task's code, before re-training its runs
    s = kept(h, BuildSettings(h["task"], h["backend"], h["device"], h["profile"],
                              int(h["threads"]), int(h["design"]["seed"]), data_dir=data_dir,
                              timeout=timeout))
    ok = [e for e in table.primary() if e["status"] == "ok"]
    if not ok:
        raise ConfigError(f"{path}: no successful run to check")
    rng = np.random.default_rng(seed)
    chosen = [ok[i] for i in sorted(rng.choice(len(ok), size=min(n, len(ok)), replace=False))]
    spread = seed_spread(table)
    tol = (spread["final"] or 0.0, spread["best"] or 0.0)
    out = []
    with futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        runs = [pool.submit(run_config, s, table, e["index"], e["seed"], e["config"])
                for e in chosen]
        for e, fut in zip(chosen, runs):
            new = fut.result()
            c = Check(e["index"], e["config"], (e["val"][-1], table.best(e)),
                      (new["val"][-1] if new["val"] else None, table.best(new)), tol,
                      new["identity"] == e["identity"])
            out.append(c)
            if on_check:
                on_check(c)
    return out
