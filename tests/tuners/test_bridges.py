"""The bridges: Bayesmark optimizer folders and Optuna samplers by import path."""

from __future__ import annotations

import importlib.util
import json
import math
import sys
import textwrap
from pathlib import Path

import pytest

from tests.tuners.helpers import MIXED, toy_value
from trainsmart_bench.errors import ConfigError
from trainsmart_bench.space import Categorical, Float, Int, SearchSpace
from trainsmart_bench.tuners import create_tuner
from trainsmart_bench.tuners.bayesmark_space import api_config, from_suggestion, to_suggestion
from trainsmart_bench.tuners.conformance import check_tuner
from trainsmart_bench.tuners.plugins import load_tuner_class

EXAMPLE = str(Path(__file__).parents[2] / "examples" / "bayesmark_optimizer")
HAS_BAYESMARK = importlib.util.find_spec("bayesmark") is not None

RECORDER = '''
from bayesmark.abstract_optimizer import AbstractOptimizer
from bayesmark.experiment import experiment_main

SEEN = []

class Recorder(AbstractOptimizer):
    primary_import = None

    def __init__(self, api_config, value=0.5):
        AbstractOptimizer.__init__(self, api_config)
        self.value = value

    def suggest(self, n_suggestions=1):
        return [{"x": self.value} for _ in range(n_suggestions)]

    def observe(self, X, y):
        SEEN.append(list(y))

if __name__ == "__main__":
    experiment_main(Recorder)
'''


@pytest.fixture(autouse=True)
def _fresh_cache():
    load_tuner_class.cache_clear()
    yield
    load_tuner_class.cache_clear()


def folder(tmp_path, body=RECORDER, config=None):
    (tmp_path / "optimizer.py").write_text(textwrap.dedent(body))
    if config is not None:
        (tmp_path / "config.json").write_text(json.dumps(config))
    return str(tmp_path)


def test_api_config_of_every_kind_and_back():
    space = SearchSpace({"lr": Float(1e-4, 1e-1, log=True), "d": Float(0.0, 0.5),
                         "u": Int(8, 512, log=True), "l": Int(1, 3),
                         "b": Categorical((32, 64, 128)), "r": Categorical((0.5, 1, 2.5)),
                         "f": Categorical((False, True)), "a": Categorical(("relu", "tanh")),
                         "m": Categorical((1, "1", 2.5))})
    api = api_config(space)
    assert api["lr"] == {"type": "real", "space": "log", "range": (1e-4, 1e-1)}
    assert api["d"] == {"type": "real", "space": "linear", "range": (0.0, 0.5)}
    assert api["u"] == {"type": "int", "space": "log", "range": (8, 512)}
    assert api["b"] == {"type": "int", "space": "linear", "values": [32, 64, 128]}
    assert api["r"]["type"] == "real" and api["r"]["values"] == [0.5, 1, 2.5]
    assert api["f"] == {"type": "bool"} and api["a"] == {"type": "cat", "values": ["relu", "tanh"]}
    assert api["m"]["values"] == ["1", "'1'", "2.5"]  # str() would read alike: repr
    import numpy as np

    raw = {"a": "tanh", "lr": np.float64(math.exp(math.log(0.1))) + 1e-12, "d": 0.25,
           "u": np.int64(17), "l": 2.0, "b": 64.0, "r": 2.5, "f": np.bool_(True), "m": "'1'"}
    config = from_suggestion(space, raw)
    assert list(config) == list(space.params)  # the space's order
    assert space.validate(config) == config
    assert type(config["u"]) is int and type(config["l"]) is int and type(config["b"]) is int
    assert config["lr"] == 0.1 and config["f"] is True and config["m"] == "1"
    back = to_suggestion(space, config)
    assert back["m"] == "'1'" and back["a"] == "tanh"
    bad = from_suggestion(space, {**raw, "a": "0", "l": 2.5})  # left for validation to catch
    assert bad["a"] == "0" and bad["l"] == 2.5
    with pytest.raises(ConfigError):
        space.validate(bad)


def test_standins_load_a_folder_without_bayesmark(tmp_path, monkeypatch):
    for name in [m for m in sys.modules if m.split(".")[0] == "bayesmark"]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "bayesmark", None)  # "import bayesmark" fails
    space = SearchSpace({"x": Float(0.0, 1.0)})
    tuner = create_tuner(f"bayesmark:{folder(tmp_path)}", space, "max", 0)
    assert sys.modules["bayesmark"] is None  # the stand-ins left with the import
    (c,) = tuner.suggest(1)
    assert c == {"x": 0.5}
    tuner.observe([c], [0.75])
    (c,) = tuner.suggest(1)
    tuner.observe([c], [None])
    seen = sys.modules[type(tuner).optimizer.__module__].SEEN
    assert seen == [[-0.75], [math.inf]]  # a loss to minimize; a failure is inf
    main = sys.modules[type(tuner).optimizer.__module__].experiment_main
    with pytest.raises(RuntimeError, match="not available here"):
        main(type(tuner).optimizer)


def test_config_json_names_and_their_kwargs(tmp_path):
    spec = folder(tmp_path, config={"A": ["optimizer.py", {"value": 0.25}],
                                    "B": ["optimizer.py", {"value": 0.75}]})
    space = SearchSpace({"x": Float(0.0, 1.0)})
    assert create_tuner(f"bayesmark:{spec}:B", space, "min").suggest(1) == [{"x": 0.75}]
    assert create_tuner(f"bayesmark:{spec}", space, "min").suggest(1) == [{"x": 0.5}]
    with pytest.raises(ConfigError, match="config names: A, B"):
        create_tuner(f"bayesmark:{spec}:C", space, "min")
    with pytest.raises(ConfigError, match="is not a folder"):
        create_tuner(f"bayesmark:{tmp_path / 'nope'}", space, "min")


def test_a_folder_with_two_optimizers_and_no_opt_wrapper_is_refused(tmp_path):
    body = RECORDER + "\nclass Other(Recorder):\n    pass\n"
    with pytest.raises(ConfigError, match="defines 2 AbstractOptimizer subclasses"):
        create_tuner(f"bayesmark:{folder(tmp_path, body)}", MIXED, "max")


def test_the_example_conforms_and_improves():
    assert check_tuner(f"bayesmark:{EXAMPLE}") == []
    space = SearchSpace({"x": Float(0.0, 1.0)})
    tails = {}
    for direction in ("min", "max"):
        tuner = create_tuner(f"bayesmark:{EXAMPLE}", space, direction, seed=0)
        xs = []
        for _ in range(40):
            (c,) = tuner.suggest(1)
            tuner.observe([c], [abs(c["x"] - 0.3)])
            xs.append(c["x"])
        tails[direction] = sorted(abs(x - 0.3) for x in xs[-10:])[5]
    assert tails["min"] < tails["max"]


def test_the_example_resumes_by_replay():
    spec = f"bayesmark:{EXAMPLE}"
    first = create_tuner(spec, MIXED, "max", seed=4)
    history = []
    for i in range(14):
        (c,) = first.suggest(1)
        v = None if i == 3 else toy_value(c)
        first.observe([c], [v])
        history.append((c, v))
    fresh = create_tuner(spec, MIXED, "max", seed=4)
    for c, v in history:
        fresh.restore(c, v)
    assert fresh.suggest(3) == first.suggest(3)  # the same state as the uninterrupted one


@pytest.mark.skipif(not HAS_BAYESMARK or importlib.util.find_spec("hyperopt") is None,
                    reason="needs bayesmark (pip install bayesmark==0.0.8 --no-deps), hyperopt")
def test_bayesmarks_own_hyperopt_optimizer_runs_unchanged(tmp_path):
    from trainsmart_bench.tuning.evaluators import InProcessEvaluator
    from trainsmart_bench.tuning.study import run_study

    s = run_study("synthetic", "none", "bayesmark:builtin:HyperOpt", 8, store_dir=tmp_path,
                  evaluator=InProcessEvaluator(), params={"act": "relu"})
    assert [r.status.value for r in s.trials] == ["ok"] * 8
    assert s.summary["library"] == {"import": "hyperopt",
                                    "version": importlib.metadata.version("hyperopt")}
    # its wrapper returns hp.choice's index for a "cat" parameter: the check says so
    problems = check_tuner("bayesmark:builtin:HyperOpt")
    assert [p.check for p in problems] == ["suggestions"]
    assert "act='0'" in problems[0].message or "act='1'" in problems[0].message


@pytest.mark.skipif(not HAS_BAYESMARK, reason="needs bayesmark")
def test_bayesmarks_random_optimizer_fails_to_load_with_its_error():
    import numpy as np

    if hasattr(np, "float_"):
        pytest.skip("numpy < 2: bayesmark.space imports")
    with pytest.raises(ConfigError, match=r"(?s)random_optimizer.py failed:.*np.float_"):
        create_tuner("bayesmark:builtin:RandomSearch", MIXED, "max")


optuna = pytest.importorskip("optuna")


def test_any_optuna_sampler_with_options_and_the_study_seed():
    spec = "optuna:optuna.samplers.TPESampler(n_startup_trials=2,multivariate=true)"
    tuner = create_tuner(spec + "+median", MIXED, "max", seed=3, max_epochs=3)
    sampler = tuner._ensure().sampler
    assert type(sampler).__name__ == "TPESampler" and sampler._n_startup_trials == 2
    assert sampler._multivariate and tuner.pruner == "median" and tuner.name == spec + "+median"
    assert check_tuner(spec) == []
    assert check_tuner("optuna:optuna.samplers.QMCSampler") == []


@pytest.mark.parametrize("spec, match", [
    ("optuna:optuna.samplers.TPESampler(seed=1)", "the seed is the study's"),
    ("optuna:optuna.samplers.TPESampler(no_such_option=1)", "no_such_option"),
    ("optuna:optuna.samplers.NoSampler", "has no attribute 'NoSampler'"),
    ("optuna:optuna.trial.Trial", "not an optuna.samplers.BaseSampler"),
    ("optuna:TPESampler", "name the sampler's module"),
    ("optuna:optuna.samplers.TPESampler+asha", "takes no pruner 'asha'"),
])
def test_bad_optuna_specs(spec, match):
    with pytest.raises(ConfigError, match=match):
        create_tuner(spec, MIXED, "max")
