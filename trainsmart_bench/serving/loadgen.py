"""MLPerf Inference's LoadGen driving one runtime: SingleStream, MultiStream, Offline, Server.

LoadGen (``mlcommons-loadgen``) owns the clock, the query schedule and the verdict; this
module only answers its queries. The system under test is one ``predict`` over numpy rows:
* SingleStream: one sample a query, answered before the next is issued (latency p90);
* MultiStream: ``MULTI_STREAM_SAMPLES`` samples a query, one batch (latency p99);
* Offline: every sample at once, answered in batches of ``batch`` (samples per second);
* Server: Poisson arrivals at a target rate; a worker thread answers what has arrived, up to
  ``batch`` samples a batch (dynamic batching); the run is VALID when LoadGen's percentile
  latency stays under the bound. ``find_server_rate`` searches the highest valid rate.
LoadGen's expected latency and rate are set from a short calibration of the runtime (what an
MLPerf submitter puts in user.conf), so it schedules enough queries. ``quick`` lowers the
minimum duration and query count for a small machine and CI: LoadGen's verdict is still
given, and every record says such a result is not valid in MLPerf's sense.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from trainsmart_bench.serving.names import MULTI_STREAM_SAMPLES, SCENARIOS

Predict = Callable[[np.ndarray], np.ndarray]
QUICK_MIN_DURATION_MS = 2000
QUICK_MIN_QUERIES = 100
# the Server's p99 needs this many queries before LoadGen's early stopping can pass (it asks
# for about 660 with none over the bound): quick Server runs take at least this many
QUICK_SERVER_MIN_QUERIES = 700
QUICK_SERVER_MAX_DURATION_MS = 60_000
SEARCH_STEPS = 6
OFFLINE_TRIES = 3  # Offline runs, each expecting 1.5x the rate the last one reached


@dataclass(frozen=True)
class LoadSettings:
    """What decides LoadGen's numbers beyond the model and runtime (part of the identity)."""

    batch: int = 32  # Offline's batch, and the Server's largest dynamic batch
    quick: bool = True  # lower minimum duration and query count: not valid in MLPerf's sense
    server_latency_ms: float = 10.0  # the Server scenario's latency bound
    server_percentile: float = 0.99
    quick_duration_ms: int = QUICK_MIN_DURATION_MS  # quick: LoadGen's minimum duration
    search_steps: int = SEARCH_STEPS  # bisection steps of the Server's rate

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Calibration:
    latency_s: float  # one sample, median
    batch_rate: float  # samples per second at ``batch``
    warmup_s: float = 0.0  # the untimed warm-up before it (every batch size), reported apart


def warm_up(predict: Predict, x: np.ndarray, batch: int) -> None:
    """One call on every batch size the scenarios can form: the Server's dynamic batches are
    1 to ``batch`` rows, Offline's last batch any size, so a runtime that compiles per shape
    (XLA) compiles each here and not during a timed run."""
    for size in range(1, min(batch, len(x)) + 1):
        predict(x[:size])


def calibrate(predict: Predict, x: np.ndarray, batch: int, repeats: int = 20) -> Calibration:
    """Warm the runtime up (``warm_up``, untimed), then time one sample and one batch the
    way the system under test answers them: rows gathered at random, a response made per
    sample."""
    import mlperf_loadgen as lg

    rng = np.random.default_rng(0)
    t = time.perf_counter()
    warm_up(predict, x, batch)
    for _ in range(3):
        predict(x[:1]), predict(x[:batch])
    warmup_s = time.perf_counter() - t
    singles = []
    for i in range(repeats):
        t = time.perf_counter()
        predict(x[i % len(x):i % len(x) + 1])
        singles.append(time.perf_counter() - t)
    t, n = time.perf_counter(), 0
    while time.perf_counter() - t < 0.5 or n < 3:
        rows = rng.integers(0, len(x), batch)
        predict(x[[int(r) for r in rows]])
        [lg.QuerySampleResponse(int(r), 0, 0) for r in rows]
        n += batch
    return Calibration(float(np.median(singles)), float(n / (time.perf_counter() - t)),
                       warmup_s)


def run(scenario: str, predict: Predict, x: np.ndarray, settings: LoadSettings,
        outdir: Path, cal: Calibration, target_qps: float | None = None,
        system: Callable | None = None) -> dict[str, Any]:
    """One LoadGen test in performance mode; its results as LoadGen logged them. ``system``
    makes the SUT's callbacks instead of ``_system`` (a client of a remote server).

    Offline issues one query of ``expected rate x minimum duration`` samples: a runtime
    faster than calibrated answers it too soon, and LoadGen calls the run INVALID ("increase
    expected QPS"). As a submitter tunes user.conf, the test is then run again expecting
    1.5x the rate it reached (at most ``OFFLINE_TRIES`` runs; the logs are the last one's,
    every expected rate is in ``expected_qps_tried``)."""
    if scenario != "offline":
        return _run_once(scenario, predict, x, settings, outdir, cal, target_qps, system)
    tried = []
    for _ in range(OFFLINE_TRIES):
        tried.append(cal.batch_rate)
        result = _run_once(scenario, predict, x, settings, outdir, cal, target_qps, system)
        reached = result["samples_per_s"] or 0.0
        if result["validity"] == "VALID" or not result["min_duration_short"] or (
                reached <= cal.batch_rate):
            break
        cal = replace(cal, batch_rate=reached * 1.5)
    result["expected_qps_tried"] = tried
    return result


def _run_once(scenario: str, predict: Predict, x: np.ndarray, settings: LoadSettings,
              outdir: Path, cal: Calibration, target_qps: float | None,
              system: Callable | None) -> dict[str, Any]:
    import mlperf_loadgen as lg

    outdir.mkdir(parents=True, exist_ok=True)
    test = _test_settings(lg, "server" if scenario == "server-ray" else scenario, settings,
                          cal, target_qps)
    sut_issue, flush, stop = (system or _system)(lg, scenario, predict, x, settings.batch)
    sut = lg.ConstructSUT(sut_issue, flush)
    count = len(x)
    qsl = lg.ConstructQSL(count, count, lambda s: None, lambda s: None)  # rows are in memory
    log = lg.LogSettings()
    log.log_output.outdir = str(outdir)
    log.log_output.copy_summary_to_stdout = False
    # no per-query trace (mlperf_log_trace.json): a debugging aid, not a result, and about
    # 100 MB per Server run (the summary and detail logs hold every figure and the verdict)
    log.enable_trace = False
    try:
        lg.StartTestWithLogSettings(sut, qsl, test, log)
    finally:
        stop()
        lg.DestroyQSL(qsl)
        lg.DestroySUT(sut)
    trace = outdir / "mlperf_log_trace.json"  # LoadGen opens it even with no trace
    if trace.is_file() and trace.stat().st_size == 0:
        trace.unlink()
    return summarize(scenario, read_log(outdir / "mlperf_log_detail.txt"), settings, outdir)


def _test_settings(lg: Any, scenario: str, settings: LoadSettings, cal: Calibration,
                   target_qps: float | None) -> Any:
    test = lg.TestSettings()
    test.scenario = getattr(lg.TestScenario, SCENARIOS[scenario])
    test.mode = lg.TestMode.PerformanceOnly
    if settings.quick:  # and a bound on how long queries are issued, past a bad guess
        server = scenario == "server"
        test.min_duration_ms = settings.quick_duration_ms
        test.min_query_count = QUICK_SERVER_MIN_QUERIES if server else QUICK_MIN_QUERIES
        test.max_duration_ms = max(settings.quick_duration_ms * 5,
                                   QUICK_SERVER_MAX_DURATION_MS if server else 0)
    latency_ns = max(1, int(cal.latency_s * 1e9))
    test.single_stream_expected_latency_ns = latency_ns
    per_query = MULTI_STREAM_SAMPLES / max(cal.batch_rate, 1e-9)
    test.multi_stream_expected_latency_ns = max(1, int(per_query * 1e9))
    test.offline_expected_qps = max(1.0, cal.batch_rate)
    test.server_target_latency_ns = int(settings.server_latency_ms * 1e6)
    test.server_target_latency_percentile = settings.server_percentile
    if target_qps is not None:
        test.server_target_qps = float(target_qps)
    return test


def _system(lg: Any, scenario: str, predict: Predict, x: np.ndarray,
            batch: int) -> tuple[Callable, Callable, Callable]:
    """LoadGen's issue and flush callbacks for the scenario, and how to stop its worker."""
    def answer(samples: list) -> None:
        if len(samples) == 1:  # a view of the row, as a client holding one sample sends it
            i = samples[0].index
            predict(x[i:i + 1])
        else:
            predict(x[[s.index for s in samples]])
        lg.QuerySamplesComplete([lg.QuerySampleResponse(s.id, 0, 0) for s in samples])

    if scenario in ("single-stream", "multi-stream"):
        return answer, lambda: None, lambda: None
    if scenario == "offline":
        def offline(samples: list) -> None:
            for i in range(0, len(samples), batch):
                answer(samples[i:i + batch])

        return offline, lambda: None, lambda: None
    arrived: queue.SimpleQueue = queue.SimpleQueue()

    def worker() -> None:
        while (first := arrived.get()) is not None:
            samples = [first]
            while len(samples) < batch:
                try:
                    more = arrived.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    answer(samples)
                    return
                samples.append(more)
            answer(samples)

    thread = threading.Thread(target=worker, name="server-sut", daemon=True)
    thread.start()

    def issue(samples: list) -> None:
        for s in samples:
            arrived.put(s)

    def stop() -> None:
        arrived.put(None)
        thread.join(timeout=30)

    return issue, lambda: None, stop


def read_log(path: Path) -> dict[str, Any]:
    """LoadGen's detail log (``:::MLLOG {json}`` lines) as key -> value; errors apart."""
    out: dict[str, Any] = {"errors": [], "warnings": []}
    for line in path.read_text(errors="replace").splitlines():
        if not line.startswith(":::MLLOG "):
            continue
        try:
            entry = json.loads(line[len(":::MLLOG "):])
        except ValueError:
            continue
        meta = entry.get("metadata") or {}
        if meta.get("is_error"):
            out["errors"].append(str(entry.get("value")))
        elif meta.get("is_warning"):
            out["warnings"].append(str(entry.get("value")))
        out[entry["key"]] = entry.get("value")
    return out


def summarize(scenario: str, log: dict[str, Any], settings: LoadSettings,
              outdir: Path) -> dict[str, Any]:
    def ns(key: str) -> float | None:
        value = log.get(key)
        return None if value is None else float(value) / 1e9

    rate = {"offline": "result_samples_per_second",
            "server": "result_completed_samples_per_sec",
            "server-ray": "result_completed_samples_per_sec"}.get(
                scenario, "result_qps_with_loadgen_overhead")
    samples_per_query = MULTI_STREAM_SAMPLES if scenario == "multi-stream" else 1
    per_s = log.get(rate)
    if per_s is not None and scenario not in ("offline", "server", "server-ray"):
        per_s = float(per_s) * samples_per_query
    validity = log.get("result_validity") or "INVALID"
    why = [str(log[k]) for k in ("result_invalid_reason",) if log.get(k)]
    for key, label in (("result_min_duration_met", "min duration"),
                       ("result_min_queries_met", "min queries"),
                       ("result_perf_constraints_met", "latency constraint"),
                       ("early_stopping_met", "early stopping")):
        if log.get(key) is False:
            why.append(f"{label} not met")
    return {
        "scenario": scenario, "validity": validity, "why": "; ".join(why) or None,
        "latency_s": {p: ns(f"result_{p}.00_percentile_latency_ns") for p in ("50", "90", "99")}
        | {"mean": ns("result_mean_latency_ns"), "max": ns("result_max_latency_ns")},
        "samples_per_s": None if per_s is None else float(per_s),
        "queries": log.get("result_query_count"),
        "target_qps": log.get("effective_target_qps"),
        "effective": {k[len("effective_"):]: v for k, v in log.items()
                      if k.startswith("effective_")},
        "loadgen_version": log.get("loadgen_version"),
        "errors": log["errors"], "log_dir": str(outdir), "settings": settings.to_json(),
        "min_duration_short": log.get("result_min_duration_met") is False,
    }


def find_server_rate(predict: Predict, x: np.ndarray, settings: LoadSettings, outdir: Path,
                     cal: Calibration, system: Callable | None = None,
                     scenario: str = "server") -> dict[str, Any]:
    """The highest Server rate LoadGen calls VALID: bisection between 0 and the calibrated
    batch throughput (no rate above what batches can serve can be valid). Returns the best
    valid run (or the lowest tried, INVALID, when none was valid) with every step tried."""
    low, high = 0.0, max(1.0, cal.batch_rate * 1.05)
    tried, best = [], None
    for step in range(settings.search_steps):
        rate = (low + high) / 2
        result = run(scenario, predict, x, settings, outdir / f"rate{step}", cal, rate, system)
        tried.append({"qps": rate, "validity": result["validity"], "why": result["why"],
                      "p99_s": result["latency_s"]["99"]})
        if result["validity"] == "VALID":  # low only rises: the last valid run is the best
            low, best = rate, result
        else:
            high = rate
    best = best or result
    best["search"] = tried
    best["max_valid_qps"] = low or None
    return best
