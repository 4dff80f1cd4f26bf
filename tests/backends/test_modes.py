"""Modes do what they say: ``compiled`` compiles (the framework's own evidence, not just a run
that finished), computes what ``eager`` computes, and ``bf16`` changes the arithmetic a little.

Each backend runs in a process of its own (``mode_worker``): Keras picks its backend once per
process, TensorFlow's log level is fixed when it loads, and compiler counters are per process.
Evidence per backend: PyTorch and Keras on PyTorch, dynamo captured graphs; Keras on JAX, XLA
compiled Keras' ``train_step`` (JAX's compile events); Keras on TensorFlow, TensorFlow logged
"Compiled cluster using XLA" while training (it logs that at the first XLA compilation).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.backends.backend_cases import module_available, resolve_backend
from trainsmart_bench.errors import ConfigError
from trainsmart_bench.mode import (
    MODE_NAMES,
    Mode,
    cpu_flags,
    parse_mode,
    precision_unavailable,
)

REPO = Path(__file__).resolve().parents[2]
BACKENDS = ("torch", "keras-tf", "keras-jax", "keras-torch")
XLA_LOG = "Compiled cluster using XLA"
BF16 = precision_unavailable(Mode("eager", "bf16"), "cpu") is None


def test_mode_names_round_trip():
    assert MODE_NAMES[:3] == ("eager", "compiled", "max-autotune")
    assert "compiled-bf16" in MODE_NAMES and "eager-fp16" in MODE_NAMES
    for name in MODE_NAMES:
        assert parse_mode(name).name == name
    assert parse_mode("compiled-bf16") == Mode("compiled", "bf16")
    assert parse_mode("max-autotune").compiled and not parse_mode("eager-bf16").compiled
    for bad in ("jit", "eager-fp32", "compiled-int8", "bf16", ""):
        with pytest.raises(ConfigError, match="unknown mode"):
            parse_mode(bad)


def test_precision_needs_native_bf16_on_cpu(monkeypatch):
    import trainsmart_bench.mode as mode_module

    monkeypatch.setattr(mode_module, "cpu_flags", lambda: frozenset({"avx2", "avx512f"}))
    assert "no native bfloat16" in precision_unavailable(Mode("eager", "bf16"), "cpu")
    monkeypatch.setattr(mode_module, "cpu_flags", lambda: frozenset({"avx512_bf16"}))
    assert precision_unavailable(Mode("compiled", "bf16"), "cpu") is None
    assert "CUDA" in precision_unavailable(Mode("eager", "fp16"), "cpu")
    assert precision_unavailable(Mode("eager", "fp16"), "cuda") is None
    assert precision_unavailable(Mode(), "cpu") is None


def test_cpu_flags_read_proc_cpuinfo():
    text = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    for flag in ("avx512_bf16", "amx_bf16", "avx2"):
        assert (flag in cpu_flags()) == (f" {flag}" in text)


@pytest.mark.parametrize(("name", "mode", "reason"), [
    ("keras-tf", "max-autotune", "torch.compile mode"),
    ("keras-jax", "max-autotune", "torch.compile mode"),
    ("keras-torch", "max-autotune", "torch.compile mode"),
    ("torch", "eager-fp16", "CUDA"),
    ("keras-tf", "compiled-fp16", "CUDA"),
    ("sklearn", "compiled", "eager fp32 only"),
])
def test_unavailable_modes_are_skips_with_a_reason(name, mode, reason):
    """check_mode raises NotImplementedError (the runner records a skip), before any setup;
    importing a Keras module does not start Keras on that backend when another runs here."""
    if not module_available(name):
        pytest.skip(f"{name} is not installed")
    backend = resolve_backend(name)()
    with pytest.raises(NotImplementedError, match=reason):
        backend.check_mode(parse_mode(mode), "cpu")


def test_a_skipped_mode_becomes_a_skipped_record(tmp_path):
    from trainsmart_bench.execution.matrix import Cell, run_cell
    from trainsmart_bench.results.records import Status

    rec = run_cell(Cell("digits-mlp", "sklearn", "cpu", 0, mode="compiled"), threads=1,
                   params={"epochs": 1})
    assert rec.status is Status.SKIPPED and "eager fp32 only" in rec.error
    assert rec.mode == "compiled" and rec.identity_fields["mode"] == "compiled"


def _modes(name: str, *modes: str) -> tuple[dict[str, dict], dict[str, str]]:
    """Run the worker; returns its JSON line per mode and the stderr of each phase."""
    if not module_available(name):
        pytest.skip(f"{name} is not installed")
    env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "0"}
    proc = subprocess.run([sys.executable, "-m", "tests.backends.mode_worker", name, *modes],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stderr[-4000:]
    lines = [json.loads(ln) for ln in proc.stdout.splitlines() if ln.startswith("{")]
    phases, current = {}, "start"
    for line in proc.stderr.splitlines():
        if line.startswith("@@ "):
            current = line[3:].strip()
        else:
            phases[current] = phases.get(current, "") + line + "\n"
    return {d["mode"]: d for d in lines}, phases


def _graphs(d: dict) -> float:
    return d["after"].get("compiled_graphs", 0) - d["before"].get("compiled_graphs", 0)


@pytest.mark.slow  # a framework process per backend, torch.compile ~40 s: nox -s tests_slow
@pytest.mark.parametrize("name", BACKENDS)
def test_compiled_compiles_and_computes_what_eager_does(name):
    runs, phases = _modes(name, "eager", "compiled")
    eager, compiled = runs["eager"], runs["compiled"]
    if name == "keras-tf":
        assert XLA_LOG not in phases.get("train eager", "") + phases.get("predict eager", "")
        assert XLA_LOG in phases.get("train compiled", ""), "no XLA compilation while training"
    elif name == "keras-jax":
        assert "jit(train_step)" in compiled["jax_train"]
        assert "jit(train_step)" not in eager["jax_train"]
    else:  # torch.compile: dynamo captured graphs, only in the compiled mode
        assert _graphs(compiled) > 0 and eager["after"] == {}
        assert compiled["after"]["graph_breaks"] >= 0
    if name != "torch":
        assert eager["jit_compile"] is False and compiled["jit_compile"] is True
    assert compiled["loss"] == pytest.approx(eager["loss"], rel=1e-4)
    np.testing.assert_allclose(compiled["predictions"], eager["predictions"], atol=1e-4)


@pytest.mark.slow
@pytest.mark.skipif(not BF16, reason=str(precision_unavailable(Mode("eager", "bf16"), "cpu")))
@pytest.mark.parametrize("name", BACKENDS)
def test_bf16_changes_the_arithmetic_a_little(name):
    runs, _ = _modes(name, "eager", "eager-bf16")
    fp32, bf16 = (np.asarray(runs[m]["predictions"]) for m in ("eager", "eager-bf16"))
    diff = float(np.max(np.abs(fp32 - bf16)))
    assert 0 < diff < 0.05, diff  # bfloat16 keeps 8 bits of mantissa: close, not equal
    np.testing.assert_allclose(bf16.sum(axis=1), 1.0, rtol=1e-5)  # softmax in float32
    if name != "torch":
        assert runs["eager-bf16"]["compute_dtype"] == "bfloat16"


def test_max_autotune_is_a_torch_compile_mode(monkeypatch):
    torch = pytest.importorskip("torch")
    from trainsmart_bench.backends import torch_modes

    calls = []
    monkeypatch.setattr(torch, "compile", lambda fn, mode=None: calls.append(mode) or fn)
    for name in ("eager", "compiled", "max-autotune", "compiled-bf16", "eager-bf16"):
        assert torch_modes.compile_fn(len, parse_mode(name)) is len
    assert calls == [None, "max-autotune", None]
