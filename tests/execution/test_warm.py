"""Warm starts: units forked from a fork server are fresh processes that train exactly as
cold-started ones (execution.warm)."""

from __future__ import annotations

import json

import pytest

from trainsmart_bench.execution import warm
from trainsmart_bench.execution.process import run_unit
from trainsmart_bench.results.unit import UnitSpec

pytest.importorskip("torch")
pytestmark = pytest.mark.xdist_group("warm")

TIMING = {"prep_s", "epoch_s", "eval_s", "wall_s"}


def unit(seed: int = 0, threads: int = 1, **params) -> UnitSpec:
    return UnitSpec.build("digits-mlp", "torch", device="cpu", seed=seed, threads=threads,
                          params={"epochs": 3, **params})


def curve(result: dict) -> list[dict]:
    assert result["status"] == "ok", result.get("error")
    return [{k: v for k, v in e.items() if k not in TIMING} for e in result["curve"]]


@pytest.fixture(autouse=True)
def _servers_closed():
    yield
    warm.close_all()


def test_warm_units_train_bit_identically_to_cold_ones():
    cold = run_unit(unit(), 600, warm=False)
    first, other_seed, again = (run_unit(unit(s), 600, warm=True) for s in (0, 1, 0))
    assert curve(first) == curve(cold) == curve(again)  # losses and scores, bit for bit
    assert curve(other_seed) != curve(first)
    assert curve(other_seed) == curve(run_unit(unit(1), 600, warm=False))
    servers = {r["timings"]["warm"]["server_pid"] for r in (first, other_seed, again)}
    assert len(servers) == 1 and "warm" not in cold["timings"]
    assert len({r["node"]["pid"] for r in (first, other_seed, again)}) == 3  # a process each
    assert first["threads"] == cold["threads"]  # the same pools, as threadpoolctl sees them
    for r in (first, again):  # startup keeps the server's cold import, paid once
        assert r["metrics"]["startup_time"] >= r["timings"]["warm"]["server_import_s"] > 0
        assert r["timings"]["import_s"] < 0.5 * cold["timings"]["import_s"]
    assert again["wall_s"] < cold["wall_s"]


def test_forked_units_share_no_state():
    spec = unit().replace(objective="tests.execution.warm_probe:probe")
    one, two = (run_unit(spec, 120, warm=True)["probe"] for _ in range(2))
    cold = run_unit(spec, 120, warm=False)["probe"]
    assert one["calls"] == two["calls"] == cold["calls"] == 1  # no module state carried over
    assert one["pid"] != two["pid"]
    assert one["numpy"] != two["numpy"] and one["random"] != two["random"]  # fresh entropy
    # torch seeds its generator from the OS at import: each fork draws a seed of its own
    assert one["torch_seed_drawn"] != two["torch_seed_drawn"]
    assert one["torch_threads"] == cold["torch_threads"] == 1 and one["omp"] == "1"
    wide = run_unit(unit(threads=2).replace(objective=spec.objective), 120, warm=True)["probe"]
    assert wide["torch_threads"] == 2 and wide["omp"] == "2"  # another server: its own env


def test_a_timed_out_warm_unit_is_killed_and_the_server_goes_on():
    slow = run_unit(unit(epochs=500), 4, warm=True)
    assert slow["status"] == "timeout"
    assert curve(run_unit(unit(), 600, warm=True)) == curve(run_unit(unit(), 600, warm=False))


def test_frameworks_that_cannot_fork_safely_start_cold():
    assert warm.supports("torch", "cpu")
    for backend, device in (("keras-tf", "cpu"), ("keras-jax", "cpu"), ("torch", "cuda")):
        assert not warm.supports(backend, device)
    r = run_unit(UnitSpec.build("synthetic", "none", params={"epochs": 2}), 60, warm=True)
    assert r["status"] == "ok" and "warm" not in r["timings"]


@pytest.mark.parametrize("command", ["run", "tune"])
def test_the_command_line_starts_warm_and_cold_alike(tmp_path, command):
    from trainsmart_bench.cli import main

    curves = {}
    for start in ("warm", "cold"):
        out = tmp_path / start
        args = ["--task", "digits-mlp", "--backend", "torch", "--threads", "1",
                "--set", "epochs=2", "--start", start, "--results", str(out)]
        if command == "run":
            assert main(["run", *args, "--seeds", "1"]) == 0
            (path,) = out.glob("*.json")
            rec = json.loads(path.read_text())
            assert ("warm" in rec["timings"]) is (start == "warm")
            curves[start] = [e["loss"] for e in rec["curve"]]
        else:
            assert main(["tune", *args, "--tuner", "random", "--trials", "2",
                         "--studies", "1"]) == 0
            rows = [json.loads(t.read_text()) for t in sorted(out.glob("*/trial-*.json"))]
            assert len(rows) == 2
            assert all(("warm" in r["timings"]["worker"]) is (start == "warm") for r in rows)
            curves[start] = [r["curve"] for r in rows]
    assert curves["warm"] == curves["cold"]
    assert not warm._servers  # closed when the command ends
