"""Runs a matrix of (task, backend, device, mode, seed) cells, each as one unit in its own
process.

Before anything trains, every cell's identity is worked out (``execution.identity``): resume
reuses a record only when its identity matches, and ``plan`` says why each other cell runs.
A crash, an out-of-memory kill or a timeout of one run becomes a failed record and the others
go on; Ctrl-C stops after killing the current run and keeps every record already written.
Locally the cells run one after another through ``execution.process``; with a Ray address
they run as Ray tasks through ``execution.ray``: the same unit, the same record.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from trainsmart_bench.env import default_threads, environment
from trainsmart_bench.execution.identity import run_identity
from trainsmart_bench.execution.process import DEFAULT_TIMEOUT, run_unit
from trainsmart_bench.results.identity import config_digest, differences, digest
from trainsmart_bench.results.phases import phases
from trainsmart_bench.results.records import RunRecord, Status, metric, run_key
from trainsmart_bench.results.store import RecordStore
from trainsmart_bench.results.unit import EpochReport, UnitSpec

EpochListener = Callable[["Cell", EpochReport], None]
RecordListener = Callable[[RunRecord, bool], None]  # (record, reused from an earlier run?)


@dataclass(frozen=True)
class Cell:
    task: str
    backend: str
    device: str
    seed: int
    profile: str | None = None
    mode: str = "eager"
    fold: str | None = None  # an evaluation protocol's fold, e.g. "kfold:5/2"

    @property
    def key(self) -> str:
        return run_key(self.task, self.backend, self.device, self.seed, self.profile, self.mode,
                       self.fold)


@dataclass(frozen=True)
class Settings:
    """How every cell of a matrix runs, resolved once in the parent."""

    params: Mapping[str, Any] = field(default_factory=dict)
    data_dir: str | None = None
    threads: int = 0  # 0: as many as cpus, else the physical cores
    cpus: tuple[int, ...] | None = None  # pin each run's process to these cores
    timeout: float = DEFAULT_TIMEOUT
    epoch_test: bool = False  # also score the test split after every epoch (tuning tables)
    target: float | None = None  # pin the validation target (a table keeps its build's)
    save_models: str | None = None  # keep every trained model in this folder (serving)

    def resolved(self) -> Settings:
        n = self.threads or (len(self.cpus) if self.cpus else default_threads())
        return replace(self, threads=int(n))


def unit_spec(cell: Cell, settings: Settings,
              identity: Mapping[str, Any] | None = None) -> UnitSpec:
    """What the child process trains for this cell."""
    save = None
    if settings.save_models:  # named by the run's identity, like its record
        ident = identity if identity is not None else identity_of(cell, settings)
        save = model_stem(settings.save_models, cell, digest(ident))
    return UnitSpec.build(cell.task, cell.backend, device=cell.device, seed=cell.seed,
                          profile=cell.profile, mode=cell.mode, fold=cell.fold,
                          params=settings.params, data_dir=settings.data_dir,
                          threads=settings.threads, cpus=settings.cpus or (),
                          epoch_test=settings.epoch_test, target=settings.target,
                          save_model=save)


def model_stem(folder: str, cell: Cell, identity: str) -> str:
    """Where a run's model is kept, without the format's suffix."""
    return str(Path(folder).resolve() / f"{cell.key}__{identity[:10]}")


def model_problem(model: Mapping[str, Any]) -> tuple[str, Path, bool] | None:
    """The first file of a kept model (the model, then its test predictions) that is not as
    its run recorded it: (what it is, its path, missing?); None when both are."""
    from trainsmart_bench.datasets.files import file_digest

    for label, what in (("model file", model), ("test predictions",
                                                  model.get("test_predictions") or {})):
        path = Path(what.get("path") or "")
        if not path.is_file():
            return label, path, True
        if file_digest(path) != what.get("sha256"):
            return label, path, False
    return None


def model_kept(record: RunRecord) -> str | None:
    """Why ``record``'s saved model is not there as recorded (None: it is, or the backend
    cannot save such a model at all, ``model["skipped"]``, which training again won't change)."""
    model = record.model or {}
    if model.get("skipped"):
        return None
    if not model.get("path"):
        return "its model was not kept"
    problem = model_problem(model)
    if problem is None:
        return None
    label, path, missing = problem
    return f"its {label} {path} " + ("is missing" if missing else
                                      "does not match its recorded digest")


def identity_of(cell: Cell, settings: Settings) -> dict[str, Any]:
    from trainsmart_bench.training.protocols import Fold

    fold = Fold.from_label(cell.fold)
    protocol = {**(fold.identity() if fold else {}),
                **({"epoch_test": True} if settings.epoch_test else {})}
    return run_identity(cell.task, cell.profile, settings.params, cell.backend, cell.device,
                        cell.seed, threads=settings.threads, mode=cell.mode, cpus=settings.cpus,
                        data_dir=settings.data_dir, protocol=protocol or None,
                        target=settings.target)


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def cpu_busy(seconds: float = 0.2) -> float:
    """Share of all cores busy during the ``seconds`` before a run (this process is idle then).

    Not the load average: that still counts the previous run of this matrix for a minute.
    0.2 s tells a busy machine from an idle one (another run or a build takes whole cores);
    the probe's time is a phase of every run (``probe_s``), so it is kept short.
    """
    import psutil

    return round(psutil.cpu_percent(interval=seconds) / 100, 3)


def run_cell(cell: Cell, settings: Settings | None = None, *,
             env: dict[str, Any] | None = None, on_epoch: EpochListener | None = None,
             identity: dict[str, Any] | None = None, **options: Any) -> RunRecord:
    """Run one cell in a child process and return its record (never raises for a failed run).

    ``options`` are ``Settings`` fields, for a call without a ``Settings``."""
    settings = (settings or Settings(**options)).resolved()
    identity = identity if identity is not None else identity_of(cell, settings)
    started, t = now(), time.perf_counter()
    busy = cpu_busy()  # other work on the machine skews every clock
    probe_s = time.perf_counter() - t
    listen = (lambda r: on_epoch(cell, r) or True) if on_epoch else None
    result = run_unit(unit_spec(cell, settings, identity), settings.timeout, listen)
    result.setdefault("timings", {})["probe_s"] = probe_s
    env = {**(env if env is not None else environment()), "cpu_busy_before": busy}
    return to_record(cell, result, env, started, identity)


def to_record(cell: Cell, r: dict[str, Any], env: dict[str, Any], started: str,
              identity: dict[str, Any]) -> RunRecord:
    """A unit's result as the cell's run record."""
    env = {**env, "dataset": r.get("dataset"), "framework_version": r.get("framework_version"),
           "threads": r.get("threads"), "span": r.get("span")}
    if r.get("node", {}).get("ray_node_id"):
        env["node"] = r["node"]
    error = r.get("error")
    if r.get("traceback"):
        error = f"{error}\n{r['traceback']}"
    timings = {**r.get("timings", {}), "process_wall_s": r.get("wall_s")}
    timings["phases"] = phases(timings, r.get("curve", []))
    return RunRecord(
        task=cell.task, backend=cell.backend, device=cell.device, seed=cell.seed,
        profile=cell.profile, status=Status(r["status"]), params=r.get("params", {}),
        metrics={k: metric(k, v) for k, v in r.get("metrics", {}).items()},
        curve=r.get("curve", []),
        timings=timings,
        target=r.get("target"), reached_target=r.get("reached_target"), error=error,
        env=env, started=started, mode=cell.mode, fold=cell.fold, identity=digest(identity),
        config_id=config_digest(identity), identity_fields=identity, model=r.get("model"),
    )


@dataclass
class Plan:
    """What a matrix will do: the records it reuses, the cells it runs and why."""

    cells: list[Cell]
    identities: dict[str, dict[str, Any]]  # cell key -> identity fields
    reused: dict[str, RunRecord] = field(default_factory=dict)
    todo: list[Cell] = field(default_factory=list)
    why: dict[str, str] = field(default_factory=dict)  # cell key -> why it runs


def plan(cells: Iterable[Cell], store: RecordStore, settings: Settings,
         resume: bool = True) -> Plan:
    """Each cell's identity, and whether a record of exactly that identity can be reused."""
    cells = list(cells)
    p = Plan(cells, {c.key: identity_of(c, settings) for c in cells})
    recorded: dict[str, list[RunRecord]] = {}
    for r in (store if resume else ()):
        recorded.setdefault(r.key, []).append(r)
    for cell in cells:
        ident = p.identities[cell.key]
        mine = digest(ident)
        same = [r for r in recorded.get(cell.key, []) if r.identity == mine]
        ok = [r for r in same if r.status is Status.OK]  # a skip is checked again: it is cheap
        unkept = None
        if ok and settings.save_models:  # a model to serve: its files there, unchanged
            problems = [model_kept(r) for r in ok]
            if None not in problems:
                unkept, ok = problems[-1], []
            else:
                ok = [r for r, why in zip(ok, problems) if why is None]
        if ok:
            p.reused[cell.key] = ok[0]
            continue
        p.todo.append(cell)
        if not resume:
            p.why[cell.key] = "--no-resume"
        elif unkept:
            p.why[cell.key] = f"the earlier run is recorded, but {unkept}"
        elif same:
            p.why[cell.key] = f"the earlier run {same[-1].status.value}"
        elif recorded.get(cell.key):
            old = recorded[cell.key][-1]
            p.why[cell.key] = ("recorded with other settings: "
                               + "; ".join(differences(old.identity_fields, ident, limit=3)))
        else:
            p.why[cell.key] = "no record yet"
    return p


def run_matrix(
    cells: Iterable[Cell],
    store: RecordStore,
    settings: Settings | None = None,
    *,
    resume: bool = True,
    on_plan: Callable[[Plan], None] | None = None,
    on_record: RecordListener | None = None,
    on_epoch: EpochListener | None = None,
    ray_address: str | None = None,
    **options: Any,
) -> list[RunRecord]:
    """Run every cell without a reusable record; each record is written the moment its run
    ends. Returns the records in the order of ``cells``. ``options`` are ``Settings`` fields,
    for a call without a ``Settings``."""
    settings = (settings or Settings(**options)).resolved()  # resolved once, for every cell
    p = plan(cells, store, settings, resume)
    if on_plan:
        on_plan(p)
    done: dict[str, RunRecord] = {}
    for key, record in p.reused.items():
        done[key] = record
        if on_record:
            on_record(record, True)

    def finish(record: RunRecord) -> None:
        store.write(record)
        done[record.key] = record
        if on_record:
            on_record(record, False)

    t = time.perf_counter()
    env = environment()  # once per matrix: the package scan is the same for every cell
    env["capture_s"] = time.perf_counter() - t
    if ray_address:
        _on_ray(p, ray_address, env, finish, on_epoch, settings)
    else:
        for cell in p.todo:
            finish(run_cell(cell, settings, env=env, on_epoch=on_epoch,
                            identity=p.identities[cell.key]))
    return [done[c.key] for c in p.cells if c.key in done]


def _on_ray(p: Plan, address: str, env: dict[str, Any], finish: Callable[[RunRecord], None],
            on_epoch: EpochListener | None, settings: Settings) -> None:
    from trainsmart_bench.execution.ray import RayCluster

    by_key = {c.key: c for c in p.todo}
    started = now()

    def listen(key: str, report: Mapping[str, Any]) -> bool:
        if on_epoch:
            on_epoch(by_key[key], report)
        return True

    def done(key: str, result: dict[str, Any]) -> None:
        finish(to_record(by_key[key], result, env, started, p.identities[key]))

    with RayCluster(address) as cluster:
        cluster.run_many([(c.key, unit_spec(c, settings, p.identities[c.key])) for c in p.todo],
                         settings.timeout,
                         listen, done)
