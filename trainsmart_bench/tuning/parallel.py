"""A study with W trials in flight: the loop, and its back-end for real trials on Ray.

``run_parallel(study, workers, n)`` keeps ``n`` trials running: whenever one ends (or at the
start) the tuner is asked for the next suggestion, until the budget is spent (trials started,
seconds on the back-end's clock, epochs trained; a running trial stops at the first epoch it
ends past an epochs or seconds budget, so with ``n`` in flight a study may train up to ``n - 1``
epochs past it); each epoch report goes to the tuner's
``report`` as it arrives, and each trial is observed when it ends, so a tuner sees results in
the order trials finish, as with Ray Tune's or Syne Tune's asynchronous schedulers. Records
are the ordinary loop's (``StudyRun._record``), with ``started_at`` and ``finished_at`` on the
back-end's clock; the study's summary gives best so far against that clock.

Back-ends: ``simulate.SimulatedWorkers`` (a tuning table, simulated time) and ``RayWorkers``
(real trials as Ray tasks on a cluster, ``execution.ray.RayCluster``: the same unit, process and
record as ``trainsmart tune --ray-address`` with one worker; wall-clock time).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

from trainsmart_bench.results.unit import EpochReport
from trainsmart_bench.tuning.records import TrialRecord


@dataclass
class _Running:
    raw: dict[str, Any]
    config: dict[str, Any]
    trial_id: int
    timings: dict[str, float]
    started: str
    start_t: float
    epochs: int = 0


class RayWorkers:
    """Real trials on a Ray cluster, each asking for its threads; the clock is wall time."""

    def __init__(self, cluster: Any, timeout: float, answers: bool) -> None:
        self.cluster, self.timeout, self.answers = cluster, timeout, answers
        self._t0 = time.perf_counter()

    @property
    def now(self) -> float:
        return time.perf_counter() - self._t0

    def start(self, number: int, spec: dict[str, Any]) -> None:
        self.cluster.submit(number, spec, self.timeout, self.answers)

    def step(self, on_epoch, on_done) -> None:
        self.cluster.wait(on_epoch, on_done, timeout=0.05)

    def close(self) -> None:
        self.cluster.cancel()


def run_parallel(study: Any, workers: Any, n: int, write: bool = False) -> None:
    """Run ``study`` (a ``StudyRun``) with ``n`` trials in flight on ``workers``; ``write``
    records each trial the moment it ends (real trials)."""
    _Loop(study, workers, max(1, int(n)), write).run()


class _Loop:
    def __init__(self, study: Any, workers: Any, n: int, write: bool) -> None:
        self.study, self.workers, self.n, self.write = study, workers, n, write
        self.running: dict[int, _Running] = {}
        self.started = study.records[-1].trial + 1 if study.records else 0  # after a resume

    def _can_start(self) -> bool:
        c, s = self.study.config, self.study
        if self.started >= c.budget_trials:
            return False
        if c.budget_seconds is not None and self.workers.now >= c.budget_seconds:
            return False
        epochs = sum(r.epochs for r in s.records) + sum(
            r.epochs for r in self.running.values())
        return c.budget_epochs is None or epochs < c.budget_epochs

    def run(self) -> None:
        try:
            while True:
                while len(self.running) < self.n and self._can_start():
                    self._start()
                if not self.running:
                    return
                self.workers.step(self._on_epoch, self._on_done)
        finally:
            self.workers.close()

    def _start(self) -> None:
        s = self.study
        number = self.started
        self.started += 1
        started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        now = self.workers.now
        asked = s._ask(number, started)
        if isinstance(asked, TrialRecord):
            self._finish(asked, now, now)
            return
        raw, config, trial_id, timings = asked
        self.running[number] = _Running(raw, config, trial_id, timings, started, now)
        self.workers.start(number, s._spec(config))  # a settings error stops the study

    def _spent(self, _report: EpochReport) -> bool:
        """The budget is used up (with the epoch just reported): the trial stops there."""
        c = self.study.config
        if c.budget_seconds is not None and self.workers.now >= c.budget_seconds:
            return True
        epochs = sum(r.epochs for r in self.study.records) + sum(
            r.epochs for r in self.running.values())
        return c.budget_epochs is not None and epochs >= c.budget_epochs

    def _on_epoch(self, number: int, report: EpochReport) -> bool:
        run = self.running[number]
        run.epochs += 1
        return bool(self.study._on_epoch(run.trial_id, run.timings, self._spent)(report))

    def _on_done(self, number: int, result: dict[str, Any]) -> None:
        run = self.running.pop(number)
        timings = {**run.timings, "train_s": float(result.get("wall_s", 0.0))}
        rec = self.study._record(number, run.raw, run.config, result, timings, run.started)
        self._finish(rec, run.start_t, self.workers.now)

    def _finish(self, rec: Any, start: float, end: float) -> None:
        from trainsmart_bench.tuning.records import record_trial

        rec = replace(rec, timings={**rec.timings, "started_at": start, "finished_at": end})
        self.study.records.append(rec)
        if self.write:
            record_trial(self.study.path, rec)
        if self.study.on_trial is not None:
            self.study.on_trial(rec)
