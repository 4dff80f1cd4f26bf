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

``SimulatedStudy`` runs a table study with ``workers`` trials in flight, as Syne Tune's
simulated back-end does: a trial's epochs end at simulated times; the events are handled in
time order (ties by trial number), so a tuner's pruning decisions and its observations follow
simulated finish times; a worker that frees up gets the next suggestion at that time. With one
worker it proposes, prunes and observes exactly what the ordinary loop with a
``TableEvaluator`` does. The simulated clock counts training only: the tuner's own seconds
(suggest, observe, report) are measured and recorded apart, so a study is a deterministic
function of its seeds. Budgets: trials started, simulated seconds (no trial starts past it) and
epochs trained.
"""

from __future__ import annotations

import gzip
import heapq
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trainsmart_bench.errors import ConfigError
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
    stopped_by: str | None = None
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
            self.stopped_by = "diverged" if e <= len(self.entry["val"]) else "failed"
            return
        self.reported.append(float(value))
        if self.best is None or self.table.direction.better(value, self.best):
            self.best, self.best_epoch = float(value), e
        if not keep:  # the loop's order: pruning, then early stopping, then the last epoch
            self.stopped_by = "pruned"
        elif self.patience and e - self.best_epoch >= self.patience:
            self.stopped_by = "early_stopping"
        elif e >= self.epochs:
            self.stopped_by = "epochs"

    def seconds(self) -> float:
        """Simulated seconds of the whole trial: start-up plus the epochs it trained."""
        n = len(self.reported) + (self.stopped_by == "diverged")
        return float(self.entry["startup_s"]) + float(sum(self.entry["epoch_s"][:n]))

    def result(self) -> dict[str, Any]:
        """What the child process of a real trial would have returned."""
        e = self.entry
        node = {"table": self.table.digest, "entry": e["index"], "seed": e["seed"],
                "distance": round(self.distance, 6), "config": e["config"]}
        timings = {"stopped_by": self.stopped_by, "simulated_s": self.seconds()}
        base = {"reported": list(self.reported), "wall_s": self.seconds(), "node": node,
                "timings": timings}
        if self.stopped_by in ("diverged", "failed") or e["status"] != "ok" and not self.reported:
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

    def replay(self, spec: Mapping[str, Any]) -> Replay:
        from trainsmart_bench.tasks import resolve_task

        t = self.table
        params = dict(spec.get("params") or {})
        task = resolve_task(t.header["task"]).resolve(spec.get("profile"), **params)
        epochs, patience = int(task["epochs"]), int(task.get("patience", 0) or 0)
        if epochs > t.max_epochs:
            raise ConfigError(f"the table holds {t.max_epochs} epochs per run; a trial asked "
                              f"for {epochs}")
        entry, distance = t.lookup({k: params[k] for k in t.space.params})
        return Replay(t, entry, epochs, patience, distance)

    def __call__(self, spec: dict[str, Any], timeout: float, on_epoch) -> dict[str, Any]:
        r = self.replay(spec)
        while not r.done:
            epoch, value, _ = r.next_epoch()
            keep = True
            if value is not None:
                keep = bool(on_epoch({"epoch": epoch, "value": value, "epochs": r.epochs}))
            r.go(value, keep)
        return r.result()


def check_table(table: Table, task_name: str, backend: str, device: str,
                profile: str | None) -> None:
    """A study must ask the table for what it holds: same task, backend, device, space."""
    from trainsmart_bench.tasks import resolve_task
    from trainsmart_bench.tuning.table_build import table_space

    h = table.header
    mine = {"task": task_name, "backend": backend, "device": device, "profile": profile}
    theirs = {k: h[k] for k in mine}
    if mine != theirs:
        raise ConfigError(f"{table.path} is a table of {theirs}, not {mine}")
    if table_space(resolve_task(task_name)).to_dict() != h["space"]:
        raise ConfigError(f"{table.path}: the task's search space changed since the table was "
                          f"built; rebuild it")


@dataclass
class _Running:
    number: int
    raw: dict[str, Any]
    config: dict[str, Any]
    trial_id: int
    replay: Replay
    timings: dict[str, float]
    started: str
    start_t: float


def run_simulated(study: Any, evaluator: TableEvaluator, workers: int) -> None:
    """Run ``study`` (a ``StudyRun``) with ``workers`` trials in flight on simulated time."""
    sim = _Simulation(study, evaluator, max(1, int(workers)))
    sim.run()


class _Simulation:
    def __init__(self, study: Any, evaluator: TableEvaluator, workers: int) -> None:
        self.study, self.evaluator, self.workers = study, evaluator, workers
        self.events: list[tuple[float, int, int]] = []  # (time, trial number, epoch)
        self.running: dict[int, _Running] = {}
        self.now, self.started = 0.0, 0

    def _can_start(self) -> bool:
        c, s = self.study.config, self.study
        if self.started >= c.budget_trials:
            return False
        if c.budget_seconds is not None and self.now >= c.budget_seconds:
            return False
        epochs = sum(r.epochs for r in s.records) + sum(
            len(r.replay.reported) for r in self.running.values())
        return c.budget_epochs is None or epochs < c.budget_epochs

    def run(self) -> None:
        while True:
            while len(self.running) < self.workers and self._can_start():
                self._start()
            if not self.events:
                return
            t, number, _ = heapq.heappop(self.events)
            self.now = t
            self._epoch_end(self.running[number])

    def _start(self) -> None:
        s = self.study
        number = self.started
        self.started += 1
        started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        t = time.perf_counter()
        raw: dict[str, Any] = {}
        try:
            (raw,) = s.tuner.suggest(1)
            config = s.space.validate(raw)
            trial_id = s.tuner.trial_id(raw)
            replay = self.evaluator.replay(s._spec(config))
        except Exception as exc:  # noqa: BLE001 - a broken tuner costs a trial, not the study
            what = "invalid suggestion" if raw else "suggest() raised"
            rec = s._failed(number, raw, f"{what}: {type(exc).__name__}: {exc}",
                            {"suggest_s": time.perf_counter() - t}, started)
            self._finish_record(rec, self.now, self.now)
            return
        timings = {"suggest_s": time.perf_counter() - t, "report_s": 0.0}
        run = _Running(number, raw, config, trial_id, replay, timings, started, self.now)
        self.running[number] = run
        self._schedule(run, self.now + float(replay.entry["startup_s"]))

    def _schedule(self, run: _Running, at: float) -> None:
        _, _, secs = run.replay.next_epoch()
        heapq.heappush(self.events, (at + secs, run.number, len(run.replay.reported) + 1))

    def _epoch_end(self, run: _Running) -> None:
        s, r = self.study, run.replay
        epoch, value, _ = r.next_epoch()
        keep = True
        if value is not None:
            report = s._on_epoch(run.trial_id, run.timings)
            keep = report({"epoch": epoch, "value": value, "epochs": r.epochs})
        r.go(value, keep)
        if not r.done:
            self._schedule(run, self.now)
            return
        del self.running[run.number]
        result = r.result()
        timings = {**run.timings, "train_s": r.seconds()}
        rec = s._record(run.number, run.raw, run.config, result, timings, run.started)
        self._finish_record(rec, run.start_t, self.now)

    def _finish_record(self, rec: Any, start: float, end: float) -> None:
        from dataclasses import replace

        rec = replace(rec, timings={**rec.timings, "started_at": start, "finished_at": end})
        self.study.records.append(rec)
        if self.study.on_trial is not None:
            self.study.on_trial(rec)


def write_trials(path: Path, records: list[Any]) -> Path:
    """A table study's trial records in one gzip file (a study takes milliseconds to redo)."""
    target = path / TRIALS_FILE
    with gzip.open(target, "wt", encoding="utf-8") as fh:
        json.dump([r.to_dict() for r in records], fh, default=str)
    return target


def read_trials(path: Path) -> list[dict[str, Any]]:
    with gzip.open(path / TRIALS_FILE, "rt", encoding="utf-8") as fh:
        return json.load(fh)

