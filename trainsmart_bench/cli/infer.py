"""``trainsmart infer``: train (or reuse) and keep models, then serve each through every
runtime and LoadGen scenario; a summary per (task, backend, runtime)."""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from trainsmart_bench.cli.options import DEVICES, add_timeout, parse_overrides, split
from trainsmart_bench.cli.run import LiveProgress, check_profile, interleaved
from trainsmart_bench.errors import ConfigError
from trainsmart_bench.execution.matrix import Settings, run_matrix
from trainsmart_bench.registry import names
from trainsmart_bench.results.inference import InferenceRecord, InferenceStore
from trainsmart_bench.results.inference_summary import DeployRow, as_dicts, rows
from trainsmart_bench.results.records import Status
from trainsmart_bench.results.store import RecordStore
from trainsmart_bench.serving.names import DEFAULT_SCENARIOS, parse_runtimes, parse_scenarios
from trainsmart_bench.tasks import get_task, parse_tasks

console = Console(highlight=False)


def add_parser(sub, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("infer", parents=[common],
                       help="serve trained models: runtimes x MLPerf LoadGen scenarios")
    p.add_argument("--task", required=True, help="comma-separated tasks (trainsmart tasks)")
    p.add_argument("--backend", default="torch,keras",
                   help=f"comma-separated: {', '.join(names('backend'))} (default torch,keras)")
    p.add_argument("--device", default="cpu", help="cpu or cuda (default cpu)")
    p.add_argument("--seeds", type=int, default=1, help="trained models per cell (default 1)")
    p.add_argument("--profile", help="a task profile, e.g. quick")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="a training hyperparameter, as in run")
    p.add_argument("--runtime", default="all",
                   help="comma-separated: native, compiled, exported, onnxruntime (default all "
                        "that the model's framework has)")
    p.add_argument("--scenario", default=",".join(DEFAULT_SCENARIOS),
                   help="comma-separated: single-stream, multi-stream, offline, server, "
                        "server-ray (the Server scenario against Ray Serve over HTTP on "
                        "127.0.0.1), or all (default single-stream,offline,server)")
    p.add_argument("--batch", default="32",
                   help="comma-separated batch sizes for Offline and the Server's dynamic "
                        "batching (default 32)")
    p.add_argument("--server-latency-ms", type=float, default=10.0,
                   help="the Server scenario's p99 latency bound (default 10)")
    p.add_argument("--replicas", type=int, default=1,
                   help="server-ray: Ray Serve replicas of the model (default 1)")
    p.add_argument("--batch-wait-ms", type=float, default=2.0,
                   help="server-ray: the longest a request waits to fill a batch (default 2)")
    p.add_argument("--ray-address", metavar="ADDR",
                   help="server-ray: deploy on this Ray cluster (run infer on its head node); "
                        "default: a local Ray started for the scenario")
    p.add_argument("--mlperf", action="store_true",
                   help="LoadGen's own minimum duration and query counts (minutes per "
                        "scenario); default: quick (2 s, 100 queries), which LoadGen still "
                        "judges but which is not valid in MLPerf's sense")
    p.add_argument("--results", default="runs", help="record directory (default ./runs)")
    p.add_argument("--threads", type=int,
                   help="intra-op threads of each serving process (default: physical cores); "
                        "models train as `trainsmart run` trains them, so its records are "
                        "reused")
    add_timeout(p, 1800.0, "seconds per training run and per serving unit")
    p.add_argument("--no-resume", dest="resume", action="store_false",
                   help="serve again what is already recorded (models are reused)")
    p.add_argument("--format", choices=("table", "json", "csv"), default="table")
    p.set_defaults(func=cmd_infer, start="warm")


def batches(text: str) -> tuple[int, ...]:
    try:
        out = tuple(dict.fromkeys(int(b) for b in text.split(",") if b.strip()))
    except ValueError:
        out = ()
    if not out or min(out) < 1:
        raise ConfigError(f"--batch {text!r}: expected positive whole numbers, e.g. 1,32")
    return out


def cmd_infer(args) -> int:
    from trainsmart_bench.datasets import get_loader
    from trainsmart_bench.env import default_threads, environment
    from trainsmart_bench.serving.matrix import ServeSettings, serve_runs

    tasks = parse_tasks(args.task)
    backends = split(args.backend, names("backend"), "backend")
    devices = split(args.device, DEVICES, "device")
    runtimes, scenarios = parse_runtimes(args.runtime), parse_scenarios(args.scenario)
    sizes = batches(args.batch)
    if not (math.isfinite(args.server_latency_ms) and args.server_latency_ms > 0):
        raise ConfigError("--server-latency-ms must be a positive number of milliseconds")
    if args.seeds < 1:
        raise ConfigError("--seeds must be at least 1")
    if args.replicas < 1 or not (math.isfinite(args.batch_wait_ms) and args.batch_wait_ms >= 0):
        raise ConfigError("--replicas must be at least 1 and --batch-wait-ms at least 0")
    if "server-ray" in scenarios:
        _require("ray.serve", "Ray Serve", "ray[serve]")
    check_profile(args.profile, tasks)
    params = parse_overrides(args.set)
    for t in tasks:
        get_task(t).resolve(get_task(t).profile_or_none(args.profile), **params)
    for dataset in sorted({get_task(t).dataset for t in tasks}):
        get_loader(dataset, args.data_dir).require()
    _require("mlperf_loadgen", "MLPerf's LoadGen", "trainsmart-bench[serve]")
    results = Path(args.results)
    threads = args.threads or default_threads()
    train = Settings(params=params, data_dir=args.data_dir, timeout=args.timeout,
                     save_models=str(results / "models"))
    cells = interleaved(tasks, backends, devices, args.seeds, args.profile)
    quiet = args.format != "table"
    with LiveProgress(len(cells), quiet) as live:
        runs = run_matrix(cells, RecordStore(results), train, on_plan=live.plan,
                          on_record=live.record, on_epoch=live.epoch)
    serve = ServeSettings(runtimes=tuple(runtimes), scenarios=tuple(scenarios), batches=sizes,
                          quick=not args.mlperf, server_latency_ms=args.server_latency_ms,
                          threads=threads, timeout=args.timeout, data_dir=args.data_dir,
                          ray={"replicas": args.replicas, "batch_wait_ms": args.batch_wait_ms,
                               "address": args.ray_address})
    out = console if not quiet else Console(stderr=True, highlight=False)
    records = serve_runs(runs, serve, InferenceStore(results), results, resume=args.resume,
                         env=environment(), on_record=lambda r, reused: _line(out, r, reused))
    render(records, args.format)
    if not quiet:
        console.print(f"records: {results / 'inference'}")
    failed = [r for r in records if r.status not in (Status.OK, Status.SKIPPED)]
    return 1 if failed or any(r.status is not Status.OK for r in runs
                              if r.status is not Status.SKIPPED) else 0


def _require(module: str, what: str, extra: str) -> None:
    import importlib.util

    try:
        found = importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        found = False
    if not found:
        raise ConfigError(f"trainsmart infer needs {what} here: pip install '{extra}'")


def _line(out: Console, r: InferenceRecord, reused: bool) -> None:
    what = f"{r.task} {r.backend} {r.runtime} {r.scenario}"
    if r.scenario in ("offline", "server", "server-ray"):
        what += f" batch {r.batch}"
    if r.status is not Status.OK:
        why = (r.error or "").splitlines()[0][:160] if r.error else ""
        out.print(escape(f"{r.status.value} {what}: {why}"), soft_wrap=True)
        return
    gate = "gate ok" if r.gated else f"GATE FAILED ({r.gate.get('why')})"
    out.print(escape(f"{'reused' if reused else 'served'} {what}: {gate}, LoadGen "
                     f"{r.loadgen.get('validity')}"), soft_wrap=True)


def render(records: list[InferenceRecord], fmt: str) -> None:
    summary = rows(records)
    if fmt == "json":
        print(json.dumps(as_dicts(summary), indent=1, default=str))
        return
    if fmt == "csv":
        data = as_dicts(summary)
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(dict.fromkeys(k for d in data for k in d)))
        writer.writeheader()
        writer.writerows(data)
        print(buf.getvalue(), end="")
        return
    for row in summary:
        _block(row)
    if any(r.quick for r in summary):
        from trainsmart_bench.serving.loadgen import (
            QUICK_MIN_DURATION_MS,
            QUICK_MIN_QUERIES,
            QUICK_SERVER_MIN_QUERIES,
        )

        console.print(f"quick LoadGen settings ({QUICK_MIN_DURATION_MS / 1000:g} s and "
                      f"{QUICK_MIN_QUERIES} queries minimum, the Server "
                      f"{QUICK_SERVER_MIN_QUERIES}): LoadGen's verdicts hold for those "
                      "settings, not in MLPerf's sense (--mlperf for that)", soft_wrap=True)


def _block(row: DeployRow) -> None:
    console.print(escape(f"{row.task} · {row.backend} · {row.device} · {row.runtime}"),
                  style="bold", soft_wrap=True)
    if row.status != "ok" and not row.figures:
        console.print(escape(f"  {row.status}: {row.why}"), soft_wrap=True)
        return
    g = row.gate
    agree = (f"classes agree {g['agreement']:.2%}" if "agreement" in g
             else f"max diff {g.get('max_abs_diff', 0):.2g}")
    verdict = "passed" if row.gate_passed else f"FAILED: {g.get('why')}"
    lines = [f"gate {verdict} ({agree}); test {g.get('metric')} {g.get('test_metric', 0):.4f}"
             f" (trained {g.get('trained_test_metric', 0):.4f})"]
    for label, s in row.figures.items():
        lines.append(f"{_name(label)} {_fmt(label, s)}")
    lines.append("LoadGen " + ", ".join(f"{k} {v}" for k, v in row.verdicts.items()))
    if row.status != "ok":  # a scenario that failed beside those that ran
        lines.append(f"{row.status}: {row.why}")
    for line in lines:
        console.print(escape(f"  {line}"), soft_wrap=True)


def _name(label: str) -> str:
    base, _, batch = label.partition("@")
    words = {"single_stream_p50": "single-stream p50", "single_stream_p90": "p90",
             "single_stream_p99": "p99", "multi_stream_p99": "multi-stream p99",
             "offline_samples_per_s": "offline", "server_max_qps": "server max valid",
             "ray_serve_max_qps": "Ray Serve (HTTP) max valid"}
    return words.get(base, base) + (f" (batch {batch})" if batch else "")


def _fmt(label: str, s) -> str:
    if s.median is None:
        return "n/a"
    if "samples_per_s" in label or "qps" in label:
        unit = " samples/s" if "samples" in label else " queries/s"
        text = f"{s.median:,.0f}{unit}"
        return text + (f" [{s.low:,.0f}-{s.high:,.0f}]" if s.n > 1 else "")
    text = f"{s.median * 1e3:.3g} ms"
    return text + (f" [{s.low * 1e3:.3g}-{s.high * 1e3:.3g}]" if s.n > 1 else "")
