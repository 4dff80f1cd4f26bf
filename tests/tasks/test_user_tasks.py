"""User tasks: loading (file, module, entry point), identity, data checks, builders, and the
bad inputs a user brings, each with an error that says what to fix."""

from __future__ import annotations

import json
import re
import textwrap

import numpy as np
import pytest

from trainsmart_bench.errors import ConfigError, DataError
from trainsmart_bench.results.unit import UnitSpec
from trainsmart_bench.tasks import get_task, parse_tasks, plugins

TASK = '''
import numpy as np
from trainsmart_bench.tasks.user import UserTask

def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(240, 4)).astype(np.float32)
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(int)
    {data_extra}
    return {{"x_train": x[:200], "y_train": y[:200], "x_test": x[200:], "y_test": y[200:]}}

def torch_model(task, info):
    from torch import nn
    {torch_extra}
    return nn.Sequential(nn.Linear(info.input_shape[0], 8), nn.ReLU(),
                         nn.Linear(8, info.n_outputs))

TASK = UserTask(name="{name}", data=data, metric="accuracy", target={target},
                defaults={{"lr": 1e-2, "batch_size": 32, "epochs": 2}}, torch=torch_model)
'''


def write(tmp_path, name="toy-user", target=0.8, data_extra="", torch_extra="",
          file="toy_task.py"):
    path = tmp_path / file
    path.write_text(TASK.format(name=name, target=target, data_extra=data_extra,
                                torch_extra=torch_extra))
    return path


@pytest.fixture(autouse=True)
def _forget_loaded(monkeypatch):
    """Each test loads its plugins afresh (the registry is per process)."""
    monkeypatch.setattr(plugins, "_LOADED", {})
    monkeypatch.setattr(plugins, "_BY_SPEC", {})


def test_a_file_task_loads_with_its_source_and_digest(tmp_path):
    path = write(tmp_path)
    (name,) = parse_tasks(f"{path}:TASK")
    spec = get_task(name)
    assert name == "toy-user" and spec.plugin.source == f"file {path}"
    assert spec.plugin.spec == f"{path}:TASK" and len(spec.plugin.digest) == 64
    assert spec.direction.value == "max" and spec.loss == "sparse_categorical_crossentropy"
    assert get_task(f"{path}:TASK") is spec  # loaded once
    assert UnitSpec.build(name, "torch").plugin == f"{path}:TASK"  # its process loads it
    assert UnitSpec.build("digits-mlp", "torch").plugin is None


def test_a_module_task_and_an_entry_point(tmp_path, monkeypatch):
    write(tmp_path, name="mod-user", file="user_mod_task.py")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert parse_tasks("user_mod_task:TASK") == ["mod-user"]
    dist = tmp_path / "toyplugin-1.2.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: toyplugin\nVersion: 1.2\n")
    (dist / "entry_points.txt").write_text(
        "[trainsmart_bench.tasks]\nep-user = user_mod_task:TASK\n")
    assert "ep-user" in plugins.entry_points()
    assert get_task("ep-user") is get_task("mod-user")  # the same code, loaded once
    plugins._LOADED.clear()
    plugins._BY_SPEC.clear()
    spec = get_task("ep-user")  # by the entry point's name
    assert spec.name == "mod-user" and spec.plugin.spec == "entry:ep-user"
    assert "toyplugin 1.2" in spec.plugin.source


@pytest.mark.parametrize("mutate, message", [
    (lambda p: f"{p.parent}/nope.py:TASK", "no such file"),
    (lambda p: f"{p}:NOPE", "has no 'NOPE'; its user tasks: TASK"),
    (lambda p: f"{p}:np", "is a module, not a trainsmart_bench.tasks.user.UserTask"),
    (lambda p: "no_such_module_xyz:TASK", "failed to import (ModuleNotFoundError"),
])
def test_bad_specs_say_what_to_fix(tmp_path, mutate, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        get_task(mutate(write(tmp_path)))


def test_a_file_that_fails_to_import_shows_its_traceback_tail(tmp_path):
    path = tmp_path / "broken.py"
    path.write_text("import numpy\n\ndef f():\n    return 1 / 0\n\nf()\n")
    with pytest.raises(ConfigError, match=r"(?s)failed to import \(ZeroDivisionError.*"
                                          r"broken\.py.*return 1 / 0"):
        get_task(f"{path}:TASK")


@pytest.mark.parametrize("kw, message", [
    ({"target": 1.5}, "target 1.5 is outside the metric's range"),
    ({"name": "digits-mlp"}, "has the name of a built-in task"),
    ({"name": "a/b"}, "a non-empty name without"),
])
def test_bad_declarations_are_refused(tmp_path, kw, message):
    with pytest.raises(ConfigError, match=message):
        get_task(f"{write(tmp_path, **kw)}:TASK")


def test_no_builder_and_missing_defaults(tmp_path):
    path = tmp_path / "bare.py"
    path.write_text(textwrap.dedent('''
        from trainsmart_bench.tasks.user import UserTask
        NONE = UserTask(name="bare", data=lambda: None, metric="rmse", target=1.0,
                        defaults={"lr": 0.1, "batch_size": 8, "epochs": 1})
        NODEF = UserTask(name="nodef", data=lambda: None, metric="rmse", target=1.0,
                         defaults={"lr": 0.1}, torch=lambda t, i: None)
    '''))
    with pytest.raises(ConfigError, match="no model builder; give keras=, torch= or sklearn="):
        get_task(f"{path}:NONE")
    with pytest.raises(ConfigError, match="defaults lack batch_size, epochs"):
        get_task(f"{path}:NODEF")


@pytest.mark.parametrize("extra, message", [
    ("x[3, 1] = np.nan", "x_train holds 1 NaN or infinite values"),
    ("y = y[:-1]", "x_test has 40 rows but y_test 39"),
    ("y = y + 0.5", "must be class indices 0..K-1"),
    ("x = x.astype(object)", "x_train has dtype object"),
    ("return (x, y)", "returned tuple; return a dict"),
    ("raise OSError('disk gone')", "its data function raised OSError: disk gone"),
])
def test_bad_data_is_refused_before_training(tmp_path, extra, message):
    spec = get_task(f"{write(tmp_path, data_extra=extra)}:TASK")
    from trainsmart_bench.datasets import get_loader

    with pytest.raises(DataError, match=message):
        get_loader(spec.dataset).require()


def test_data_becomes_task_arrays_with_the_suite_s_validation_rule(tmp_path):
    from trainsmart_bench.training.data import prepare

    spec = get_task(f"{write(tmp_path)}:TASK")
    data = prepare(spec.resolve())
    assert data.x_train.dtype == np.float32 and data.y_train.dtype == np.int64
    assert len(data.x_train) == 180 and len(data.x_val) == 20 and len(data.x_test) == 40
    assert data.n_outputs == 2 and data.dataset == "plugin:toy-user"
    again = prepare(spec.resolve())
    assert np.array_equal(again.x_val, data.x_val)  # seed 0, the same rows every run


def run_cli(args, capsys):
    from trainsmart_bench.cli import main

    rc = main(args)
    return rc, capsys.readouterr()


def test_run_records_the_plugin_and_a_changed_model_re_trains(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    path = write(tmp_path)
    args = ["run", "--task", f"{path}:TASK", "--backend", "torch", "--seeds", "1",
            "--threads", "1", "--results", str(tmp_path / "runs")]
    rc, out = run_cli(args, capsys)
    assert rc == 0, out.err
    (rec,) = [json.loads(p.read_text()) for p in (tmp_path / "runs").glob("*.json")]
    assert rec["status"] == "ok" and rec["task"] == "toy-user"
    assert rec["identity_fields"]["task_plugin"]["spec"] == f"{path}:TASK"
    assert rec["metrics"]["param_count"]["value"] == 4 * 8 + 8 + 8 * 2 + 2
    rc, out = run_cli(args, capsys)
    assert rc == 0 and "1 of 1 cells reused" in out.out
    write(tmp_path, torch_extra="pass  # edited")  # the model's code changed
    plugins._LOADED.clear()
    plugins._BY_SPEC.clear()
    rc, out = run_cli(args, capsys)
    assert rc == 0 and "recorded with other settings: task_plugin.digest" in out.out


def test_a_backend_without_a_builder_is_a_recorded_skip(tmp_path, capsys):
    path = write(tmp_path)
    rc, out = run_cli(["run", "--task", f"{path}:TASK", "--backend", "sklearn", "--seeds", "1",
                       "--results", str(tmp_path / "runs")], capsys)
    (rec,) = [json.loads(p.read_text()) for p in (tmp_path / "runs").glob("*.json")]
    assert rec["status"] == "skipped"
    assert "declares no a scikit-learn estimator factory (sklearn=)" in rec["error"]


def test_a_builder_returning_the_wrong_type_is_a_failed_record(tmp_path, capsys):
    path = write(tmp_path, torch_extra="return 'not a module'")
    rc, out = run_cli(["run", "--task", f"{path}:TASK", "--backend", "torch", "--seeds", "1",
                       "--results", str(tmp_path / "runs")], capsys)
    (rec,) = [json.loads(p.read_text()) for p in (tmp_path / "runs").glob("*.json")]
    assert rec["status"] == "failed"
    assert "its torch= builder returned str, not a torch.nn.Module" in rec["error"]


def test_bad_data_stops_the_run_before_anything_trains(tmp_path, capsys):
    path = write(tmp_path, data_extra="x[0, 0] = np.inf")
    rc, out = run_cli(["run", "--task", f"{path}:TASK", "--backend", "torch", "--seeds", "1",
                       "--results", str(tmp_path / "runs")], capsys)
    assert rc == 2 and "NaN or infinite" in out.err
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


@pytest.mark.slow
def test_tune_on_a_user_task(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    path = write(tmp_path)
    rc, out = run_cli(["tune", "--task", f"{path}:TASK", "--backend", "torch", "--tuner",
                       "random", "--budget", "trials:2", "--studies", "1", "--threads", "1",
                       "--results", str(tmp_path / "tune")], capsys)
    assert rc == 0, out.err
    (summary,) = [json.loads(p.read_text()) for p in (tmp_path / "tune").glob("*/study.json")]
    assert summary["config"]["task"] == "toy-user" and summary["status_counts"] == {"ok": 2}
    assert summary["identity_fields"]["task_plugin"]["digest"] == get_task("toy-user").plugin.digest


@pytest.mark.slow
def test_check_task_compares_the_builders_and_names_what_to_fix(tmp_path, capsys):
    """Two frameworks' builders that differ in size would train different models: a problem;
    a task whose builders agree passes (each builder is built in its own process)."""
    pytest.importorskip("keras")
    keras_part = '''
def keras_model(task, info):
    import keras
    inputs = keras.Input(shape=info.input_shape)
    h = keras.layers.Dense({width}, activation="relu")(inputs)
    return keras.Model(inputs, keras.layers.Dense(info.n_outputs)(h))

TASK = UserTask(name="{name}", data=data, metric="accuracy", target=0.8,
                defaults={{"lr": 1e-2, "batch_size": 32, "epochs": 2}}, torch=torch_model,
                keras=keras_model)
'''
    for width, name, ok in ((8, "agree", True), (16, "disagree", False)):
        path = write(tmp_path, name=name, file=f"{name}.py")
        path.write_text(path.read_text() + keras_part.format(width=width, name=name))
        rc, out = run_cli(["check", "task", f"{path}:TASK", "--backend", "torch,keras-torch"],
                          capsys)
        assert rc == (0 if ok else 1), out.out
        assert "torch: 58 trainable parameters, output [8, 2]" in out.out
        if not ok:
            assert ("its builders differ in trainable parameters (torch 58, keras-torch 114)"
                    in out.out)
    path = write(tmp_path, name="broken", torch_extra="raise ValueError('bad width')",
                 file="broken_builder.py")
    rc, out = run_cli(["check", "task", f"{path}:TASK", "--backend", "torch"], capsys)
    assert rc == 1 and "its torch= builder on torch: ValueError: bad width" in out.out


@pytest.mark.slow
def test_a_tuning_table_of_a_user_task_and_studies_on_it(tmp_path, capsys, monkeypatch):
    """table build takes a user task's spec; the table records it, so tune --table (in this
    process and in --jobs processes) loads the same code."""
    monkeypatch.setenv("COLUMNS", "200")
    path = write(tmp_path)
    out_file = tmp_path / "toy.json.gz"
    rc, out = run_cli(["table", "build", "--task", f"{path}:TASK", "--backend", "torch",
                       "--configs", "2", "--replicate-every", "100", "--out", str(out_file)],
                      capsys)
    assert rc == 0, out.err
    from trainsmart_bench.tuning.table import Table

    table = Table.load(out_file)
    assert table.header["task"] == "toy-user"
    assert table.header["identity"]["task_plugin"]["spec"] == f"{path}:TASK"
    plugins._LOADED.clear()
    plugins._BY_SPEC.clear()  # as in a new process: only the table says where the code is
    rc, out = run_cli(["tune", "--table", str(out_file), "--tuner", "random,grid", "--budget",
                       "trials:4", "--studies", "2", "--jobs", "2",
                       "--results", str(tmp_path / "tune")], capsys)
    assert rc == 0, out.err
    assert "budget 4 trials per study" in out.out and "toy-user" in out.out
