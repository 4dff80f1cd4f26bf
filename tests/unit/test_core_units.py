"""Search spaces, statistics, records and task resolution (numpy only)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from trainsmart_bench.errors import ConfigError
from trainsmart_bench.results import RecordStore, RunRecord, SchemaError, Status, metric
from trainsmart_bench.results.stats import bootstrap_median
from trainsmart_bench.space import Categorical, Float, Int, SearchSpace
from trainsmart_bench.tasks import get_task, task_names


def test_space_sample_validate_round_trip():
    space = SearchSpace({"lr": Float(1e-4, 1e-1, log=True), "units": Int(8, 64, log=True),
                         "bs": Categorical((32, 64))})
    rng = np.random.default_rng(0)
    draws = [space.sample(rng) for _ in range(500)]
    for d in draws:
        assert space.validate(d) == d
    lrs = np.log10([d["lr"] for d in draws])
    assert lrs.min() < -3.5 and lrs.max() > -1.5, "log-uniform covers the decades"
    assert SearchSpace.from_dict(json.loads(json.dumps(space.to_dict()))) == space
    assert len(space.grid(3)) == 3 * 3 * 2


@pytest.mark.parametrize("bad", [
    lambda: Float(1, 0), lambda: Float(0, 1, log=True), lambda: Int(5, 5),
    lambda: Categorical(()), lambda: Categorical((1, 1)), lambda: SearchSpace({}),
    lambda: SearchSpace.from_dict({"x": {"type": "normal"}}),
])
def test_space_rejects_invalid(bad):
    with pytest.raises(ConfigError):
        bad()


def test_validate_rejects_out_of_range_and_missing():
    space = SearchSpace({"lr": Float(1e-4, 1e-1, log=True)})
    with pytest.raises(ConfigError, match="outside"):
        space.validate({"lr": 1.0})
    with pytest.raises(ConfigError, match="missing"):
        space.validate({})


def test_bootstrap_median_interval():
    s = bootstrap_median([1.0, 2.0, 3.0, 4.0, 100.0])
    assert s.median == 3.0 and s.low <= 3.0 <= s.high and s.n == 5
    assert bootstrap_median([None, 2.0]).format() == "2 (n=1)"
    assert bootstrap_median([]).median is None
    tight = bootstrap_median([5.0] * 4)
    assert tight.low == tight.high == 5.0


def test_record_round_trip_and_schema(tmp_path):
    rec = RunRecord("mnist-mlp", "torch", "cpu", 0, Status.OK, params={"lr": 0.001},
                    metrics={"accuracy": metric("accuracy", 0.97)}, curve=[{"epoch": 1}])
    store = RecordStore(tmp_path)
    path = store.write(rec)
    assert path == store.path(rec) and path.is_file() and not list(tmp_path.glob(".*"))
    back = RunRecord.from_dict(json.loads(path.read_text()))
    assert back == rec and back.value("accuracy") == 0.97
    bad = rec.to_dict() | {"schema_version": 99}
    with pytest.raises(SchemaError):
        RunRecord.from_dict(bad)


def test_every_task_resolves_and_its_space_is_valid():
    for name in task_names():
        t = get_task(name)
        r = t.resolve()
        assert r.target == t.target and r["epochs"] >= 1
        sample = t.space.sample(np.random.default_rng(0))
        t.resolve(**sample)  # every tunable name is a known hyperparameter
    cpu = get_task("cifar10-resnet").resolve("cpu")
    assert cpu.option("widths") == (16, 32, 64) and cpu.target < 0.94
    with pytest.raises(ConfigError, match="unknown hyperparameters"):
        get_task("mnist-mlp").resolve(nonsense=1)
    with pytest.raises(ConfigError, match="no profile"):
        get_task("mnist-mlp").resolve("gpu-xl")
    assert get_task("mnist-mlp").resolve(width=128).hidden() == (128, 64)



def test_one_entry_per_adapter_name_feeds_every_view():
    from trainsmart_bench import registry

    for kind, table in registry.ENTRIES.items():
        assert list(registry.KINDS[kind]) == list(table)
        for name, e in table.items():
            assert e.name == name and registry.KINDS[kind][name] == e.target
            assert registry.entry(kind, name) is e
    e = registry.BACKEND_ENTRIES["keras-jax"]
    assert registry.BACKEND_EXTRAS["keras-jax"] == e.extra == "jax"
    assert registry.BACKEND_DISTRIBUTIONS["keras-jax"] == e.distributions
    with pytest.raises(registry.UnknownNameError, match="choose one of: keras, keras-jax"):
        registry.entry("backend", "mxnet")
    assert registry.missing_modules("tuner", "random") == []
