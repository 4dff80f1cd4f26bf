"""The Server scenario against a real server: the model behind Ray Serve, over HTTP on
127.0.0.1, driven by LoadGen from this process.

Each replica (``RaySettings.replicas``) loads the saved model the way a serving unit does
(``unit.load_served``: digests checked, the runtime prepared, its thread count set) and
answers ``POST /`` with one sample's raw bytes (the task's dtype and row shape); Ray Serve's
``serve.batch`` groups concurrent requests into batches of at most ``batch`` rows, waiting at
most ``batch_wait_ms``. The LoadGen client sends each of its queries as a request from a pool
of ``clients`` threads with keep-alive connections and completes the query when the answer
arrives, so the latency LoadGen measures includes HTTP, Ray Serve's routing and batching. The
highest valid rate is searched as in-process (``loadgen.find_server_rate``). With an
``address`` the replicas run on that Ray cluster (this process must run on its head node,
where the HTTP proxy listens). Ray Serve and Ray are shut down at the end, whatever happened,
and the port is freed.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import socket
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from trainsmart_bench.serving import loadgen

READY_TIMEOUT = 300.0
# one request this long without an answer: the server has stopped answering (any latency
# bound worth testing is far below it)
REQUEST_TIMEOUT = 30.0
APP = "trainsmart"


@dataclass(frozen=True)
class RaySettings:
    replicas: int = 1
    batch_wait_ms: float = 2.0
    clients: int = 16  # the LoadGen client's concurrent HTTP connections
    address: str | None = None  # an existing cluster; None: a local one, started here

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_free(port: int) -> bool:
    """Nothing listens on the port any more (a connection is refused)."""
    with socket.socket() as s:
        s.settimeout(2)
        return s.connect_ex(("127.0.0.1", port)) != 0


REPLICA_HEADER = "x-trainsmart-replica"  # which replica answered: host:pid


class Replicas:
    """The replicas that answered, by the header each sets. More than were deployed means
    Ray Serve replaced one that died: its restart would be measured as the server's speed,
    so the run fails instead."""

    def __init__(self, deployed: int) -> None:
        self.deployed = deployed
        self.seen: set[str] = set()

    def answered(self, response: http.client.HTTPResponse) -> None:
        self.seen.add(response.getheader(REPLICA_HEADER) or "?")

    def check(self) -> None:
        if len(self.seen) > self.deployed:
            raise RuntimeError(
                f"a Ray Serve replica died during the run and Serve started another: "
                f"{len(self.seen)} replicas answered ({', '.join(sorted(self.seen))}), "
                f"{self.deployed} deployed")


def serve_over_http(spec: Any, request: Any, x: np.ndarray, settings: loadgen.LoadSettings,
                    logs: Path, cal: loadgen.Calibration) -> dict[str, Any]:
    """The Server search against the deployed model; a server that fails to come up or dies
    on the way is a failed result (its reason, the port and whether it was freed), after Ray
    Serve and Ray are shut down."""
    ray_settings = RaySettings(**(request.ray or {}))
    port = free_port()
    info: dict[str, Any] = {**ray_settings.to_json(), "port": port}
    try:
        with deployed(spec, ray_settings, settings.batch, port):
            # the rates worth searching are what the server answers over HTTP, not in-process
            replicas = Replicas(ray_settings.replicas)
            http_cal = calibrate_http(port, x, ray_settings.clients, replicas)
            info["http_calibration"] = asdict(http_cal)
            system = http_system(port, ray_settings.clients, replicas)
            result = loadgen.find_server_rate(None, x, settings, logs, http_cal, system,
                                              "server-ray")
            info["replicas_seen"] = sorted(replicas.seen)
    except NotImplementedError:  # Ray Serve is not installed: a skip, not a failure
        raise
    except (RuntimeError, OSError, http.client.HTTPException) as exc:
        info["port_freed"] = port_free(port)
        freed = "freed" if info["port_freed"] else "STILL IN USE"
        return {"status": "failed", "ray": info,
                "error": f"{exc} (Ray Serve and Ray were shut down; port {port} {freed})"}
    result["ray"] = {**info, "port_freed": port_free(port)}
    return result


def http_client(port: int, replicas: Replicas) -> Any:
    """``post(row) -> (status, body)``: one request on this thread's keep-alive connection
    (opened again after a failure), its replica noted."""
    local = threading.local()

    def post(row: np.ndarray) -> tuple[int, bytes]:
        if getattr(local, "conn", None) is None:
            local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
        try:
            local.conn.request("POST", "/", body=np.ascontiguousarray(row).tobytes(),
                               headers={"Content-Type": "application/octet-stream"})
            response = local.conn.getresponse()
            said = response.read()
        except (OSError, http.client.HTTPException):
            local.conn = None
            raise
        replicas.answered(response)
        return response.status, said

    return post


def calibrate_http(port: int, x: np.ndarray, clients: int, replicas: Replicas,
                   requests: int = 200) -> loadgen.Calibration:
    """One request's latency (median of 20 in turn), and the rate of ``requests`` sent by
    ``clients`` threads at once."""
    import statistics
    import time

    send = http_client(port, replicas)

    def post(i: int) -> float:
        t = time.perf_counter()
        status, _ = send(x[i % len(x)])
        if status != 200:
            raise RuntimeError(f"Ray Serve answered HTTP {status}")
        return time.perf_counter() - t

    try:
        singles = [post(i) for i in range(20)]
    except (OSError, http.client.HTTPException) as exc:
        raise RuntimeError(f"Ray Serve did not answer on port {port}: "
                           f"{type(exc).__name__}: {exc}") from exc
    with ThreadPoolExecutor(max_workers=clients) as pool:
        t = time.perf_counter()
        list(pool.map(post, range(requests)))
        rate = requests / (time.perf_counter() - t)
    replicas.check()
    return loadgen.Calibration(statistics.median(singles), rate)


@contextlib.contextmanager
def deployed(spec: Any, rs: RaySettings, batch: int, port: int | None = None) -> Iterator[int]:
    """Ray (local or ``rs.address``) with the model deployed on ``port`` (default: a free
    one); all stopped after, even when the deployment never came up."""
    try:
        import ray
        from ray import serve
    except ImportError as exc:
        raise NotImplementedError(f"Ray Serve is not installed ({exc}); "
                                  "pip install 'ray[serve]'") from exc
    from trainsmart_bench.env import thread_env

    port = port or free_port()
    # address "local": a Ray of our own, even where another one runs on this machine
    ray.init(address=rs.address or "local", include_dashboard=False, log_to_driver=False,
             logging_level="ERROR", num_cpus=None if rs.address else max(2, spec.threads + 1))
    try:
        serve.start(http_options={"host": "127.0.0.1", "port": port})
        app = deployment(spec, rs, batch, thread_env(spec.threads))
        try:
            serve.run(app, name=APP, route_prefix="/", blocking=False)
        except Exception as exc:  # noqa: BLE001 - the replica's own error is the reason
            raise RuntimeError(f"the Ray Serve deployment failed: {_why_failed(exc)}") from exc
        _wait_ready()
        yield port
    finally:
        with contextlib.suppress(Exception):
            serve.shutdown()
        ray.shutdown()


def _why_failed(exc: Exception) -> str:
    """What the deployment's replicas said when they failed (else the exception)."""
    from ray import serve

    with contextlib.suppress(Exception):
        app = serve.status().applications[APP]
        said = [d.message for d in app.deployments.values() if d.message]
        if said:  # a replica's traceback: its last line is the error
            return [line for line in said[-1].splitlines() if line.strip()][-1][:1500]
    return f"{type(exc).__name__}: {exc}"


def _wait_ready() -> None:
    """Until the application runs; a deployment that failed says why (its replica's error)."""
    import time

    from ray import serve

    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        app = serve.status().applications.get(APP)
        state = str(app.status) if app else "NOT_STARTED"
        if state.endswith("RUNNING"):
            return
        if state.endswith(("DEPLOY_FAILED", "UNHEALTHY")):
            raise RuntimeError(f"the Ray Serve deployment failed: {app.message}")
        time.sleep(0.5)
    raise RuntimeError(f"the Ray Serve deployment did not come up in {READY_TIMEOUT:.0f} s")


def deployment(spec: Any, rs: RaySettings, batch: int, env: dict[str, str]) -> Any:
    from ray import serve

    wait_s = rs.batch_wait_ms / 1000.0
    spec_json = spec.to_json()

    @serve.deployment(num_replicas=rs.replicas, max_ongoing_requests=max(batch * 4, 32),
                      ray_actor_options={"num_cpus": spec.threads,
                                         "runtime_env": {"env_vars": env}})
    class ServedModel:
        def __init__(self, spec_json: dict[str, Any]) -> None:
            import tempfile

            from trainsmart_bench.results.unit import UnitSpec
            from trainsmart_bench.serving.loaded import load_served
            from trainsmart_bench.serving.loadgen import warm_up

            self._dir = tempfile.TemporaryDirectory(prefix="trainsmart-replica-")
            self.headers = {REPLICA_HEADER: f"{socket.gethostname()}:{os.getpid()}"}
            loaded = load_served(UnitSpec.from_json(spec_json), Path(self._dir.name))
            self.predict = loaded.served.predict
            self.row_shape = loaded.data.x_test.shape[1:]
            self.dtype = loaded.data.x_test.dtype
            warm_up(self.predict, loaded.data.x_test, batch)  # before the first request

        def __del__(self) -> None:  # Serve's graceful shutdown: the exported files go
            self._dir.cleanup()

        @serve.batch(max_batch_size=batch, batch_wait_timeout_s=wait_s)
        async def infer(self, rows: list[np.ndarray]) -> list[bytes]:
            out = np.asarray(self.predict(np.stack(rows)), np.float32)
            return [o.tobytes() for o in out]

        async def __call__(self, request: Any) -> Any:
            from starlette.responses import Response

            row = np.frombuffer(await request.body(), self.dtype).reshape(self.row_shape)
            return Response(await self.infer(row), media_type="application/octet-stream",
                            headers=self.headers)

    return ServedModel.bind(spec_json)


def http_system(port: int, clients: int, replicas: Replicas) -> Any:
    """LoadGen's SUT callbacks as an HTTP client of the deployment. A failed request fails
    the run: what is left is completed unsent, and the run raises when LoadGen is done, as
    it does when a replica was replaced on the way."""
    send = http_client(port, replicas)

    def make(lg: Any, scenario: str, predict: Any, x: np.ndarray, batch: int) -> tuple:
        pool = ThreadPoolExecutor(max_workers=clients, thread_name_prefix="loadgen-http")
        errors: list[str] = []

        def post(sample: Any) -> None:
            if errors:  # the run has failed: what is left completes at once, unsent
                lg.QuerySamplesComplete([lg.QuerySampleResponse(sample.id, 0, 0)])
                return
            try:
                status, said = send(x[sample.index])
                if status != 200:
                    errors.append(f"HTTP {status} "
                                  f"{said[:200].decode(errors='replace').strip()}")
            except (OSError, http.client.HTTPException) as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
            lg.QuerySamplesComplete([lg.QuerySampleResponse(sample.id, 0, 0)])

        def issue(samples: list) -> None:
            for s in samples:
                pool.submit(post, s)

        def stop() -> None:
            pool.shutdown(wait=True)
            if errors:
                raise RuntimeError(f"Ray Serve stopped answering during a LoadGen run: "
                                   f"{errors[0]}"
                                   + (f" ({len(errors)} requests failed)"
                                      if len(errors) > 1 else ""))
            replicas.check()

        return issue, lambda: None, stop

    return make
