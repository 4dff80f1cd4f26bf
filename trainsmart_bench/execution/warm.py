"""Warm starts: a fork server per framework that has imported it once, forking a fresh child
per unit.

A cold unit pays the interpreter's start, our package, and the framework's import (PyTorch
with the ``torch._dynamo`` that its optimizers load: about 3 s on two cores) before it trains.
``ForkServer`` pays them once: it starts ``python -m trainsmart_bench.execution.warm SOCKET
BACKEND`` with the unit's environment, imports the backend's adapter (and what its first model
build would import) without running a single operation (no thread pool, no RNG draw, no
allocator), and then, for each unit, forks. The forked child is a process of its own: its own
session (killed as a group, like a cold child), the parent's pipes and stderr file passed as
file descriptors, the parent's working directory, fresh entropy for ``random``, numpy's
global generator and PyTorch's default one, and then exactly the cold child's ``main``: it
seeds, sets its thread counts and trains as a cold child does, so curves are bit-identical
(``tests/execution/test_warm.py``).

Only frameworks that are fork-safe after import are started warm (``FORK_SAFE``): PyTorch on
the CPU (its DataLoader forks the same way) and Keras on TensorFlow. TensorFlow's import
starts no runtime: its eager context, thread pools and devices start at the first operation,
which happens in the unit, so the unit still sets its own thread counts (a test checks that
the runtime has not started when a unit begins). JAX starts its runtime's threads at import
and warns that a fork after it is unsafe, Keras on PyTorch installs import guards of its own,
and CUDA cannot be initialized in a forked child of a process that touched it: those units,
and every unit on a device other than ``cpu``, start cold. The server's one cold import is
measured and kept in each warm unit's record (``timings.warm.server_import_s``) and in its
``startup_time``, so startup is never hidden.

A server is keyed by everything the child inherits from it (interpreter, environment, working
directory); it dies with its parent (``PR_SET_PDEATHSIG``) and is closed at exit.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import selectors
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import IO

from trainsmart_bench.training import child

# What each server imports; keras-tf's, measured, never initializes TensorFlow's runtime (its
# eager context, thread pools and devices start at the first operation, in the child).
_KERAS_TF = ("trainsmart_bench.backends.keras_tf",)
FORK_SAFE = {"torch": ("trainsmart_bench.backends.torch", "torch.optim", "torch._dynamo"),
             "keras-tf": _KERAS_TF, "keras": _KERAS_TF}
READY_TIMEOUT = 120.0


def supports(backend: str, device: str) -> bool:
    return backend in FORK_SAFE and device == "cpu"


class WarmChild:
    """A forked unit as ``execution.process`` watches a ``subprocess.Popen``: ``pid`` (also
    its process group), ``stdin``/``stdout`` pipes, ``wait(timeout)`` and ``returncode``."""

    def __init__(self, pid: int, conn: socket.socket, stdin: IO[str], stdout: IO[str]) -> None:
        self.pid, self.stdin, self.stdout = pid, stdin, stdout
        self.returncode: int | None = None
        self._conn, self._buf = conn, b""

    def wait(self, timeout: float | None = None) -> int:
        """Its exit status, as the server reaped it (-9 if the server itself is gone)."""
        if self.returncode is not None:
            return self.returncode
        self._conn.settimeout(timeout)
        try:
            while not self._buf.endswith(b"\n"):
                chunk = self._conn.recv(256)
                if not chunk:
                    break
                self._buf += chunk
        except (TimeoutError, BlockingIOError):
            raise subprocess.TimeoutExpired(f"warm unit {self.pid}", timeout) from None
        self.returncode = (int(json.loads(self._buf)["status"]) if self._buf.endswith(b"\n")
                           else -9)
        for f in (self._conn, self.stdin):  # stdout: its reader sees the end by itself
            with contextlib.suppress(OSError):
                f.close()
        return self.returncode


class ForkServer:
    def __init__(self, env: dict[str, str], backend: str) -> None:
        self.backend = backend
        self._dir = tempfile.TemporaryDirectory(prefix="trainsmart-warm-")
        self.address = str(Path(self._dir.name, "socket"))
        cmd = [sys.executable, "-m", __name__, self.address, backend]
        self.proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True,
                                     start_new_session=True)
        ready: list[str] = []
        reader = threading.Thread(target=lambda: ready.append(self.proc.stdout.readline()),
                                  daemon=True)
        reader.start()
        reader.join(READY_TIMEOUT)
        if not ready or not ready[0].startswith("ready "):
            self.close()
            raise RuntimeError(f"the {backend} fork server did not start "
                               f"(exit status {self.proc.poll()})")
        self.import_s = float(ready[0].split()[1])

    def start(self, argv: list[str], stderr: IO[str]) -> WarmChild:
        """Fork a child running ``training.child.main(argv)``; returns it at once."""
        to_child, from_parent = os.pipe()
        from_child, to_parent = os.pipe()
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            conn.connect(self.address)
            message = json.dumps({"argv": argv, "cwd": os.getcwd()}).encode() + b"\n"
            socket.send_fds(conn, [message], [to_child, to_parent, stderr.fileno()])
            line = b""
            while not line.endswith(b"\n"):
                chunk = conn.recv(256)
                if not chunk:
                    raise RuntimeError(f"the {self.backend} fork server closed the connection")
                line += chunk
            pid = int(json.loads(line)["pid"])
        except BaseException:
            for fd in (from_parent, from_child):
                os.close(fd)
            conn.close()
            raise
        finally:
            os.close(to_child)
            os.close(to_parent)
        stdin = os.fdopen(from_parent, "w", buffering=1)
        stdout = os.fdopen(from_child, "r")
        return WarmChild(pid, conn, stdin, stdout)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, 9)
        self.proc.wait()
        self.proc.stdout.close()
        self._dir.cleanup()


_servers: dict[str, ForkServer] = {}
_lock = threading.Lock()


def server(backend: str, env: dict[str, str]) -> ForkServer:
    """The running server for (backend, interpreter, environment, working directory)."""
    key = json.dumps([backend, sys.executable, os.getcwd(), sorted(env.items())])
    with _lock:
        s = _servers.get(key)
        if s is None or not s.alive():
            s = _servers[key] = ForkServer(env, backend)
        return s


@atexit.register
def close_all() -> None:
    with _lock:
        for s in _servers.values():
            s.close()
        _servers.clear()


# -- the server process -----------------------------------------------------------------------


def serve(address: str, backend: str) -> None:
    child.die_with_parent()
    t = time.perf_counter()
    for module in FORK_SAFE[backend]:
        __import__(module)
    import_s = time.perf_counter() - t
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(address)
    listener.listen(16)
    sys.stdout.write(f"ready {import_s}\n")
    sys.stdout.flush()
    waiting: dict[int, socket.socket] = {}  # child pid -> its parent's connection
    sel = selectors.DefaultSelector()
    sel.register(listener, selectors.EVENT_READ)
    while True:
        for _key, _ in sel.select(timeout=0.02):
            conn, _ = listener.accept()
            pid = _fork(conn, listener, import_s)
            if pid:
                waiting[pid] = conn
        for pid in list(waiting):
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                conn = waiting.pop(pid)
                with contextlib.suppress(OSError):
                    conn.sendall(json.dumps({"status": os.waitstatus_to_exitcode(status)})
                                 .encode() + b"\n")
                conn.close()


def _fork(conn: socket.socket, listener: socket.socket, import_s: float) -> int:
    """Receive one unit and fork its child; returns its pid (0 when the request was bad)."""
    try:
        data, fds, _flags, _addr = socket.recv_fds(conn, 1 << 16, 3)
        request = json.loads(data)
        stdin, stdout, stderr = fds
    except (OSError, ValueError):
        conn.close()
        return 0
    pid = os.fork()
    if pid == 0:  # the unit's process
        try:
            listener.close()
            conn.close()
            with contextlib.suppress(OSError):  # the server does it too: no window unkillable
                os.setpgid(0, 0)
            for fd, target in ((stdin, 0), (stdout, 1), (stderr, 2)):
                os.dup2(fd, target)
                os.close(fd)
            sys.stdin = open(0, closefd=False)  # noqa: SIM115 - the process's own streams
            sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115
            sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
            os.chdir(request["cwd"])
            import numpy as np

            # fresh entropy, as a new process has: numpy's global generator, and torch's,
            # which seeds itself from the OS at import (``random`` reseeds itself at fork)
            np.random.seed()
            if sys.modules.get("torch") is not None:
                sys.modules["torch"].seed()
            child.WARM = {"server_import_s": import_s, "server_pid": os.getppid()}
            rc = child.main(request["argv"])
        except BaseException:  # noqa: BLE001 - as a cold child's traceback, then its status
            import traceback

            traceback.print_exc()
            rc = 1
        child.leave(rc)
    with contextlib.suppress(OSError):  # its own group before its parent can kill the group
        os.setpgid(pid, pid)
    for fd in (stdin, stdout, stderr):
        os.close(fd)
    with contextlib.suppress(OSError):
        conn.sendall(json.dumps({"pid": pid}).encode() + b"\n")
    return pid


if __name__ == "__main__":
    serve(sys.argv[1], sys.argv[2])
