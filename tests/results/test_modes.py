"""The modes view and the accuracy gate (results.modes), on records like a real run leaves."""

from __future__ import annotations

import dataclasses
import json

import pytest
from rich.console import Console

from tests.report.factory import run
from trainsmart_bench.cli.summary import render
from trainsmart_bench.results.modes import QUALITY_TOLERANCE, geomeans, has_modes, mode_rows
from trainsmart_bench.results.records import RunRecord, Status, metric
from trainsmart_bench.results.stats import bootstrap_ratio


def moded(task: str, backend: str, seed: int, mode: str = "eager", speed: float = 1.0,
          shift: float = 0.0, reached: bool = True, compile_s: float = 2.0) -> RunRecord:
    r = run(task, backend, seed, speed=speed)
    name = "accuracy" if task == "mnist-mlp" else "rmse"
    metrics = {**r.metrics, name: metric(name, r.value(name) + shift),
               "compile_time": metric("compile_time", compile_s)}
    return dataclasses.replace(r, mode=mode, metrics=metrics, reached_target=reached)


def matrix() -> list[RunRecord]:
    out = []
    for seed in range(3):
        out += [moded("mnist-mlp", "torch", seed),
                moded("mnist-mlp", "torch", seed, "compiled", speed=1.8, compile_s=40.0),
                moded("mnist-mlp", "torch", seed, "eager-bf16", speed=1.3, shift=-0.02),
                moded("mnist-mlp", "keras", seed),
                moded("mnist-mlp", "keras", seed, "compiled", speed=1.2, reached=False),
                moded("movielens-mf", "torch", seed),
                moded("movielens-mf", "torch", seed, "compiled", speed=1.25),
                moded("movielens-mf", "keras", seed, "compiled", speed=2.0)]
        out.append(RunRecord(task="mnist-mlp", backend="keras", device="cpu", seed=seed,
                             status=Status.SKIPPED, mode="max-autotune",
                             error="max-autotune is a torch.compile mode"))
    return out


def by_key(rows):
    return {(m.task, m.backend, m.mode): m for m in rows}


def test_speedup_is_the_ratio_of_median_throughputs_with_an_interval():
    rows = by_key(mode_rows(matrix()))
    m = rows[("mnist-mlp", "torch", "compiled")]
    assert m.speedup.median == pytest.approx(1.8, rel=0.05)
    assert m.speedup.low <= m.speedup.median <= m.speedup.high and m.speedup.n == 3
    assert m.speedup.high - m.speedup.low > 0  # seeds vary: a real interval
    assert m.compile_time.median == 40.0 and m.eager_compile_time.median == 2.0
    assert m.memory == "host" and m.memory_ratio == pytest.approx(1.0)
    assert m.gate.status == "pass" and m.gate.reasons == ()
    assert ("mnist-mlp", "torch", "eager") not in rows  # eager is the baseline, not a row


def test_gate_fails_a_faster_mode_that_loses_quality_or_misses_the_target():
    rows = by_key(mode_rows(matrix()))
    bf16 = rows[("mnist-mlp", "torch", "eager-bf16")]
    assert bf16.speedup.median > 1 and bf16.gate.status == "fail"
    assert "below eager's interval" in bf16.gate.text and f"{QUALITY_TOLERANCE:g}" in bf16.gate.text
    missed = rows[("mnist-mlp", "keras", "compiled")]
    assert missed.gate.status == "fail" and "3 of 3 runs never reached the target 0.97" in \
        missed.gate.text
    no_base = rows[("movielens-mf", "keras", "compiled")]  # keras has no eager run there
    assert no_base.gate.status == "n/a" and no_base.speedup.median is None


def test_rmse_gate_looks_the_other_way():
    recs = [moded("movielens-mf", "torch", s) for s in range(3)]
    recs += [moded("movielens-mf", "torch", s, "compiled", shift=+0.02) for s in range(3)]
    recs += [moded("movielens-mf", "torch", s, "eager-bf16", shift=-0.02) for s in range(3)]
    rows = by_key(mode_rows(recs))
    assert rows[("movielens-mf", "torch", "compiled")].gate.status == "fail"
    assert "above eager's interval" in rows[("movielens-mf", "torch", "compiled")].gate.text
    assert rows[("movielens-mf", "torch", "eager-bf16")].gate.status == "pass"  # better is fine


def test_a_skipped_mode_keeps_its_reason():
    m = by_key(mode_rows(matrix()))[("mnist-mlp", "keras", "max-autotune")]
    assert m.status == "skipped" and m.runs == 0 and "torch.compile mode" in m.note


def test_geometric_mean_over_tasks_counts_passing_gates():
    gm = {(g.backend, g.mode): g for g in geomeans(mode_rows(matrix()))}
    torch = gm[("torch", "compiled")]
    s1 = by_key(mode_rows(matrix()))[("mnist-mlp", "torch", "compiled")].speedup.median
    s2 = by_key(mode_rows(matrix()))[("movielens-mf", "torch", "compiled")].speedup.median
    assert torch.speedup == pytest.approx((s1 * s2) ** 0.5) and torch.tasks == 2
    assert torch.passed == 2 and gm[("keras", "compiled")].passed == 0
    assert ("keras", "max-autotune") not in gm


def test_bootstrap_ratio():
    s = bootstrap_ratio([2.0, 2.2, 1.8], [1.0, 1.1, 0.9])
    assert s.median == pytest.approx(2.0) and s.low < 2.0 < s.high and s.n == 3
    assert bootstrap_ratio([3.0], [1.5]).median == 2.0
    assert bootstrap_ratio([], [1.0]).median is None and bootstrap_ratio([1.0], [0.0]).n == 0


def test_summary_has_a_modes_section_at_80_columns_and_in_json(capsys):
    records = matrix()
    assert has_modes(records) and not has_modes([r for r in records if r.mode == "eager"])
    console = Console(width=80, record=True, force_terminal=False)
    render(records, "table", console)
    text = console.export_text()
    assert "modes vs eager fp32" in text and "geomean speedup torch compiled cpu" in text
    assert "keras max-autotune" in text and "eager-bf16" in text  # names never fold
    lines = text.splitlines()
    table = lines[next(i for i, ln in enumerate(lines) if "modes vs eager" in ln):
                  next(i for i, ln in enumerate(lines) if ln.startswith("speedup = "))]
    assert max(len(ln.rstrip()) for ln in table) <= 80
    assert any(ln.strip().startswith("keras max-autotune") and "skipped" in ln for ln in table)
    capsys.readouterr()
    render(records, "json", console)
    rows = json.loads(capsys.readouterr().out)
    speed = [r for r in rows if r["metric"] == "speedup" and r["mode"] == "compiled"
             and r["backend"] == "torch" and r["task"] == "mnist-mlp"]
    assert len(speed) == 1 and speed[0]["gate"] == "pass" and speed[0]["median"] > 1.5
    eager_only = [r for r in records if r.mode == "eager"]
    render(eager_only, "json", console)
    assert not any(r["metric"] == "speedup" for r in json.loads(capsys.readouterr().out))
