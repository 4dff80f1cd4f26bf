"""Studies on a tuning table: trials answered from recorded runs, time simulated, W workers.

``TableEvaluator`` is an evaluator of the study loop (``tuning.study``) that answers a trial
from the table instead of training it: the suggestion snaps to the nearest recorded
configuration (``Table.lookup``), and the trial replays that run's curve epoch by epoch
(``Replay``): each epoch's validation value goes to the tuner's ``report`` (so ASHA and Optuna's
pruners see the same multi-fidelity results as in a real study), and the trial ends as the
training loop would end it: after its ``epochs``, when the tuner prunes it, when early stopping
(the trial's ``patience``) stops it, or where the recorded run diverged. The test value is the
test score after the last epoch trained (after the best epoch where the trial has a patience:
the loop then restores the best epoch's weights). Its time is simulated: the run's recorded
start-up seconds plus the recorded seconds of each epoch trained; a pruned trial costs only the
epochs it ran.

``SimulatedWorkers`` is the back-end of the parallel study loop (``tuning.parallel``) on a
table: with ``workers`` trials in flight, as Syne Tune's simulated back-end does, a trial's
epochs end at simulated times and the events are handled in time order (ties by trial
number), so a tuner's pruning decisions and its observations follow simulated finish times; a
worker that frees up gets the next suggestion at that time. With one worker it proposes,
prunes and observes exactly what the ordinary loop with a ``TableEvaluator`` does. The
simulated clock counts training only: the tuner's own seconds (suggest, observe, report) are
measured and recorded apart, so a study is a deterministic function of its seeds.
"""

from __future__ import annotations

import gzip
import heapq
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trainsmart_bench.errors import ConfigError
from trainsmart_bench.results.unit import EpochFn, EpochReport, StopReason, UnitSpec
from trainsmart_bench.tuning.table import Table

TRIALS_FILE = "trials.json.gz"  # a table study's trial records, one file (not *.json)


@dataclass
class Replay:
    """One trial replayed from a recorded run: ``next_epoch`` -> (epoch, value, seconds) until
    the trial ends; ``go(keep)`` answers each epoch as the tuner did."""

    table: Table
    entry: dict[str, Any]
    epochs: int
    patience: int
    distance: float
    reported: list[float] = field(default_factory=list)
    stopped_by: StopReason | None = None
    best: float | None = None
    best_epoch: int = 0

    @property
    def done(self) -> bool:
        return self.stopped_by is not None

    def next_epoch(self) -> tuple[int, float | None, float]:
        """The next epoch, its validation value (None: the run diverged there) and seconds."""
        e = len(self.reported) + 1
        val = self.entry["val"]
        value = val[e - 1] if e <= len(val) else None
        secs = self.entry["epoch_s"][e - 1] if e <= len(self.entry["epoch_s"]) else 0.0
        return e, value, float(secs)

    def go(self, value: float | None, keep: bool) -> None:
        e = len(self.reported) + 1
        if value is None:
            self.stopped_by = (StopReason.DIVERGED if e <= len(self.entry["val"])
                               else StopReason.FAILED)
            return
        self.reported.append(float(value))
        if self.best is None or self.table.direction.better(value, self.best):
            self.best, self.best_epoch = float(value), e
        if not keep:  # the loop's order: pruning, then early stopping, then the last epoch
            self.stopped_by = StopReason.PRUNED
        elif self.patience and e - self.best_epoch >= self.patience:
            self.stopped_by = StopReason.EARLY_STOPPING
        elif e >= self.epochs:
            self.stopped_by = StopReason.EPOCHS

    def seconds(self) -> float:
        """Simulated seconds of the whole trial: start-up plus the epochs it trained."""
        n = len(self.reported) + (self.stopped_by is StopReason.DIVERGED)
        return float(self.entry["startup_s"]) + float(sum(self.entry["epoch_s"][:n]))

    def result(self) -> dict[str, Any]:
        """What the child process of a real trial would have returned."""
        e = self.entry
        node = {"table": self.table.digest, "entry": e["index"], "seed": e["seed"],
                "distance": round(self.distance, 6), "config": e["config"]}
        timings = {"stopped_by": self.stopped_by, "simulated_s": self.seconds()}
        base = {"reported": list(self.reported), "wall_s": self.seconds(), "node": node,
                "timings": timings}
        broke = self.stopped_by in (StopReason.DIVERGED, StopReason.FAILED)
        if broke or e["status"] != "ok" and not self.reported:
            why = e.get("error") or f"the recorded run stopped at epoch {len(self.reported) + 1}"
            return {**base, "status": "failed", "error": f"(table) {why}"}
        at = self.best_epoch if self.patience else len(self.reported)  # patience keeps the best
        test = e["test"][at - 1] if at and at <= len(e["test"]) else None
        metrics = {"best_val": self.best, self.table.header["metric"]: test,
                   "epochs_trained": len(self.reported)}
        return {**base, "status": "ok", "metrics": metrics}


class TableEvaluator:
    """Answers trials from a table, in the study's process (see the module)."""

    where = "table"

    def __init__(self, table: Table | str | Path) -> None:
        self.table = table if isinstance(table, Table) else Table.load(table)

    def replay(self, spec: UnitSpec) -> Replay:
        from trainsmart_bench.tasks import resolve_task

        t = self.table
        params = dict(spec.params)
        task = resolve_task(t.header["task"]).resolve(spec.profile, **params)
        epochs, patience = int(task["epochs"]), int(task.get("patience", 0) or 0)
        if epochs > t.max_epochs:
            raise ConfigError(f"the table holds {t.max_epochs} epochs per run; a trial asked "
                              f"for {epochs}")
        entry, distance = t.lookup({k: params[k] for k in t.space.params})
        return Replay(t, entry, epochs, patience, distance)

    def __call__(self, spec: UnitSpec, timeout: float, on_epoch: EpochFn) -> dict[str, Any]:
        r = self.replay(spec)
        while not r.done:
            epoch, value, _ = r.next_epoch()
            keep = True
            if value is not None:
                keep = bool(on_epoch(EpochReport(epoch, value, epochs=r.epochs)))
            r.go(value, keep)
        return r.result()


def check_table(table: Table, task_name: str, backend: str, device: str,
                profile: str | None, params: Mapping[str, Any] | None = None) -> None:
    """A study must ask the table for what it holds: same task, backend, device and space, and
    pinned parameters it can answer: one of the table's configuration parameters, at most its
    epochs, any patience where its runs trained without early stopping, or the value its runs
    trained with."""
    from trainsmart_bench.tasks import resolve_task
    from trainsmart_bench.tuning.table_build import table_space

    h = table.header
    mine = {"task": task_name, "backend": backend, "device": device, "profile": profile}
    theirs = {k: h[k] for k in mine}
    if mine != theirs:
        raise ConfigError(f"{table.path} is a table of {theirs}, not {mine}")
    task = resolve_task(task_name)
    if table_space(task).to_dict() != h["space"]:
        raise ConfigError(f"{table.path}: the task's search space changed since the table was "
                          f"built; rebuild it")
    trained = task.resolve(profile, **h["fixed"]).params
    for k, v in (params or {}).items():
        ok = (k in h["space"] or (k == "epochs" and int(v) <= table.max_epochs)
              or (k == "patience" and not trained.get("patience")) or trained.get(k) == v)
        if not ok:
            raise ConfigError(f"{table.path}: its runs trained with {k}={trained.get(k)!r}; "
                              f"it cannot answer --set {k}={v!r}")


class SimulatedWorkers:
    """The parallel loop's back-end on a table: trials replayed on a simulated clock."""

    def __init__(self, evaluator: TableEvaluator) -> None:
        self.evaluator = evaluator
        self.now = 0.0
        self._events: list[tuple[float, int]] = []  # (time an epoch ends, trial number)
        self._replays: dict[int, Replay] = {}

    def start(self, number: int, spec: UnitSpec) -> None:
        r = self.evaluator.replay(spec)
        self._replays[number] = r
        self._schedule(number, self.now + float(r.entry["startup_s"]))

    def _schedule(self, number: int, at: float) -> None:
        _, _, secs = self._replays[number].next_epoch()
        heapq.heappush(self._events, (at + secs, number))

    def step(self, on_epoch, on_done) -> None:
        """The next epoch to end (in simulated time; ties by trial number)."""
        self.now, number = heapq.heappop(self._events)
        r = self._replays[number]
        epoch, value, _ = r.next_epoch()
        keep = True if value is None else bool(on_epoch(number, EpochReport(
            epoch, value, epochs=r.epochs)))
        r.go(value, keep)
        if not r.done:
            self._schedule(number, self.now)
            return
        del self._replays[number]
        on_done(number, r.result())

    def close(self) -> None:
        pass


def run_simulated(study: Any, evaluator: TableEvaluator, workers: int) -> None:
    """Run ``study`` (a ``StudyRun``) with ``workers`` trials in flight on simulated time."""
    from trainsmart_bench.tuning.parallel import run_parallel

    run_parallel(study, SimulatedWorkers(evaluator), workers)


def write_trials(path: Path, records: list[Any]) -> Path:
    """A table study's trial records in one gzip file (a study takes milliseconds to redo)."""
    target = path / TRIALS_FILE
    with gzip.open(target, "wt", encoding="utf-8", compresslevel=1) as fh:
        json.dump([r.to_dict() for r in records], fh, default=str, separators=(",", ":"))
    return target


def read_trials(path: Path) -> list[dict[str, Any]]:
    with gzip.open(path / TRIALS_FILE, "rt", encoding="utf-8") as fh:
        return json.load(fh)

