from __future__ import annotations

import pytest

from trainsmart_bench.results.phases import describe, phases


def test_phases_split_the_process_wall_time():
    timings = {"probe_s": 0.2, "spawn_s": 0.3, "import_s": 1.0, "data_s": 0.1, "build_s": 0.5,
               "inference_s": 0.05, "test_metrics_s": 0.01, "bootstrap_s": 0.02,
               "exit_s": 0.04, "process_wall_s": 5.0, "stopped_by": "epochs"}
    curve = [{"prep_s": 0.1, "epoch_s": 0.9, "eval_s": 0.05},
             {"prep_s": 0.0, "epoch_s": 0.5, "eval_s": 0.05, "test_s": 0.2},
             {"prep_s": 0.0, "epoch_s": 0.4, "eval_s": 0.05, "test_s": 0.1}]
    p = phases(timings, curve)
    assert p["first_epoch_s"] == pytest.approx(1.0) and p["epochs_s"] == pytest.approx(0.9)
    assert p["validation_s"] == pytest.approx(0.15) and p["epoch_test_s"] == pytest.approx(0.3)
    inside = 0.3 + 1.0 + 0.1 + 0.5 + 1.0 + 0.9 + 0.15 + 0.3 + 0.05 + 0.01 + 0.02 + 0.04
    assert p["other_s"] == pytest.approx(5.0 - inside)
    assert p["total_s"] == pytest.approx(5.2)  # the probe runs before the process
    assert "stopped_by" not in p


def test_a_run_that_never_trained_has_only_what_it_measured():
    p = phases({"spawn_s": 0.2, "exit_s": 0.01, "process_wall_s": 0.5}, [])
    assert set(p) == {"spawn_s", "exit_s", "other_s", "total_s"}
    assert p["other_s"] == pytest.approx(0.29)
    assert phases({}, []) == {"total_s": 0.0}  # an old record: nothing to split


def test_describe_keeps_the_phase_order_and_the_width():
    p = dict(sorted({"spawn_s": 0.25, "import_s": 1.5, "data_s": 0.002, "build_s": 1.25,
                     "first_epoch_s": 0.5, "epochs_s": 3.0, "validation_s": 0.25,
                     "exit_s": 0.05, "other_s": 0.1, "total_s": 6.9}.items()))  # as read back
    text = describe(p, width=40)
    assert all(len(line) <= 40 for line in text.splitlines())
    flat = " ".join(text.split())
    assert flat.startswith("total 6.90 s = spawn 0.25 + imports 1.50 + build 1.25")
    assert "data" not in flat  # under 5 ms
    assert flat.index("epoch 1") < flat.index("epochs 2+") < flat.index("exit")
    assert text.splitlines()[1].startswith("    + ")
