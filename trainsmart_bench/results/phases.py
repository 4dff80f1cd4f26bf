"""Where a run's time went: its phases, in seconds, from the timings its record already holds.

A run's wall time, as its parent saw it (``process_wall_s``, plus the CPU probe before it),
splits into:

* ``probe_s``: the parent sampling how busy the machine was before the run;
* ``spawn_s``: the child interpreter's start and our package's import (before ``main``);
* ``import_s``: the task's code and the framework adapter, the framework set up;
* ``data_s``: the task's arrays loaded (parsed caches) and split;
* ``build_s``: the model and its optimizer built;
* ``first_epoch_s`` and ``epochs_s``: training, the first epoch (warm-up, tracing, compiling)
  apart from the rest;
* ``validation_s``: every epoch's validation pass; ``epoch_test_s``: a tuning table build's
  per-epoch test scores;
* ``inference_s``, ``test_metrics_s``, ``bootstrap_s``: after training, the test set's timed
  inference pass (with its warm-up), its metrics, and the test metric's interval;
* ``exit_s``: from the child's result to the parent seeing it exit;
* ``other_s``: the rest (reading the spec, memory and thread readings, writing the result).

The environment record is taken once per matrix, not per run (``env.capture_s``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

LABELS = {
    "probe_s": "probe", "spawn_s": "spawn", "import_s": "imports", "data_s": "data",
    "build_s": "build", "first_epoch_s": "epoch 1", "epochs_s": "epochs 2+",
    "validation_s": "validation", "epoch_test_s": "epoch tests", "inference_s": "inference",
    "test_metrics_s": "test metrics", "bootstrap_s": "test interval", "exit_s": "exit",
    "other_s": "other",
}


def phases(timings: Mapping[str, Any], curve: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    """The phases a record's timings and curve hold (absent ones left out); ``other_s`` is
    the process's wall time less every phase inside it, and ``total_s`` the sum."""
    out: dict[str, float] = {}
    for key in ("probe_s", "spawn_s", "import_s", "data_s", "build_s"):
        if isinstance(timings.get(key), (int, float)):
            out[key] = float(timings[key])
    epochs = [float(c.get("prep_s", 0.0)) + float(c.get("epoch_s", 0.0)) for c in curve]
    if epochs:
        out["first_epoch_s"] = epochs[0]
        out["epochs_s"] = sum(epochs[1:])
        out["validation_s"] = sum(float(c.get("eval_s", 0.0)) for c in curve)
        tests = [float(c["test_s"]) for c in curve if "test_s" in c]
        if tests:
            out["epoch_test_s"] = sum(tests)
    for key in ("inference_s", "test_metrics_s", "bootstrap_s", "exit_s"):
        if isinstance(timings.get(key), (int, float)):
            out[key] = float(timings[key])
    wall = timings.get("process_wall_s")
    if isinstance(wall, (int, float)):
        inside = sum(v for k, v in out.items() if k != "probe_s")
        out["other_s"] = max(0.0, float(wall) - inside)
    out["total_s"] = sum(out.values())
    return out


def describe(p: Mapping[str, float], width: int = 80) -> str:
    """One line per ``width`` columns: ``total 9.41 s = spawn 0.21 + imports 1.30 + ...``,
    phases under 5 ms left out."""
    parts = [f"{label} {p[k]:.2f}" for k, label in LABELS.items() if p.get(k, 0.0) >= 0.005]
    lines, line = [], f"total {p.get('total_s', 0.0):.2f} s ="
    for i, part in enumerate(parts):
        piece = (" + " if i else " ") + part
        if len(line) + len(piece) > width:
            lines.append(line)
            line = "    + " + part
        else:
            line += piece
    lines.append(line)
    return "\n".join(lines)
