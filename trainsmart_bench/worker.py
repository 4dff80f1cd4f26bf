"""``python -m trainsmart_bench.worker SPEC OUT``: one run in a fresh process.

Reads a JSON spec, trains, and writes a JSON result atomically. The parent turns a crash,
a kill or a timeout of this process into a failed record; nothing here needs to survive that.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from trainsmart_bench.metrics.resources import peak_host_memory
from trainsmart_bench.records import atomic_write_json


def run_spec(spec: dict[str, Any], on_epoch=None) -> dict[str, Any]:
    """Train one (task, backend, device, seed) as the spec says; returns the result dict."""
    from trainsmart_bench.registry import BACKEND_EXTRAS, resolve
    from trainsmart_bench.tasks import get_task
    from trainsmart_bench.tasks.data import prepare
    from trainsmart_bench.trainer import SkipRun, train

    task = get_task(spec["task"]).resolve(spec.get("profile"), **spec.get("params", {}))
    out: dict[str, Any] = {"params": dict(task.params), "target": task.target}
    t = time.perf_counter()
    try:
        backend_cls = resolve("backend", spec["backend"])
    except ImportError as exc:
        extra = BACKEND_EXTRAS.get(spec["backend"], "all")
        raise SkipRun(f"backend {spec['backend']!r} is not installed ({exc}); "
                      f"pip install 'trainsmart-bench[{extra}]'") from exc
    backend = backend_cls()
    backend.check(task, spec["device"])
    if not backend.device_available(spec["device"]):
        raise SkipRun(f"device {spec['device']!r} is not available to {spec['backend']} here")
    backend.setup(spec["device"], int(spec["threads"]), int(spec["seed"]))
    import_s = time.perf_counter() - t
    t = time.perf_counter()
    data = prepare(task, spec.get("data_dir"), backend=spec["backend"])
    out["data_s"] = time.perf_counter() - t
    result = train(backend, task, data, int(spec["seed"]), on_epoch=on_epoch, import_s=import_s)
    result.metrics["peak_host_memory"] = peak_host_memory()
    out.update(
        status="ok",
        metrics=result.metrics,
        curve=result.curve,
        timings={**result.timings, "data_s": out.pop("data_s"), "stopped_by": result.stopped_by},
        reached_target=result.reached_target,
        framework_version=backend.version(),
        dataset={"name": data.dataset, "checksum": data.dataset_checksum,
                 "source": data.dataset_source},
    )
    return out


def main(argv: list[str] | None = None) -> int:
    from trainsmart_bench.trainer import SkipRun

    args = sys.argv[1:] if argv is None else argv
    spec = json.loads(Path(args[0]).read_text())
    try:
        result = run_spec(spec)
    except (SkipRun, NotImplementedError) as exc:
        result = {"status": "skipped", "error": str(exc) or type(exc).__name__}
    except Exception as exc:  # noqa: BLE001 - every failure becomes a record
        result = {"status": "failed", "error": f"{type(exc).__name__}: {exc}",
                  "traceback": traceback.format_exc(limit=20)}
    atomic_write_json(Path(args[1]), result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
