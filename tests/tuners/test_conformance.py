"""One suite, every adapter whose library is installed (as optuna's pytest_samplers does)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from tests.tuners.helpers import MIXED, needs, space_for, toy_value, tuner_params
from trainsmart_bench.space import Categorical, Float, Int, SearchSpace
from trainsmart_bench.tasks.spec import Direction
from trainsmart_bench.tuners import MissingDependency, Tuner, create_tuner, tuner_class

EDGE = SearchSpace({  # narrow and awkward ranges: where translations go wrong
    "tiny": Float(1e-6, 2e-6, log=True),
    "neg": Float(-1.0, -0.5),
    "two": Int(1, 2),
    "logint": Int(1, 4, log=True),
    "mixed": Categorical((16, "x", 2.5)),
})
EDGE_CONTINUOUS = SearchSpace({k: p for k, p in EDGE.params.items()
                               if not isinstance(p, Categorical)})


def drive(tuner: Tuner, space: SearchSpace, n: int, fail_every: int = 0) -> list[dict]:
    """Suggest/observe ``n`` times; every suggestion must validate against the space."""
    rng = np.random.default_rng(0)
    configs = []
    for i in range(n):
        (config,) = tuner.suggest(1)
        space.validate(config)
        assert list(config) == list(space.params)
        if tuner.supports_pruning:
            tid = tuner.trial_id(config)
            for epoch in (1, 2, 3):
                if not tuner.report(tid, epoch, float(rng.normal()) + epoch):
                    break
        failed = fail_every and i % fail_every == fail_every - 1
        tuner.observe([config], [None if failed else float(rng.normal())])
        configs.append(config)
    return configs


@pytest.mark.parametrize("name", tuner_params())
def test_suggestions_validate_over_many_draws(name):
    space = space_for(name)
    tuner = create_tuner(name, space, Direction.MAXIMIZE, seed=3, max_epochs=3)
    configs = drive(tuner, space, 40, fail_every=7)
    for pname, p in space.params.items():  # the translation covers the range, not one corner
        values = [c[pname] for c in configs]
        if isinstance(p, Categorical):
            assert len(set(values)) >= 2, (pname, values)
        elif isinstance(p, Int):
            assert all(type(v) is int for v in values)
            assert len(set(values)) >= 2, (pname, values)
        else:
            assert all(type(v) is float for v in values)
            f = np.log if p.log else (lambda x: x)  # the spread on the scale the space draws on
            assert f(max(values)) - f(min(values)) > 0.1 * (f(p.high) - f(p.low)), (pname, values)


@pytest.mark.parametrize("name", tuner_params())
def test_edge_spaces_validate(name):
    space = EDGE_CONTINUOUS if name.startswith("optuna-cmaes") else EDGE
    drive(create_tuner(name, space, "min", seed=0, max_epochs=3), space, 25)


@pytest.mark.parametrize("name", tuner_params())
def test_batch_round_trip_and_ids(name):
    space = space_for(name)
    tuner = create_tuner(name, space, "max", seed=1, max_epochs=3)
    batch = tuner.suggest(3)
    assert len(batch) == 3
    ids = [tuner.trial_id(c) for c in batch]
    assert len(set(ids)) == len(ids) or name == "grid"
    tuner.observe(batch, [toy_value(c) for c in batch])
    with pytest.raises(KeyError):
        tuner.trial_id(batch[0])  # observed: no longer pending
    (more,) = tuner.suggest(1)
    space.validate(more)


@pytest.mark.parametrize("name", tuner_params())
def test_restore_then_continue(name):
    """A fresh tuner takes earlier trials (including ones it never proposed) and goes on."""
    space = space_for(name)
    first = create_tuner(name, space, "max", seed=5, max_epochs=3)
    history = drive(first, space, 6)
    fresh = create_tuner(name, space, "max", seed=5, max_epochs=3)
    for i, c in enumerate(history):
        fresh.restore(c, None if i == 2 else toy_value(c), curve=[0.1, 0.2], pruned=i == 4)
    drive(fresh, space, 4)


@pytest.mark.parametrize("name", tuner_params())
def test_same_seed_same_suggestions(name):
    space = space_for(name)
    runs = [drive(create_tuner(name, space, "max", seed=11, max_epochs=3), space, 12)
            for _ in range(2)]
    assert json.dumps(runs[0]) == json.dumps(runs[1])
    other = drive(create_tuner(name, space, "max", seed=12, max_epochs=3), space, 12)
    assert json.dumps(other) != json.dumps(runs[0])


@pytest.mark.parametrize("name", tuner_params())
def test_library_version_and_import(name):
    cls = tuner_class(name)
    version = cls.library_version()
    assert isinstance(version, str) and version[0].isdigit()
    assert cls.primary_import in ("numpy", *needs(name))


@pytest.mark.parametrize("name", tuner_params(
    ["hyperopt-tpe", "optuna-tpe", "optuna-cmaes", "ray-asha", "ray-optuna", "ray-hyperopt"]))
def test_missing_library_names_the_extra(name, monkeypatch):
    cls = tuner_class(name)
    blocked = cls.primary_import
    for mod in list(sys.modules):
        if mod == blocked or mod.startswith(blocked + "."):
            monkeypatch.delitem(sys.modules, mod)
    monkeypatch.setitem(sys.modules, blocked, None)  # "import blocked" now raises ImportError
    with pytest.raises(MissingDependency, match=rf"trainsmart-bench\[{cls.extra}\]"):
        cls(space_for(name), "max", 0, max_epochs=3)


PRUNED = ["optuna-tpe+median", "optuna-tpe+sha", "optuna-tpe+hyperband", "optuna-cmaes+median",
          "ray-random+asha", "ray-asha", "ray-optuna+asha", "ray-hyperopt+asha"]


@pytest.mark.parametrize("name", tuner_params(PRUNED))
def test_pruning_tuners_stop_bad_trials(name):
    space = space_for(name)
    tuner = create_tuner(name, space, "max", seed=0, max_epochs=9)
    assert tuner.supports_pruning
    stopped = 0
    for i in range(20):
        (c,) = tuner.suggest(1)
        tid = tuner.trial_id(c)
        last = None
        for epoch in range(1, 10):
            last = (i % 4) + epoch / 10  # every fourth trial is the best at every epoch
            if not tuner.report(tid, epoch, last):
                stopped += 1
                break
        tuner.observe([c], [last])
    assert 0 < stopped < 20


@pytest.mark.parametrize("name", tuner_params(
    ["optuna-tpe", "optuna-random", "optuna-cmaes", "ray-random", "ray-optuna", "ray-hyperopt"]))
def test_plain_names_prune_nothing(name):
    """A sampler's plain name is the sampler alone, as its library runs it: every report is
    answered 'go on', however bad the trial."""
    space = space_for(name)
    tuner = create_tuner(name, space, "max", seed=0, max_epochs=9)
    assert not tuner.supports_pruning and tuner.pruner is None and tuner.name == name
    for i in range(12):
        (c,) = tuner.suggest(1)
        tid = tuner.trial_id(c)
        assert all(tuner.report(tid, epoch, -float(i) - epoch) for epoch in range(1, 10))
        tuner.observe([c], [-float(i)])


def test_names_say_what_runs():
    from trainsmart_bench.errors import ConfigError
    from trainsmart_bench.registry import canonical_tuner, split_tuner, tuner_names

    assert split_tuner("optuna-tpe") == ("optuna-tpe", None)
    assert split_tuner("optuna-tpe+sha") == ("optuna-tpe", "sha")
    assert canonical_tuner("ray-asha") == "ray-random+asha"
    names = tuner_names()
    assert "optuna-cmaes+hyperband" in names and "ray-hyperopt+asha" in names
    assert not any(n.startswith(("random+", "grid+", "hyperopt-")) and "+" in n for n in names)
    for bad in ("random+median", "optuna-tpe+asha", "ray-random+median", "optuna-tpe+"):
        with pytest.raises(ConfigError, match="unknown tuner") as e:
            split_tuner(bad)
        assert "optuna-tpe+median" in str(e.value)  # the message lists what there is
    pytest.importorskip("optuna")
    tuner = create_tuner("optuna-tpe+median", MIXED, "max", max_epochs=3)
    assert type(tuner._make_pruner()).__name__ == "MedianPruner"
    assert tuner.name == "optuna-tpe+median"
    with pytest.raises(ConfigError, match="takes no pruner"):
        tuner_class("random")(MIXED, "max", 0, pruner="median")


@pytest.mark.parametrize("name", tuner_params(["optuna-cmaes"]))
def test_cmaes_draws_categoricals_with_its_seeded_independent_sampler(name):
    def draws(seed):
        tuner = create_tuner(name, MIXED, "max", seed=seed)
        return [drive_one(tuner) for _ in range(12)]

    a, b = draws(0), draws(0)
    assert a == b and a != draws(1)  # seeded, categoricals included
    for p in ("batch_size", "act"):
        assert len({c[p] for c in a}) >= 2 and all(MIXED.params[p].contains(c[p]) for c in a)


def drive_one(tuner):
    (c,) = tuner.suggest(1)
    tuner.observe([c], [toy_value(MIXED.validate(c))])
    return c


@pytest.mark.parametrize("name", tuner_params(["optuna-tpe", "hyperopt-tpe", "ray-optuna"]))
def test_model_based_tuners_improve_on_a_bowl(name):
    """Sanity of the direction handling: minimizing and maximizing |x - 0.3| go opposite ways."""
    space = SearchSpace({"x": Float(0.0, 1.0)})
    tails = {}
    for direction in ("min", "max"):
        tuner = create_tuner(name, space, direction, seed=0, max_epochs=1)
        xs = []
        for _ in range(40):
            (c,) = tuner.suggest(1)
            tuner.observe([c], [abs(c["x"] - 0.3)])
            xs.append(c["x"])
        tails[direction] = float(np.median([abs(x - 0.3) for x in xs[-10:]]))
    assert tails["min"] < tails["max"]


def test_grid_covers_then_refines():
    space = SearchSpace({"a": Float(0.0, 1.0), "b": Categorical(("p", "q"))})
    tuner = create_tuner("grid", space, "max", seed=0)
    configs = [tuner.suggest(1)[0] for _ in range(16)]
    keys = {json.dumps(c, sort_keys=True) for c in configs}
    assert len(keys) == 16  # 3 x 2 first, then the 5-point grid's new points, ...
    assert {c["a"] for c in configs[:6]} == {0.0, 0.5, 1.0}


def test_importing_tuner_modules_loads_no_library():
    code = ("import json, sys; import trainsmart_bench.tuners, trainsmart_bench.tuning.study, "
            "trainsmart_bench.tuning.scores, trainsmart_bench.cli.tune, "
            "trainsmart_bench.tuners.random, trainsmart_bench.tuners.hyperopt, "
            "trainsmart_bench.tuners.optuna, trainsmart_bench.tuners.ray_tune, "
            "trainsmart_bench.tuning.overhead, trainsmart_bench.tuning.evaluators; "
            "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('torch', 'ray', 'optuna', 'hyperopt', 'scipy', 'sklearn', 'cmaes'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_cmaes_without_cmaes_package_says_how_to_install(monkeypatch):
    pytest.importorskip("optuna")
    monkeypatch.setitem(sys.modules, "cmaes", None)
    with pytest.raises(MissingDependency, match=r"pip install cmaes"):
        create_tuner("optuna-cmaes", SearchSpace({"x": Float(0.0, 1.0)}), "max", seed=0)


# -- the checks users run (trainsmart_bench.tuners.conformance), on our own tuners ---------------
@pytest.mark.parametrize("name", tuner_params(["random", "grid", "hyperopt-tpe", "optuna-tpe",
                                               "optuna-random", "optuna-tpe+median"]))
def test_builtin_tuners_pass_the_shipped_checks(name):
    from trainsmart_bench.tuners.conformance import check_tuner

    assert check_tuner(name) == []


BROKEN = '''
import random as stdlib_random
from trainsmart_bench.tuners.random import RandomTuner

class FloatInts(RandomTuner):  # an Int as 3.0
    def _propose(self):
        c, handle = super()._propose()
        return {**c, "layers": float(c["layers"])}, handle

class Unseeded(RandomTuner):
    def _draw(self, index):
        import numpy as np
        return self.space.sample(np.random.default_rng(stdlib_random.getrandbits(64)))

class SeedBlind(RandomTuner):
    def _draw(self, index):
        import numpy as np
        return self.space.sample(np.random.default_rng(index))

class NoFailures(RandomTuner):
    def observe(self, configs, values):
        if any(v is None for v in values):
            raise TypeError("value is None")
        super().observe(configs, values)

class NoRestore(RandomTuner):
    def restore(self, config, value, curve=(), pruned=False):
        raise NotImplementedError("no resume")
'''


@pytest.mark.parametrize("cls, check, says", [
    ("FloatInts", "suggestions", ".0 is float; an Int parameter needs a Python int"),
    ("Unseeded", "determinism", "two tuners with seed 1 suggested different configs"),
    ("SeedBlind", "determinism", "the seed is ignored"),
    ("NoFailures", "suggestions", "TypeError: value is None"),
    ("NoRestore", "restore", "no resume"),
])
def test_the_checks_name_the_tuner_and_what_to_fix(tmp_path, cls, check, says):
    from trainsmart_bench.tuners.conformance import check_tuner
    from trainsmart_bench.tuners.plugins import load_tuner_class

    (tmp_path / "broken.py").write_text(BROKEN)
    spec = f"{tmp_path / 'broken.py'}:{cls}"
    load_tuner_class.cache_clear()
    problems = check_tuner(spec)
    assert [p.check for p in problems] == [check]
    assert str(problems[0]).startswith(f"{spec}: {check}: ") and says in problems[0].message


def test_check_command_exit_codes(tmp_path, capsys):
    from trainsmart_bench.cli import main

    (tmp_path / "broken.py").write_text(BROKEN)
    assert main(["check", "tuner", "random"]) == 0
    assert "random: conforms" in capsys.readouterr().out
    assert main(["check", "tuner", f"{tmp_path / 'broken.py'}:FloatInts"]) == 1
    out = capsys.readouterr().out
    assert "problem" in out and "FloatInts: suggestions: trial 0: layers=" in out
    assert main(["check", "tuner", f"{tmp_path / 'missing.py'}:X"]) == 1
    assert "does not exist" in capsys.readouterr().out


@pytest.mark.parametrize("name", tuner_params(["optuna-tpe", "optuna-tpe+median", "optuna-tpe+sha",
                                               "optuna-tpe+hyperband"]))
def test_optuna_names_propose_what_optunas_own_loop_does(name):
    """optuna-tpe is TPESampler alone, and +median, +sha and +hyperband add Optuna's pruner
    with its own defaults (Hyperband: resources 1 to the trial's epochs), exactly: driven with
    the same values, our adapter suggests what Optuna's own study.optimize suggests, trial for
    trial, and prunes the same trials."""
    import logging

    import optuna

    from tests.tuners.helpers import CONTINUOUS
    from trainsmart_bench.tuners.optuna import optuna_distributions

    optuna.logging.set_verbosity(logging.WARNING)
    dists = optuna_distributions(CONTINUOUS)
    pruners = {"median": lambda: optuna.pruners.MedianPruner(),
               "sha": lambda: optuna.pruners.SuccessiveHalvingPruner(),
               "hyperband": lambda: optuna.pruners.HyperbandPruner(min_resource=1, max_resource=4)}
    kind = name.partition("+")[2]
    pruner = pruners[kind]() if kind else optuna.pruners.NopPruner()
    # Hyperband assigns brackets by a hash of the study's name: the adapter's fixed one
    ref = optuna.create_study(study_name=f"{name}-7", direction="maximize",
                              sampler=optuna.samplers.TPESampler(seed=7), pruner=pruner)

    def objective(trial):
        c = {k: trial._suggest(k, d) for k, d in dists.items()}
        for epoch in range(1, 5):
            trial.report(toy_value(c) - 1.0 / epoch, epoch)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return toy_value(c)

    ref.optimize(objective, n_trials=25)
    tuner = create_tuner(name, CONTINUOUS, "max", 7, max_epochs=4)
    ours, pruned = [], 0
    for _ in range(25):
        (c,) = tuner.suggest(1)
        tid = tuner.trial_id(c)
        for epoch in range(1, 5):
            if not tuner.report(tid, epoch, toy_value(c) - 1.0 / epoch):
                pruned += 1
                break
        tuner.observe([c], [toy_value(c)])
        ours.append(c)
    assert [t.params for t in ref.trials] == ours
    assert pruned == sum(t.state.name == "PRUNED" for t in ref.trials)
    assert (pruned > 0) == bool(kind)
