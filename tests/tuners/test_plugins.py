"""User tuners: path/module/entry-point specs, their identity, bad input, the study loop."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from trainsmart_bench.errors import ConfigError
from trainsmart_bench.registry import canonical_tuner, split_tuner, tuner_entry_points, tuner_slug
from trainsmart_bench.tuners import create_tuner, tuner_class
from trainsmart_bench.tuners.plugins import describe, load_tuner_class, parse_call, split_top
from trainsmart_bench.tuning.evaluators import InProcessEvaluator
from trainsmart_bench.tuning.records import StudyConfig
from trainsmart_bench.tuning.study import load_studies, run_study

TUNER = '''
from trainsmart_bench.tuners.random import RandomTuner

class MyTuner(RandomTuner):
    name = "my-tuner"
'''


def write(tmp_path, body, name="mytuner.py"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(body))
    return path


@pytest.fixture(autouse=True)
def _fresh_cache():
    load_tuner_class.cache_clear()
    tuner_entry_points.cache_clear()
    yield
    load_tuner_class.cache_clear()
    tuner_entry_points.cache_clear()


def study(tmp_path, tuner, trials=4, **kw):
    return run_study("synthetic", "none", tuner, trials, store_dir=tmp_path / "store",
                     evaluator=InProcessEvaluator(), **kw)


def test_names_parse_without_importing(tmp_path):
    assert split_tuner("x/y.py:Cls") == ("x/y.py:Cls", None)
    assert split_tuner("pkg.mod:Cls+median") == ("pkg.mod:Cls", "median")
    assert split_tuner("optuna:optuna.samplers.TPESampler(a=1,b=[1,2])+sha") == (
        "optuna:optuna.samplers.TPESampler(a=1,b=[1,2])", "sha")
    assert canonical_tuner("bayesmark:some/dir:Name") == "bayesmark:some/dir:Name"
    assert "nonexistent" not in sys.modules  # parsed, not imported
    with pytest.raises(ConfigError, match="path/to/file.py:Class"):
        split_tuner("no-such-tuner")
    slug = tuner_slug("optuna:optuna.samplers.TPESampler(a=1)+median")
    assert "/" not in slug and "(" not in slug and slug.endswith("+median")
    assert tuner_slug("a/b.py:C") != tuner_slug("c/b.py:C")  # the hash tells them apart
    assert tuner_slug("optuna-tpe") == "optuna-tpe"
    assert split_top('a(x=1,y="p,q"),b,c[1,2]') == ['a(x=1,y="p,q")', "b", "c[1,2]"]
    assert parse_call('m.C(n=5,flag=true,s="x",l=[1,2])', "t") == (
        "m.C", {"n": 5, "flag": True, "s": "x", "l": [1, 2]})
    for bad in ("m.C(n=5", "m.C(n=x)", "m.C(5)"):
        with pytest.raises(ConfigError):
            parse_call(bad, "t")


def test_path_module_and_entry_point_specs_load(tmp_path, monkeypatch):
    path = write(tmp_path, TUNER)
    cls = tuner_class(f"{path}:MyTuner")
    assert cls.__name__ == "MyTuner" and cls.name == "my-tuner"
    monkeypatch.syspath_prepend(str(tmp_path))
    assert tuner_class("mytuner:MyTuner").__name__ == "MyTuner"
    dist = tmp_path / "mytuner_dist-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: mytuner-dist\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[trainsmart_bench.tuners]\nmine = mytuner:MyTuner\n")
    (dist / "RECORD").write_text("mytuner.py,,\n")
    tuner_entry_points.cache_clear()
    assert "mine" in tuner_entry_points()
    assert tuner_class("mine").__name__ == "MyTuner"
    src = describe("mine")
    assert src.kind == "entry-point" and "mytuner:MyTuner" in src.location


@pytest.mark.parametrize("body, attr, match", [
    (None, "MyTuner", "does not exist"),
    ("import no_such_module_xyz\n", "MyTuner", r"No module named 'no_such_module_xyz'"),
    ("x = 1\nraise RuntimeError('boom in plugin')\n", "MyTuner", "boom in plugin"),
    (TUNER, "Other", r"has no attribute 'Other' \(its classes: .*MyTuner"),
    ("class NotATuner:\n    pass\n", "NotATuner", "is not a Tuner: it lacks suggest"),
    ("class Opt:\n    def suggest(self, n): pass\n    def observe(self, X, y): pass\n",
     "Opt", "bayesmark:DIR"),
    ("thing = 3\n", "thing", "is not a class"),
])
def test_bad_plugins_are_clear_config_errors(tmp_path, body, attr, match):
    path = tmp_path / "mytuner.py" if body is None else write(tmp_path, body)
    with pytest.raises(ConfigError, match=match) as e:
        create_tuner(f"{path}:{attr}", _space(), "max")
    if body and "raise" in body:
        assert "line 2" in str(e.value)  # the error tail says where it failed


def test_module_specs_that_do_not_import(tmp_path, monkeypatch):
    with pytest.raises(ConfigError, match="no module 'no_such_pkg_xyz'.*PYTHONPATH"):
        tuner_class("no_such_pkg_xyz.mod:Cls")
    monkeypatch.syspath_prepend(str(tmp_path))
    write(tmp_path, "import no_dep_xyz\n", "brokenmod.py")
    with pytest.raises(ConfigError, match="(?s)importing brokenmod failed:.*no_dep_xyz"):
        tuner_class("brokenmod:Cls")


def test_a_plugin_takes_a_pruner_only_if_its_class_declares_it(tmp_path):
    path = write(tmp_path, TUNER)
    with pytest.raises(ConfigError, match="takes no pruner 'median'"):
        create_tuner(f"{path}:MyTuner+median", _space(), "max")
    write(tmp_path, TUNER + "    pruners = ('median',)\n", "pruning.py")
    tuner = create_tuner(f"{tmp_path / 'pruning.py'}:MyTuner+median", _space(), "max")
    assert tuner.pruner == "median"


def _space():
    from trainsmart_bench.space import Float, SearchSpace

    return SearchSpace({"x": Float(0.0, 1.0)})


def test_identity_has_the_code_digest_and_a_changed_tuner_never_resumes(tmp_path):
    path = write(tmp_path, TUNER)
    spec = f"{path}:MyTuner"
    s = study(tmp_path, spec)
    plugin = s.summary["plugin"]
    assert plugin["kind"] == "path" and plugin["location"] == str(path)
    assert s.summary["identity_fields"]["plugin"]["digest"] == plugin["digest"]
    assert s.summary["config"]["tuner"] == spec and "/" not in s.path.name
    assert json.loads((s.path / "study.json").read_text())["plugin"] == plugin
    study(tmp_path, spec)  # unchanged: resumes (nothing left to do)
    path.write_text(TUNER + "\n# edited\n")
    load_tuner_class.cache_clear()
    assert describe(spec).digest != plugin["digest"]
    with pytest.raises(ConfigError, match="plugin.digest"):
        study(tmp_path, spec)
    assert len(list(s.path.glob("trial-*.json"))) == 4  # nothing recorded was lost


def test_a_table_study_of_a_changed_plugin_runs_again(tmp_path, monkeypatch):
    from trainsmart_bench.tuning import study as study_mod

    path = write(tmp_path, TUNER)
    config = StudyConfig("synthetic", "none", f"{path}:MyTuner", table="abc")
    first = study_mod.digest(config.identity())
    path.write_text(TUNER + "\n# edited\n")
    assert study_mod.digest(config.identity()) != first  # _table_study's reuse test fails


BAD = '''
from trainsmart_bench.tuners.random import RandomTuner

class Outside(RandomTuner):
    def _draw(self, index):
        c = super()._draw(index)
        return {**c, "lr": 5.0} if index % 2 else c

class Raises(RandomTuner):
    def _propose(self):
        self._index += 1
        if self._index % 2:
            raise RuntimeError("no idea")
        return super()._propose()
'''


@pytest.mark.parametrize("cls, error", [("Outside", "invalid suggestion"),
                                        ("Raises", "suggest() raised")])
def test_bad_suggestions_are_failed_trials_and_the_study_goes_on(tmp_path, cls, error):
    path = write(tmp_path, BAD)
    s = study(tmp_path, f"{path}:{cls}", trials=6, params={"act": "relu"})
    statuses = [r.status.value for r in s.trials]
    assert len(s.trials) == 6 and "ok" in statuses and "failed" in statuses
    assert all(error in r.error for r in s.trials if r.status.value == "failed")


def test_reading_records_never_imports_a_plugin(tmp_path):
    path = write(tmp_path, TUNER + "\nimport sys\nsys.modules['plugin_was_imported'] = sys\n")
    study(tmp_path, f"{path}:MyTuner")
    code = ("import sys; from trainsmart_bench.tuning.study import load_studies, load_study; "
            f"s = load_studies({str(tmp_path / 'store')!r}); load_study(s[0]['study_id'] and "
            f"{str(tmp_path / 'store')!r} + '/' + s[0]['study_id']); "
            "from trainsmart_bench.tuning.scores import score_tuners; score_tuners(s); "
            "print('plugin_was_imported' in sys.modules, len(s))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.split() == ["False", "1"]
    assert load_studies(tmp_path / "store")[0]["plugin"]["kind"] == "path"
