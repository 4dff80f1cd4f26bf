"""Serve every kept model of a set of runs: one process per (model, runtime, batch).

Before anything runs, each record's identity is worked out (``identity``): a record of the
same identity is reused, like a run. A runtime the model's framework lacks is a recorded
skip without a process; a unit that fails, times out or cannot export becomes failed or
skipped records for each of its scenarios, and the others go on. SingleStream and MultiStream
do not depend on the batch: they run with the first batch only, as batch 1 and 8.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from trainsmart_bench import __version__
from trainsmart_bench.env import package_version
from trainsmart_bench.execution.matrix import now
from trainsmart_bench.execution.process import run_unit
from trainsmart_bench.results.identity import digest
from trainsmart_bench.results.inference import InferenceRecord, InferenceStore
from trainsmart_bench.results.records import RunRecord, Status
from trainsmart_bench.results.unit import UnitSpec
from trainsmart_bench.serving.loaded import ServeRequest
from trainsmart_bench.serving.loadgen import (
    OFFLINE_TRIES,
    QUICK_MIN_DURATION_MS,
    QUICK_SERVER_MIN_QUERIES,
    SEARCH_STEPS,
    LoadSettings,
)
from trainsmart_bench.serving.names import MULTI_STREAM_SAMPLES, runtimes_for

OBJECTIVE = "trainsmart_bench.serving.unit:serve_unit"
PACKAGES = ("mlcommons-loadgen", "onnxruntime", "onnx", "onnxscript", "skl2onnx", "tf2onnx")
Listener = Callable[[InferenceRecord, bool], None]  # (record, reused?)


@dataclass(frozen=True)
class ServeSettings:
    runtimes: tuple[str, ...]
    scenarios: tuple[str, ...]
    batches: tuple[int, ...] = (32,)
    quick: bool = True
    server_latency_ms: float = 10.0
    threads: int = 1
    timeout: float = 1800.0
    data_dir: str | None = None
    quick_duration_ms: int = QUICK_MIN_DURATION_MS  # quick: LoadGen's minimum duration
    search_steps: int = SEARCH_STEPS  # the Server rate's bisection steps
    ray: dict[str, Any] | None = None  # server-ray: serving.ray_serve.RaySettings fields


def batch_of(scenario: str, batch: int) -> int:
    return {"single-stream": 1, "multi-stream": MULTI_STREAM_SAMPLES}.get(scenario, batch)


@lru_cache(maxsize=1)
def serving_packages() -> dict[str, str | None]:
    """The installed versions of what exports and drives the runtimes (looked up once)."""
    return {p: package_version(p) for p in PACKAGES}


def identity(run: RunRecord, runtime: str, scenario: str, batch: int,
             settings: ServeSettings) -> dict[str, Any]:
    load: dict[str, Any] = {"quick": settings.quick, "warmup": "every batch size"}
    if settings.quick:
        load["min_duration_ms"] = settings.quick_duration_ms
    if scenario in ("server", "server-ray"):
        load.update(server_latency_ms=settings.server_latency_ms, steps=settings.search_steps,
                    min_queries=QUICK_SERVER_MIN_QUERIES if settings.quick else None)
    if scenario == "offline":  # its expected rate is raised when the first was too low
        load["offline_tries"] = OFFLINE_TRIES
    if scenario == "server-ray":  # replicas, batching and clients decide its numbers too
        from trainsmart_bench.serving.ray_serve import RaySettings

        load["ray"] = RaySettings(**(settings.ray or {})).to_json()
    return {"run": run.identity, "model_sha256": (run.model or {}).get("sha256"),
            "runtime": runtime, "scenario": scenario, "batch": batch_of(scenario, batch),
            "load": load, "threads": settings.threads, "device": run.device,
            "packages": dict(serving_packages()),
            "suite_version": __version__}


def serve_runs(runs: Iterable[RunRecord], settings: ServeSettings, store: InferenceStore,
               results_dir: Path, *, resume: bool = True, env: dict[str, Any] | None = None,
               on_record: Listener | None = None) -> list[InferenceRecord]:
    done = store.by_identity() if resume else {}
    out: list[InferenceRecord] = []

    def keep(record: InferenceRecord, reused: bool) -> None:
        if not reused:
            store.write(record)
        out.append(record)
        if on_record:
            on_record(record, reused)

    for run in runs:
        if run.status is not Status.OK:
            continue
        for runtime in settings.runtimes:
            for i, batch in enumerate(settings.batches):
                scenarios = [s for s in settings.scenarios
                             if i == 0 or batch_of(s, batch) == batch]
                idents = {s: identity(run, runtime, s, batch, settings) for s in scenarios}
                todo = []
                for s in scenarios:
                    old = done.get(digest(idents[s]))
                    if old is not None:
                        keep(old, True)
                    else:
                        todo.append(s)
                if not todo:
                    continue
                records = serve_one(run, runtime, todo, batch, settings, idents, results_dir,
                                    env or {})
                for record in records:
                    keep(record, False)
    return out


def serve_one(run: RunRecord, runtime: str, scenarios: list[str], batch: int,
              settings: ServeSettings, idents: dict[str, dict[str, Any]], results_dir: Path,
              env: dict[str, Any]) -> list[InferenceRecord]:
    started = now()
    if runtime not in runtimes_for(run.backend):
        result = {"status": "skipped", "error": f"{run.backend} has no {runtime} runtime "
                  f"(its runtimes: {', '.join(runtimes_for(run.backend))})"}
    else:
        load = LoadSettings(batch=batch, quick=settings.quick,
                            server_latency_ms=settings.server_latency_ms,
                            quick_duration_ms=settings.quick_duration_ms,
                            search_steps=settings.search_steps)
        logs = results_dir / "inference" / "loadgen" / f"{run.key}__{run.identity[:10]}" / (
            f"{runtime}__b{batch}")
        request = ServeRequest(model=dict(run.model or {}), runtime=runtime,
                               scenarios=tuple(scenarios), settings=load.to_json(),
                               log_dir=str(logs.resolve()), params=dict(run.params),
                               ray=dict(settings.ray or {}))
        spec = UnitSpec.build(run.task, run.backend, device=run.device, seed=run.seed,
                              profile=run.profile, data_dir=settings.data_dir,
                              threads=settings.threads, serve=request.to_json())
        result = run_unit(spec.replace(objective=OBJECTIVE), settings.timeout)
    return [to_record(run, runtime, s, batch, result, idents[s], env, started, settings)
            for s in scenarios]


def to_record(run: RunRecord, runtime: str, scenario: str, batch: int, r: dict[str, Any],
              ident: dict[str, Any], env: dict[str, Any], started: str,
              settings: ServeSettings) -> InferenceRecord:
    status = Status(r.get("status", "failed"))
    result = (r.get("scenarios") or {}).get(scenario) or {}
    if status is Status.OK and result.get("status"):  # this scenario alone failed or skipped
        status, r = Status(result["status"]), {**r, **result}
    error = r.get("error")
    if r.get("traceback"):
        error = f"{error}\n{r['traceback']}"
    metrics: dict[str, float | None] = {}
    loadgen: dict[str, Any] = {"quick": settings.quick}
    if result.get("ray"):  # the deployment's settings and port, also when it failed
        loadgen["ray"] = result["ray"]
    if status is Status.OK and result:
        latency = result.get("latency_s") or {}
        metrics.update(latency_p50=latency.get("50"), latency_p90=latency.get("90"),
                       latency_p99=latency.get("99"), latency_mean=latency.get("mean"),
                       samples_per_s=result.get("samples_per_s"))
        if scenario in ("server", "server-ray"):
            metrics["server_max_qps"] = result.get("max_valid_qps")
        loadgen.update({k: result.get(k) for k in (
            "validity", "why", "queries", "target_qps", "loadgen_version", "log_dir",
            "settings", "errors", "search", "ray", "expected_qps_tried")})
        loadgen["effective"] = {k: (result.get("effective") or {}).get(k) for k in (
            "min_duration_ms", "min_query_count", "target_latency_ns",
            "target_latency_percentile", "samples_per_query", "target_qps")}
    if status is Status.OK:
        metrics["prepare_time"] = (r.get("timings") or {}).get("prepare_s")
        metrics["peak_host_memory"] = (r.get("metrics") or {}).get("peak_host_memory")
    return InferenceRecord(
        task=run.task, backend=run.backend, device=run.device, seed=run.seed,
        runtime=runtime, scenario=scenario, batch=batch_of(scenario, batch), status=status,
        profile=run.profile, mode=run.mode, metrics=metrics, gate=r.get("gate") or {},
        loadgen=loadgen, exporter=r.get("exporter"), error=error,
        env={**env, "versions": r.get("versions"), "threads": r.get("threads"),
             "calibration": r.get("calibration"), "timings": r.get("timings"),
             "artifact": r.get("artifact"), "artifact_bytes": r.get("artifact_bytes"),
             "node": r.get("node")},
        started=started, run_identity=run.identity, identity=digest(ident),
        identity_fields=ident)
