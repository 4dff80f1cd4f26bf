"""Realistic result sets for the report tests, built from RunRecord objects, trial dicts and
inference records."""

from __future__ import annotations

import json
import math
import zlib
from pathlib import Path

import numpy as np

from trainsmart_bench.results import SCHEMA_VERSION, RecordStore, RunRecord, Status, metric

XSS = '<script>alert("pwned")</script>'

ENV = {
    "python": "3.11.9", "implementation": "CPython", "platform": "Linux-6.1-x86_64",
    "machine": "bench-01", "cpu": "AMD EPYC 7B13", "cpu_physical_cores": 2,
    "cpu_logical_cores": 2, "memory_bytes": 8 * 2**30, "gpus": [],
    "libraries": {"trainsmart-bench": "0.1.0", "numpy": "1.26.4", "torch": "2.3.1",
                  "keras": "3.3.3", "tensorflow-cpu": "2.16.1"},
    "commit": "4f2a9c1e", "env_vars": {"OMP_NUM_THREADS": "2"},
}

# task -> (metric, base quality, quality step per epoch sign, dataset, checksum)
TASKS = {
    "mnist-mlp": ("accuracy", 0.972, "mnist", "sha256:9d1c0e"),
    "movielens-mf": ("rmse", 0.885, "ml-latest-small", "sha256:41ab77"),
}
SPEED = {"torch": 1.0, "keras": 0.78}


def _curve(metric_name: str, final: float, epochs: int, rng) -> list[dict[str, float]]:
    out, wall = [], 0.4
    for e in range(1, epochs + 1):
        frac = 1 - math.exp(-e / 2.5)
        start = 0.90 if metric_name == "accuracy" else 1.05
        val = start + (final - start) * frac + rng.normal(0, 0.0015)
        epoch_s = 2.1 + rng.normal(0, 0.05) + (1.5 if e == 1 else 0)
        wall += epoch_s + 0.2
        out.append({"epoch": e, "loss": 0.5 / e, f"val_{metric_name}": float(val),
                    "prep_s": 0.05, "epoch_s": epoch_s, "eval_s": 0.2, "wall_s": wall})
    return out


def run(task: str, backend: str, seed: int, *, device: str = "cpu", env: dict | None = None,
        speed: float = 1.0) -> RunRecord:
    name, base, dataset, checksum = TASKS[task]
    rng = np.random.default_rng(zlib.crc32(f"{task}/{backend}/{seed}".encode()))
    quality = base + rng.normal(0, 0.002) + (0.001 if backend == "keras" else 0)
    curve = _curve(name, quality, 10, rng)
    target = 0.97 if name == "accuracy" else 0.90
    reach = [c["wall_s"] for c in curve
             if (c[f"val_{name}"] >= target if name == "accuracy" else c[f"val_{name}"] <= target)]
    s = SPEED[backend] * speed * (1 + rng.normal(0, 0.02))
    values = {
        name: quality, "train_throughput": 28000 * s, "inference_throughput": 210000 * s,
        "time_to_target": reach[0] if reach else None, "startup_time": 1.9 / s,
        "train_time": 21.0 / s, "peak_host_memory": (820 + 60 * seed) * 2**20,
        "peak_device_memory": None, "epochs_trained": 10, "param_count": 52650,
    }
    full_env = {**(env or ENV), "framework_version": (env or ENV)["libraries"][backend],
                "dataset": {"name": dataset, "checksum": checksum, "source": "canonical"}}
    return RunRecord(
        task=task, backend=backend, device=device, seed=seed, status=Status.OK,
        params={"lr": 1e-3, "batch_size": 128, "epochs": 10},
        metrics={k: metric(k, v) for k, v in values.items()}, curve=curve,
        timings={"import_s": 1.2, "build_s": 0.1}, target=target,
        reached_target=bool(reach), env=full_env, started=f"2024-06-0{seed + 1}T10:00:00+00:00",
    )


def not_ok(task: str, backend: str, seed: int, status: Status, error: str,
           device: str = "cuda", env: dict | None = None) -> RunRecord:
    return RunRecord(task=task, backend=backend, device=device, seed=seed, status=status,
                     error=error, env={**(env or ENV), "framework_version": None, "dataset": None},
                     started="2024-06-01T10:00:00+00:00")


def write_results(root: Path, *, speed: dict[str, float] | None = None,
                  env: dict | None = None, broken: bool = True) -> Path:
    """A results directory like `trainsmart run` leaves, plus malformed files when broken."""
    store = RecordStore(root / "runs")
    for task in TASKS:
        for backend in ("torch", "keras"):
            for seed in range(3):
                if task == "movielens-mf" and backend == "keras" and seed == 2:
                    store.write(not_ok(task, backend, seed, Status.TIMEOUT,
                                       "run exceeded 600 s and was killed", device="cpu", env=env))
                    continue
                store.write(run(task, backend, seed, env=env,
                                speed=(speed or {}).get(backend, 1.0)))
    for seed in range(3):
        store.write(not_ok("mnist-mlp", "torch", seed, Status.SKIPPED,
                           "device 'cuda' is not available to torch here", env=env))
        store.write(not_ok("mnist-mlp", "keras", seed, Status.FAILED,
                           f"RuntimeError: bad kernel {XSS}\nTraceback (most recent call last):\n"
                           '  File "keras.py", line 3\n' + XSS, env=env))
    if broken:
        bad = root / "runs"
        (bad / "truncated.json").write_text('{"task": "mnist-mlp", "backend": ')
        (bad / "old-schema.json").write_text(json.dumps({"schema_version": 0, "task": "x"}))
        partial = run("mnist-mlp", "torch", 7).to_dict()
        del partial["backend"]
        (bad / "partial.json").write_text(json.dumps(partial))
        odd = run("mnist-mlp", "torch", 8).to_dict()
        odd["status"] = f"exploded {XSS}"
        (bad / "odd-status.json").write_text(json.dumps(odd))
    return root


def write_tuning(root: Path, studies_per_tuner: int = 3, trials: int = 20,
                 running: bool = True) -> Path:
    """What `trainsmart tune` leaves: tune/<study-id>/trial-XXXX.json and study.json, written
    with study_records' own TrialRecord and summarize. One extra study is still running."""
    from trainsmart_bench.jsonfile import atomic_write_json
    from trainsmart_bench.tasks.spec import Direction
    from trainsmart_bench.tuning.records import StudyConfig, TrialRecord, record_trial, summarize

    plans = [(t, skill, seed, trials) for t, skill in (("random", 0.0), ("optuna-tpe", 0.6))
             for seed in range(studies_per_tuner)]
    if running:
        plans.append(("optuna-tpe", 0.6, studies_per_tuner, trials // 2))
    for tuner, skill, seed, n in plans:
        config = StudyConfig(task="digits-mlp", backend="torch", tuner=tuner, study_seed=seed)
        folder = root / "tune" / config.study_id
        rng = np.random.default_rng(seed * 17 + len(tuner))
        records = []
        for i in range(n):
            pull = skill * min(1.0, i / trials * 1.5)
            value = float(0.80 + 0.15 * (pull + (1 - pull) * rng.random()))
            failed = i == 5 and tuner == "random"
            rec = TrialRecord(
                study_id=config.study_id, trial=i, tuner=tuner, task="digits-mlp",
                backend="torch", device="cpu", study_seed=seed,
                status=Status.FAILED if failed else Status.OK, config={"lr": 0.01},
                value=None if failed else value, test_value=None if failed else value - 0.01,
                epochs=0 if failed else 30, error="RuntimeError: nan loss" if failed else None,
                timings={"suggest_s": 0.002 + 0.03 * skill, "train_s": 1.5 + rng.random(),
                         "observe_s": 0.001 + 0.01 * skill, "report_s": 0.0})
            record_trial(folder, rec)
            records.append(rec)
        if n == trials:
            summary = summarize(config, records, Direction.MAXIMIZE, {"optuna": "3.6.1"})
        else:
            summary = {"schema_version": SCHEMA_VERSION, "kind": "study", "state": "running",
                       "study_id": config.study_id, "config": {"task": "digits-mlp"}}
        atomic_write_json(folder / "study.json", summary)
    return root


HOSTILE = '<img src=x onerror=alert(1)>'  # a backend name that must stay text


def served(backend: str, runtime: str, seed: int, scenario: str, batch: int, *,
           seconds: float = 0.0, passed: bool = True, status: Status = Status.OK,
           error: str | None = None):
    """One inference record as `trainsmart infer` writes it (quick LoadGen settings)."""
    from trainsmart_bench.results.inference import InferenceRecord

    figure = ({"latency_p50": seconds * 0.8, "latency_p90": seconds, "latency_p99": seconds * 2}
              if scenario == "single-stream" else
              {"samples_per_s": 1 / seconds} if scenario == "offline" else
              {"server_max_qps": 0.25 / seconds})
    gate = {"passed": passed, "agreement": 1.0 if passed else 0.91, "metric": "accuracy",
            "test_metric": 0.97 if passed else 0.88, "trained_test_metric": 0.97,
            "max_abs_diff": 1e-6 if passed else 0.4,
            "tolerance": {"min_agreement": 0.999, "metric": 0.001},
            "why": None if passed else "predicted classes agree on 91.0000% of test rows"}
    ok = status is Status.OK
    return InferenceRecord(
        task="digits-mlp", backend=backend, device="cpu", seed=seed, runtime=runtime,
        scenario=scenario, batch=batch, status=status, metrics=figure if ok else {},
        gate=gate if ok else {}, error=error,
        exporter="torch.compile" if runtime == "compiled" else None,
        loadgen={"validity": "VALID", "quick": True,
                 "settings": {"quick": True, "quick_duration_ms": 2000,
                              "server_latency_ms": 10.0, "server_percentile": 0.99}} if ok else {},
        env={**ENV, "threads": {"torch": {"intra": 2, "inter": 1}}},
        identity=f"{backend}{runtime}{seed}{scenario}{batch}".encode().hex()[:16],
        identity_fields={"threads": 2})


def write_inference(root: Path) -> Path:
    """<root>/inference/ with: torch native over two seeds (an interval), torch compiled
    faster but failing the accuracy gate, onnxruntime skipped, a hostile backend name, an
    unreadable record and a LoadGen log (not a record) in loadgen/."""
    from trainsmart_bench.results.inference import InferenceStore

    store = InferenceStore(root)
    plans = [("torch", "native", (0, 1), 2e-3, True), ("torch", "compiled", (0,), 1e-3, False),
             (HOSTILE, "native", (0,), 3e-3, True)]
    for backend, runtime, seeds, seconds, passed in plans:
        for seed in seeds:
            for scenario, batch in (("single-stream", 1), ("offline", 32), ("server", 32)):
                store.write(served(backend, runtime, seed, scenario, batch,
                                   seconds=seconds * (1 + 0.1 * seed), passed=passed))
    store.write(served("torch", "onnxruntime", 0, "single-stream", 1, status=Status.SKIPPED,
                       error="onnxruntime is not installed (pip install onnxruntime)"))
    (store.root / "broken.json").write_text('{"kind": "inference", ')
    logs = store.root / "loadgen" / "run" / "native__b32"
    logs.mkdir(parents=True)
    (logs / "mlperf_log_accuracy.json").write_text("[]")
    return root
