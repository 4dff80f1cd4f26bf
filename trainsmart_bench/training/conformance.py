"""Conformance checks of a user task, the ones ``trainsmart check task SPEC`` runs and the
suite's tests run on its example: the declaration, the data, the hyperparameters of every
profile, and each builder as its backend builds it, in a process of its own (Keras picks its
backend once per process): what it returns, its trainable parameter count and output shape,
and that the same seed builds the same initial weights. The builders of every framework must
agree on the parameter count, or the backends would train different models.

``python -m trainsmart_bench.training.conformance SPEC BACKEND`` is one backend's check; it
prints one JSON line.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

FAMILY = {"torch": "torch", "keras-tf": "keras", "keras-jax": "keras", "keras-torch": "keras",
          "sklearn": "sklearn"}
ROWS = 8  # rows predicted for the output-shape check


@dataclass
class TaskCheck:
    task: str
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    builders: dict[str, dict[str, Any]] = field(default_factory=dict)  # backend -> result

    @property
    def ok(self) -> bool:
        return not self.problems


def _digest(weights: Sequence[Any]) -> str:
    import numpy as np

    h = hashlib.sha256()
    for w in weights:
        h.update(np.ascontiguousarray(np.asarray(w, np.float32)).tobytes())
    return h.hexdigest()[:16]


def check_backend(spec: str, backend_name: str) -> dict[str, Any]:
    """Build the task's model on one backend here: what the checks compare."""
    from trainsmart_bench.registry import resolve
    from trainsmart_bench.tasks import get_task
    from trainsmart_bench.training.data import prepare

    task = get_task(spec).resolve()
    backend = resolve("backend", backend_name)()
    try:
        backend.check(task, "cpu")
    except NotImplementedError as exc:
        return {"status": "skipped", "reason": str(exc)}
    data = prepare(task)
    digests = []
    for _ in range(2):  # the same seed must build the same initial weights
        backend.setup("cpu", 1, 0)
        state = backend.build(task, data)
        digests.append(_digest(backend.get_weights(state)))
    if FAMILY[backend_name] == "sklearn":  # one fit: its parameters exist after it
        backend.train_epoch(state, data.x_train, data.y_train, int(task["batch_size"]))
    out = backend.predict(state, data.x_val[:ROWS], ROWS)
    return {"status": "ok", "params": backend.param_count(state), "shape": list(out.shape),
            "expected": [min(ROWS, len(data.x_val))] + ([int(data.n_outputs)]
                                                        if task.spec.is_classification else []),
            "seeded": digests[0] == digests[1]}


def _in_process(spec: str, backend: str, timeout: float) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "trainsmart_bench.training.conformance", spec, backend]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"status": "failed", "reason": f"building took over {timeout:g} s"}
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    if out.returncode != 0 or not lines:
        tail = (out.stderr.strip().splitlines() or ["(no output)"])[-1]
        return {"status": "failed", "reason": tail}
    return json.loads(lines[-1])


def check_task(spec: str, backends: Sequence[str] | None = None,
               timeout: float = 300.0) -> TaskCheck:
    """Every check of a user task; problems are sentences naming the task and what to fix."""
    from trainsmart_bench.datasets import get_loader
    from trainsmart_bench.errors import ConfigError, DataError
    from trainsmart_bench.registry import BACKENDS

    try:
        from trainsmart_bench.tasks import get_task

        task = get_task(spec)
    except ConfigError as exc:
        return TaskCheck(spec, [str(exc)])
    c = TaskCheck(task.name)
    name = f"user task {task.name!r}"
    try:
        info = get_loader(task.dataset).require()
        c.notes.append(f"data: {info['summary']} (checksum {info['checksum'][:12]})")
    except DataError as exc:
        c.problems.append(str(exc))
    for profile in [None, *task.profiles]:
        try:
            task.resolve(profile)
        except ConfigError as exc:
            c.problems.append(str(exc))
    if c.problems:
        return c
    for b in backends or [b for b in FAMILY if b in BACKENDS]:
        if not task.plugin.builder(FAMILY[b]):
            c.notes.append(f"{b}: skipped, no {FAMILY[b]}= builder")
            continue
        r = c.builders[b] = _in_process(task.plugin.spec, b, timeout)
        if r["status"] != "ok":
            c.problems.append(f"{name}: its {FAMILY[b]}= builder on {b}: "
                              f"{r.get('reason')}") if r["status"] == "failed" else \
                c.notes.append(f"{b}: skipped, {r.get('reason')}")
            continue
        if r["shape"] != r["expected"]:
            c.problems.append(f"{name}: on {b} the model's output has shape {r['shape']} for "
                              f"{r['expected'][0]} rows; it must be {r['expected']} (logits "
                              "per class, or one value per row for rmse)")
        if not r["seeded"]:
            c.problems.append(f"{name}: on {b} the same seed built different initial weights; "
                              "initialize only from the framework's seeded generators")
        what = "parameters after its fit" if FAMILY[b] == "sklearn" else "trainable parameters"
        c.notes.append(f"{b}: {r['params']} {what}, output {r['shape']}")
    counts = {b: r["params"] for b, r in c.builders.items()
              if r["status"] == "ok" and FAMILY[b] != "sklearn"}
    if len(set(counts.values())) > 1:
        listed = ", ".join(f"{b} {n}" for b, n in counts.items())
        c.problems.append(f"{name}: its builders differ in trainable parameters ({listed}): "
                          "the backends would train different models; make them the same")
    return c


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    try:
        result = check_backend(args[0], args[1])
    except Exception as exc:  # noqa: BLE001 - the user's builder: report, do not crash
        result = {"status": "failed", "reason": f"{type(exc).__name__}: {exc}"}
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
