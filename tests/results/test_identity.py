"""Record identity: digests, differences, schema migration, the store's file per identity."""

from __future__ import annotations

import json

import pytest

from trainsmart_bench.errors import ConfigError
from trainsmart_bench.execution.identity import run_identity
from trainsmart_bench.results import RecordStore, RunRecord, SchemaError, Status
from trainsmart_bench.results.identity import config_digest, differences, digest


def ident(**params):
    return run_identity("digits-mlp", None, params, "torch", "cpu", 0, threads=1)


def test_identity_covers_what_determines_a_result():
    base = ident()
    assert base["params"]["epochs"] == 30 and base["dataset"]["checksum"]
    assert base["frameworks"]["torch"] and base["suite_version"] and base["threads"] == 1
    assert digest(ident()) == digest(base)
    changed = [
        ident(epochs=5),
        run_identity("digits-mlp", None, {}, "torch", "cpu", 0, threads=2),
        run_identity("digits-mlp", None, {}, "torch", "cpu", 0, threads=1, mode="compiled"),
        run_identity("digits-mlp", None, {}, "keras", "cpu", 0, threads=1),
        {**base, "dataset": {"name": "digits", "checksum": "0" * 64}},
        {**base, "suite_version": "9.9"},
    ]
    assert len({digest(c) for c in changed} | {digest(base)}) == len(changed) + 1
    seed1 = run_identity("digits-mlp", None, {}, "torch", "cpu", 1, threads=1)
    assert digest(seed1) != digest(base) and config_digest(seed1) == config_digest(base)
    assert differences(base, ident(epochs=5)) == ["params.epochs: 30 -> 5"]


def test_identity_refuses_a_bad_config():
    with pytest.raises(ConfigError, match="epochs=0"):
        ident(epochs=0)


def test_v1_records_still_load_and_are_never_reused(tmp_path):
    v1 = {"schema_version": 1, "kind": "run", "task": "digits-mlp", "backend": "torch",
          "device": "cpu", "seed": 0, "status": "ok", "profile": None,
          "params": {"epochs": 30}, "metrics": {}, "env": {"dataset": {"checksum": "abc"}}}
    rec = RunRecord.from_dict(v1)
    assert rec.schema_version == 2 and rec.identity and rec.identity_fields["threads"] is None
    assert rec.identity != digest(ident())
    with pytest.raises(SchemaError, match="reads 1, 2"):
        RunRecord.from_dict({**v1, "schema_version": 3})


def test_store_keeps_one_file_per_identity(tmp_path):
    store = RecordStore(tmp_path)
    a, b = ident(epochs=2), ident(epochs=3)
    for fields in (a, b):
        store.write(RunRecord("digits-mlp", "torch", "cpu", 0, Status.OK, identity=digest(fields),
                              config_id=config_digest(fields), identity_fields=fields))
    assert len(list(tmp_path.glob("*.json"))) == 2
    (tmp_path / "broken.json").write_text("{")
    assert set(store.by_identity()) == {digest(a), digest(b)}
    assert store.problems and "broken.json" in store.problems[0]
    assert json.loads(store.path(next(iter(store))).read_text())["schema_version"] == 2
