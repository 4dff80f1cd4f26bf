"""Calibrated targets: the rule, the reference points, ``trainsmart calibrate`` end to end, and
the built-in targets agreeing with the committed reference points."""

from __future__ import annotations

from trainsmart_bench.cli import main
from trainsmart_bench.tasks import get_task
from trainsmart_bench.training import calibrate


def test_the_worst_best_value_rounded_towards_easier():
    assert calibrate.calibrated_target([0.9684, 0.9672, 0.973], "max") == 0.965
    assert calibrate.calibrated_target([0.97, 0.98], "max") == 0.97  # on the step: kept
    assert calibrate.calibrated_target([0.8715, 0.8764], "min") == 0.88
    assert calibrate.calibrated_target([0.865, 0.86], "min") == 0.865


def test_reached_is_the_first_epoch_that_meets_the_target():
    curve = [{"epoch": 1, "wall_s": 2.0, "val_rmse": 0.95},
             {"epoch": 2, "wall_s": 3.5, "val_rmse": 0.89},
             {"epoch": 3, "wall_s": 5.0, "val_rmse": 0.88}]
    assert calibrate.reached(curve, "val_rmse", 0.9, "min") == (2, 3.5)
    assert calibrate.reached(curve, "val_rmse", 0.85, "min") == (None, None)


def test_cli_calibrates_writes_and_names_the_target_to_declare(tmp_path, monkeypatch, capsys):
    """Two real reference runs of the embedded digits task (a few seconds each)."""
    path = tmp_path / "convergence.json"
    monkeypatch.setattr(calibrate, "CONVERGENCE", path)
    args = ["calibrate", "--task", "digits-mlp", "--backend", "torch", "--seeds", "2",
            "--threads", "1", "--results", str(tmp_path / "runs")]
    assert main([*args, "--set", "epochs=2", "--write"]) == 2
    assert "leave out --write or --set" in capsys.readouterr().err and not path.exists()
    assert main([*args, "--write"]) == 0
    entry = calibrate.load(path)["tasks"]["digits-mlp"]
    runs = entry["runs"]
    assert entry["split"] == "validation" and [r["seed"] for r in runs] == [0, 1]
    assert entry["target"] == calibrate.calibrated_target([r["best"] for r in runs], "max")
    assert all(r["best"] >= entry["target"] and r["epoch_to_target"] and r["seconds_to_target"]
               for r in runs)  # every reference run reaches it, and says when
    assert entry["params"]["epochs"] == get_task("digits-mlp").defaults["epochs"]
    out = capsys.readouterr().out
    assert "digits-mlp: accuracy target" in out
    if entry["target"] != get_task("digits-mlp").target:
        assert f"set it to {entry['target']:g}" in out
    line = calibrate.source("digits-mlp", {"tasks": {"digits-mlp": entry}})
    assert "2 reference runs (torch x 2 seeds)" in line


def test_builtin_targets_are_the_calibrated_ones():
    """Every task the repository calibrated declares exactly the calibrated target."""
    data = calibrate.load()
    assert data["tasks"], "tasks/convergence.json holds no reference points"
    for label, entry in data["tasks"].items():
        task, _, profile = label.partition("@")
        assert get_task(task).resolve(profile or None).target == entry["target"], label
        assert all(r["epoch_to_target"] is not None for r in entry["runs"]), label
