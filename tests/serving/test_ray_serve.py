"""The Server scenario behind Ray Serve over HTTP on 127.0.0.1: the deployment comes up,
answers what the model predicts, is driven by LoadGen, and is stopped with its port freed,
also when it never comes up (serving.ray_serve)."""

from __future__ import annotations

import http.client
import re
import tempfile
from pathlib import Path

import numpy as np
import pytest

from trainsmart_bench.execution.matrix import Cell, Settings, run_matrix
from trainsmart_bench.results.records import Status
from trainsmart_bench.results.store import RecordStore
from trainsmart_bench.results.unit import UnitSpec

pytest.importorskip("torch")
pytest.importorskip("mlperf_loadgen")
pytest.importorskip("ray.serve")
pytestmark = [pytest.mark.xdist_group("ray"), pytest.mark.slow]


@pytest.fixture(scope="module")
def kept(tmp_path_factory):
    results = tmp_path_factory.mktemp("kept")
    settings = Settings(params={"epochs": 2}, threads=1, save_models=str(results / "models"))
    (run,) = run_matrix([Cell("digits-mlp", "torch", "cpu", 0)], RecordStore(results), settings)
    return results, run


def spec_of(run, model=None):
    from trainsmart_bench.serving.loaded import ServeRequest
    from trainsmart_bench.serving.loadgen import LoadSettings

    request = ServeRequest(model=model or dict(run.model), runtime="native",
                           scenarios=("server-ray",), settings=LoadSettings().to_json(),
                           log_dir="unused", params=dict(run.params))
    return UnitSpec.build(run.task, run.backend, device="cpu", seed=0, threads=1,
                          serve=request.to_json())


def test_the_deployment_answers_what_the_model_predicts_and_stops(kept):
    import ray

    from trainsmart_bench.serving.ray_serve import RaySettings, deployed, port_free

    _, run = kept
    trained = np.load(run.model["test_predictions"]["path"])
    from trainsmart_bench.tasks import get_task
    from trainsmart_bench.training.data import prepare

    x = prepare(get_task("digits-mlp").resolve(None, **run.params), None, backend="torch").x_test
    before = set(Path(tempfile.gettempdir()).glob("trainsmart-replica-*"))
    with deployed(spec_of(run), RaySettings(batch_wait_ms=1), 8) as port:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for i in (0, 5):
            conn.request("POST", "/", body=x[i].tobytes())
            response = conn.getresponse()
            assert response.status == 200
            assert np.allclose(np.frombuffer(response.read(), np.float32), trained[i], atol=1e-6)
    assert port_free(port) and not ray.is_initialized()
    # the replica's exported files went with it
    assert set(Path(tempfile.gettempdir()).glob("trainsmart-replica-*")) <= before


def test_a_deployment_that_cannot_start_says_why_and_frees_everything(kept):
    import ray

    from trainsmart_bench.serving import ray_serve

    _, run = kept
    broken = {**run.model, "sha256": "0" * 64}  # the replica refuses a model not as recorded
    ports = []
    real_free_port = ray_serve.free_port

    def remember() -> int:
        ports.append(real_free_port())
        return ports[-1]

    ray_serve.free_port = remember
    try:
        with pytest.raises(RuntimeError, match="deployment failed.*does not match the digest"), \
                ray_serve.deployed(spec_of(run, broken), ray_serve.RaySettings(), 8):
            pass
    finally:
        ray_serve.free_port = real_free_port
    assert ray_serve.port_free(ports[0]) and not ray.is_initialized()


def test_loadgen_drives_the_server_scenario_over_http(kept):
    from trainsmart_bench.results.inference import InferenceStore
    from trainsmart_bench.serving.matrix import ServeSettings, serve_runs

    results, run = kept
    settings = ServeSettings(runtimes=("native",), scenarios=("server-ray",), threads=1,
                             quick_duration_ms=500, search_steps=2, server_latency_ms=200,
                             ray={"replicas": 1, "batch_wait_ms": 1.0, "clients": 4})
    (record,) = serve_runs([run], settings, InferenceStore(results), results)
    assert record.status is Status.OK, record.error
    assert record.scenario == "server-ray" and record.gated
    ray_info = record.loadgen["ray"]
    assert ray_info["port_freed"] and ray_info["clients"] == 4
    assert ray_info["http_calibration"]["batch_rate"] > 0
    assert len(record.loadgen["search"]) == 2
    assert record.identity_fields["load"]["ray"]["batch_wait_ms"] == 1.0
    assert Path(record.loadgen["log_dir"], "mlperf_log_detail.txt").is_file()


def _replicas() -> list:
    import psutil

    out = []
    for p in psutil.process_iter(["cmdline"]):
        if any("ServeReplica:trainsmart" in part for part in p.info["cmdline"] or ()):
            out.append(p)
    return out


def test_a_server_that_dies_mid_run_is_a_recorded_failure_and_the_rest_stands(kept, tmp_path):
    """The replica is killed while LoadGen drives it: that scenario is a failed record that
    says so, Ray is gone and the port freed; the scenario before it keeps its figures."""
    import threading
    import time

    from trainsmart_bench.results.inference import InferenceStore
    from trainsmart_bench.serving.matrix import ServeSettings, serve_runs

    _, run = kept
    killed: list[int] = []
    stop = threading.Event()

    def kill_once_loadgen_drives_it() -> None:
        while not stop.is_set():
            if list(tmp_path.glob("inference/loadgen/*/*/server-ray/rate0")):
                time.sleep(0.5)  # LoadGen is issuing queries by now
                for p in _replicas():
                    killed.append(p.pid)
                    p.kill()
                return
            time.sleep(0.1)

    killer = threading.Thread(target=kill_once_loadgen_drives_it, daemon=True)
    killer.start()
    settings = ServeSettings(runtimes=("native",), scenarios=("single-stream", "server-ray"),
                             threads=1, quick_duration_ms=3000, search_steps=2,
                             server_latency_ms=200,
                             ray={"replicas": 1, "batch_wait_ms": 1.0, "clients": 4})
    store = InferenceStore(tmp_path)
    try:
        records = serve_runs([run], settings, store, tmp_path, resume=False)
    finally:
        stop.set()
        killer.join(timeout=10)
    assert killed, "the replica was never seen running"
    by = {r.scenario: r for r in records}
    assert by["single-stream"].status is Status.OK, by["single-stream"].error
    assert by["single-stream"].metrics["latency_p90"] > 0
    dead = by["server-ray"]
    assert dead.status is Status.FAILED
    # Serve restarts the replica: its answers come from another process (or, when a request
    # was in flight, that request fails); either way the run fails and says so
    assert re.search(r"replica died during the run and Serve started another: 2 replicas "
                     r"answered|Ray Serve stopped answering", dead.error), dead.error
    assert f"port {dead.loadgen['ray']['port']} freed" in dead.error
    assert dead.loadgen["ray"]["port_freed"] is True
    assert not _replicas()
    assert sorted(r.scenario for r in store) == ["server-ray", "single-stream"]  # both kept
