"""Warm starts: units forked from a fork server are fresh processes that train exactly as
cold-started ones (execution.warm)."""

from __future__ import annotations

import json

import pytest

from trainsmart_bench.execution import warm
from trainsmart_bench.execution.process import run_unit
from trainsmart_bench.registry import missing_modules
from trainsmart_bench.results.unit import UnitSpec

pytestmark = pytest.mark.xdist_group("warm")

TIMING = {"prep_s", "epoch_s", "eval_s", "wall_s"}


# every backend that starts warm (execution.warm.FORK_SAFE; ``keras`` is keras-tf renamed)
BACKENDS = [pytest.param(b, marks=pytest.mark.skipif(bool(missing_modules("backend", b)),
                                                     reason=f"{b} is not installed"))
            for b in ("torch", "keras-tf")]


def unit(seed: int = 0, threads: int = 1, backend: str = "torch", **params) -> UnitSpec:
    return UnitSpec.build("digits-mlp", backend, device="cpu", seed=seed, threads=threads,
                          params={"epochs": 3, **params})


def curve(result: dict) -> list[dict]:
    assert result["status"] == "ok", result.get("error")
    return [{k: v for k, v in e.items() if k not in TIMING} for e in result["curve"]]


@pytest.fixture(autouse=True)
def _servers_closed():
    yield
    warm.close_all()


@pytest.mark.parametrize("backend", BACKENDS)
def test_warm_units_train_bit_identically_to_cold_ones(backend):
    cold = run_unit(unit(backend=backend), 600, warm=False)
    first, other_seed, again = (run_unit(unit(s, backend=backend), 600, warm=True)
                                for s in (0, 1, 0))
    assert curve(first) == curve(cold) == curve(again)  # losses and scores, bit for bit
    assert curve(other_seed) != curve(first)
    assert curve(other_seed) == curve(run_unit(unit(1, backend=backend), 600, warm=False))
    servers = {r["timings"]["warm"]["server_pid"] for r in (first, other_seed, again)}
    assert len(servers) == 1 and "warm" not in cold["timings"]
    assert len({r["node"]["pid"] for r in (first, other_seed, again)}) == 3  # a process each
    assert first["threads"] == cold["threads"]  # the same pools, as threadpoolctl sees them
    for r in (first, again):  # startup keeps the server's cold import, paid once
        assert r["metrics"]["startup_time"] >= r["timings"]["warm"]["server_import_s"] > 0
        assert r["timings"]["import_s"] < 0.5 * cold["timings"]["import_s"]
    assert again["wall_s"] < cold["wall_s"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_forked_units_share_no_state(backend):
    spec = unit(backend=backend).replace(objective="tests.execution.warm_probe:probe")
    one, two = (run_unit(spec, 120, warm=True)["probe"] for _ in range(2))
    cold = run_unit(spec, 120, warm=False)["probe"]
    assert one["calls"] == two["calls"] == cold["calls"] == 1  # no module state carried over
    assert one["pid"] != two["pid"]
    assert one["numpy"] != two["numpy"] and one["random"] != two["random"]  # fresh entropy
    # the framework's own generator seeds itself from the OS: each fork draws a seed of its own
    assert one["seed_drawn"] != two["seed_drawn"]
    assert one["threads"] == cold["threads"] == 1 and one["omp"] == "1"
    if backend == "keras-tf":  # imported by the server, yet its runtime starts in the unit
        assert one["tf_imported_at_start"] and not cold["tf_imported_at_start"]
        assert not one["runtime_started_before"] and not two["runtime_started_before"]
    wide = run_unit(unit(threads=2, backend=backend).replace(objective=spec.objective), 120,
                    warm=True)["probe"]
    assert wide["threads"] == 2 and wide["omp"] == "2"  # another server: its own env


def test_a_timed_out_warm_unit_is_killed_and_the_server_goes_on():
    slow = run_unit(unit(epochs=500), 4, warm=True)
    assert slow["status"] == "timeout"
    assert curve(run_unit(unit(), 600, warm=True)) == curve(run_unit(unit(), 600, warm=False))


def test_frameworks_that_cannot_fork_safely_start_cold():
    assert warm.supports("torch", "cpu") and warm.supports("keras-tf", "cpu")
    for backend, device in (("keras-jax", "cpu"), ("keras-torch", "cpu"), ("torch", "cuda"),
                            ("keras-tf", "cuda")):
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
