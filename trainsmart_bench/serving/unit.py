"""One serving unit, in its own process: a saved model, one runtime, its scenarios.

The objective ``serve_unit`` runs in the one child entry (``training.child``), given a
``UnitSpec`` whose ``serve`` is a ``loaded.ServeRequest``. It loads the model
(``loaded.load_served``: digests checked, the runtime prepared: ``prepare_s``, apart from
every clock below), runs the accuracy gate on the whole test split, calibrates, and drives
LoadGen through each scenario; ``server-ray`` puts the model behind Ray Serve first
(``ray_serve``). A scenario that fails (a server that dies, a missing package) is a failed or
skipped result of its own, with its reason; the scenarios before and after it stand.
"""

from __future__ import annotations

import shutil
import time
import traceback
from dataclasses import asdict
from pathlib import Path
from typing import Any

from trainsmart_bench.serving.loaded import ServeRequest, load_served, verify

__all__ = ["ServeRequest", "load_served", "serve_unit", "verify"]


def serve_unit(spec: Any, on_epoch: Any = None) -> dict[str, Any]:
    from trainsmart_bench.env import thread_pools
    from trainsmart_bench.metrics.resources import peak_host_memory
    from trainsmart_bench.serving import gate, loadgen

    request = ServeRequest.from_json(dict(spec.serve))
    artifacts = Path(request.log_dir) / "artifact"  # the exported model, kept beside its logs
    if artifacts.exists():
        shutil.rmtree(artifacts)
    artifacts.mkdir(parents=True)
    loaded = load_served(spec, artifacts)
    served, data, task = loaded.served, loaded.data, loaded.task
    t = time.perf_counter()
    out = gate.predict_all(served.predict, data.x_test)  # the first call warms it up
    loaded.timings["gate_s"] = time.perf_counter() - t
    verdict = gate.check(out, loaded.trained, data.y_test, task.spec.is_classification,
                         task.spec.metric)
    settings = loadgen.LoadSettings(**request.settings)
    cal = loadgen.calibrate(served.predict, data.x_test, settings.batch)
    results = {}
    for scenario in request.scenarios:
        logs = Path(request.log_dir) / scenario
        try:
            if scenario == "server-ray":
                from trainsmart_bench.serving.ray_serve import serve_over_http

                results[scenario] = serve_over_http(spec, request, data.x_test, settings,
                                                    logs, cal)
            elif scenario == "server":
                results[scenario] = loadgen.find_server_rate(served.predict, data.x_test,
                                                             settings, logs, cal)
            else:
                results[scenario] = loadgen.run(scenario, served.predict, data.x_test,
                                                settings, logs, cal)
        except NotImplementedError as exc:  # a package this scenario needs is missing
            results[scenario] = {"status": "skipped", "error": str(exc)}
        except Exception as exc:  # noqa: BLE001 - one scenario failing keeps the others
            results[scenario] = {"status": "failed", "error": f"{type(exc).__name__}: {exc}",
                                 "traceback": traceback.format_exc(limit=20)}
    return {
        "status": "ok", "runtime": request.runtime, "exporter": served.exporter,
        "versions": served.versions, "artifact_bytes": served.artifact_bytes,
        "artifact": served.artifact,
        "gate": verdict, "calibration": asdict(cal), "scenarios": results,
        "timings": loaded.timings,
        "metrics": {"peak_host_memory": peak_host_memory(),
                    "peak_device_memory": loaded.backend.peak_device_memory()},
        "framework_version": loaded.backend.version(), "threads": thread_pools(),
    }
