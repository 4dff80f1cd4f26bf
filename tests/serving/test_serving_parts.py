"""Serving's parts in-process: names, the accuracy gate, LoadGen's scenarios and its log, and
each PyTorch and scikit-learn runtime against the trained model (serving.*)."""

from __future__ import annotations

import numpy as np
import pytest

from trainsmart_bench.errors import ConfigError
from trainsmart_bench.serving import gate
from trainsmart_bench.serving.names import parse_runtimes, parse_scenarios, runtimes_for


def test_names_are_checked_and_each_framework_has_its_runtimes():
    assert parse_runtimes("all") == ["native", "compiled", "exported", "onnxruntime"]
    assert parse_scenarios("offline,server,offline") == ["offline", "server"]
    with pytest.raises(ConfigError, match="unknown runtime 'tensorrt'.*onnxruntime"):
        parse_runtimes("native,tensorrt")
    with pytest.raises(ConfigError, match="unknown scenario 'burst'"):
        parse_scenarios("burst")
    assert runtimes_for("sklearn") == ["native", "onnxruntime"]
    assert runtimes_for("keras-jax") == runtimes_for("torch")
    with pytest.raises(ConfigError, match="no serving runtimes"):
        runtimes_for("none")


def test_the_gate_passes_the_same_predictions_and_fails_other_ones():
    rng = np.random.default_rng(0)
    trained = rng.dirichlet(np.ones(10), size=2000).astype(np.float32)
    y = trained.argmax(axis=1)
    y[:300] = (y[:300] + 1) % 10  # a model that is 85% right
    same = gate.check(trained + 1e-6, trained, y, True, "accuracy")
    assert same["passed"] and same["agreement"] == 1.0 and same["why"] is None
    assert same["test_metric"] == pytest.approx(0.85)
    flipped = trained.copy()
    flipped[:20] = np.roll(flipped[:20], 1, axis=1)  # 1% of the classes change
    bad = gate.check(flipped, trained, y, True, "accuracy")
    assert not bad["passed"] and "agree on 99.0" in bad["why"]
    ratings = rng.uniform(1, 5, 500)
    off = gate.check(ratings + 0.01, ratings, ratings, False, "rmse")
    assert not off["passed"] and "differs by 0.01" in off["why"]
    assert gate.check(ratings, ratings, ratings, False, "rmse")["passed"]


def test_loadgen_runs_every_scenario_and_reads_its_own_verdict(tmp_path):
    pytest.importorskip("mlperf_loadgen")
    from trainsmart_bench.serving import loadgen

    x = np.random.default_rng(0).random((256, 8), dtype=np.float32)
    calls = []

    def predict(rows: np.ndarray) -> np.ndarray:
        calls.append(len(rows))
        return rows.sum(axis=1)

    settings = loadgen.LoadSettings(batch=16, quick_duration_ms=300, search_steps=3,
                                    server_latency_ms=50)
    cal = loadgen.calibrate(predict, x, settings.batch)
    assert cal.latency_s > 0 and cal.batch_rate > 0
    # warmed up, untimed, on every size a dynamic batch can have
    assert calls[:16] == list(range(1, 17)) and cal.warmup_s > 0
    single = loadgen.run("single-stream", predict, x, settings, tmp_path / "ss", cal)
    assert single["validity"] in ("VALID", "INVALID") and single["loadgen_version"]
    assert single["queries"] >= loadgen.QUICK_MIN_QUERIES
    lat = single["latency_s"]
    assert 0 < lat["50"] <= lat["90"] <= lat["99"] <= lat["max"]
    assert single["effective"]["min_duration_ms"] == 300
    offline = loadgen.run("offline", predict, x, settings, tmp_path / "off", cal)
    assert offline["samples_per_s"] > 0 and max(calls) == 16  # batches of 16
    multi = loadgen.run("multi-stream", predict, x, settings, tmp_path / "ms", cal)
    assert multi["effective"]["samples_per_query"] == 8
    server = loadgen.find_server_rate(predict, x, settings, tmp_path / "srv", cal)
    assert len(server["search"]) == 3
    valid = [t["qps"] for t in server["search"] if t["validity"] == "VALID"]
    assert server["max_valid_qps"] == (max(valid) if valid else None)
    assert (tmp_path / "srv" / "rate0" / "mlperf_log_summary.txt").is_file()
    assert not list(tmp_path.rglob("mlperf_log_trace.json"))  # no per-query trace kept


def test_offline_is_run_again_when_the_runtime_beat_its_expected_rate(tmp_path):
    """LoadGen calls an Offline run INVALID when the single query it sized from the expected
    rate is answered before the minimum duration; the run is repeated expecting more."""
    pytest.importorskip("mlperf_loadgen")
    from trainsmart_bench.serving import loadgen

    x = np.random.default_rng(0).random((256, 8), dtype=np.float32)
    settings = loadgen.LoadSettings(batch=64, quick_duration_ms=300)
    too_low = loadgen.Calibration(latency_s=1e-3, batch_rate=500.0)  # 165 samples, at once
    result = loadgen.run("offline", lambda rows: rows.sum(axis=1), x, settings, tmp_path,
                         too_low)
    tried = result["expected_qps_tried"]
    assert tried[0] == 500.0 and len(tried) >= 2 and tried[1] > 500.0 * 10
    assert result["validity"] == "VALID", result["why"]
    assert result["effective"]["min_duration_ms"] == 300


def _digits(backend_name: str, epochs: int = 2):
    from trainsmart_bench.registry import resolve
    from trainsmart_bench.tasks import get_task
    from trainsmart_bench.training.data import prepare
    from trainsmart_bench.training.loop import train

    task = get_task("digits-mlp").resolve(None, epochs=epochs)
    backend = resolve("backend", backend_name)()
    backend.setup("cpu", 1, 0)
    data = prepare(task, None, backend=backend_name)
    return backend, task, data, train(backend, task, data, 0)


@pytest.mark.parametrize("runtime", ["native", "compiled", "exported", "onnxruntime"])
def test_each_torch_runtime_serves_what_the_model_predicted(tmp_path, runtime):
    pytest.importorskip("torch")
    if runtime == "onnxruntime":
        pytest.importorskip("onnxruntime")
        pytest.importorskip("onnxscript")
    from trainsmart_bench.serving.served import prepare

    backend, task, data, result = _digits("torch")
    backend.save_model(result.state, tmp_path / "m.pt")
    state = backend.load_model(tmp_path / "m.pt", task, data)
    served = prepare(runtime, "torch", backend, state, data.x_test, tmp_path, 1, "cpu")
    out = gate.predict_all(served.predict, data.x_test, batch=100)  # a short last batch
    verdict = gate.check(out, result.test_out, data.y_test, True, "accuracy")
    assert verdict["passed"], verdict
    assert verdict["max_abs_diff"] < 1e-4 and verdict["agreement"] == 1.0
    assert (served.artifact is None) == (runtime in ("native", "compiled"))


def test_sklearn_onnx_serves_the_fitted_baseline(tmp_path):
    pytest.importorskip("skl2onnx")
    pytest.importorskip("onnxruntime")
    from trainsmart_bench.serving.served import prepare

    backend, task, data, result = _digits("sklearn", epochs=1)
    backend.save_model(result.state, tmp_path / "m.joblib")
    state = backend.load_model(tmp_path / "m.joblib", task, data)
    for runtime in ("native", "onnxruntime"):
        served = prepare(runtime, "sklearn", backend, state, data.x_test, tmp_path, 1, "cpu")
        verdict = gate.check(gate.predict_all(served.predict, data.x_test), result.test_out,
                             data.y_test, True, "accuracy")
        assert verdict["passed"] and verdict["max_abs_diff"] < 1e-4, (runtime, verdict)
    with pytest.raises(NotImplementedError, match="sklearn has no compiled runtime"):
        prepare("compiled", "sklearn", backend, state, data.x_test, tmp_path, 1, "cpu")


def _http_server(on_request):
    """A local HTTP server in a thread; ``on_request(n)`` gives the n-th answer's replica
    header, or None to shut the server down (it stops answering)."""
    import http.server
    import threading

    from trainsmart_bench.serving.ray_serve import REPLICA_HEADER

    count = [0]

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            self.rfile.read(int(self.headers["Content-Length"]))
            count[0] += 1
            replica = on_request(count[0])
            if replica is None:  # stop listening, and drop this request
                threading.Thread(target=stop, daemon=True).start()
                self.close_connection = True
                return
            self.send_response(200)
            self.send_header(REPLICA_HEADER, replica)
            self.send_header("Content-Length", "4")
            self.end_headers()
            self.wfile.write(b"\0\0\0\0")

        def log_message(self, *args):
            pass

    def stop():
        server.shutdown()
        server.server_close()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.mark.parametrize("case", ["server stops", "server hangs", "replica replaced"])
def test_a_server_that_dies_during_a_loadgen_run_fails_it_at_once(tmp_path, case,
                                                                   monkeypatch):
    """The HTTP client LoadGen drives (serving.ray_serve): when the server stops answering,
    the rest of the run is not sent (no wait on a dead server), and the run fails saying why;
    answers from more replicas than were deployed (one replaced) fail it too."""
    pytest.importorskip("mlperf_loadgen")
    import threading
    import time

    from trainsmart_bench.serving import loadgen, ray_serve
    from trainsmart_bench.serving.ray_serve import Replicas, http_system

    monkeypatch.setattr(ray_serve, "REQUEST_TIMEOUT", 1.0)
    hung = threading.Event()
    if case == "server stops":
        server = _http_server(lambda n: "vm:1" if n <= 40 else None)
        want = r"Ray Serve stopped answering during a LoadGen run: \w+"
    elif case == "server hangs":  # each request after the 40th waits for ever
        server = _http_server(lambda n: "vm:1" if n <= 40 else hung.wait())
        want = r"Ray Serve stopped answering during a LoadGen run: TimeoutError"
    else:
        server = _http_server(lambda n: "vm:1" if n <= 40 else "vm:2")
        want = r"replica died during the run and Serve started another: 2 replicas " \
               r"answered \(vm:1, vm:2\), 1 deployed"
    x = np.zeros((64, 1), np.float32)
    settings = loadgen.LoadSettings(batch=8, quick_duration_ms=300)
    system = http_system(server.server_address[1], 4, Replicas(1))
    t = time.perf_counter()
    try:
        with pytest.raises(RuntimeError, match=want):
            loadgen.run("server-ray", None, x, settings, tmp_path, loadgen.Calibration(1e-3, 2e3),
                        target_qps=500.0, system=system)
    finally:
        hung.set()
        server.shutdown()
        server.server_close()
    # 700 queries at 500/s; after the first failure none is sent (a hung server would
    # otherwise hold each of the 660 left for the 1 s timeout)
    assert time.perf_counter() - t < 20
