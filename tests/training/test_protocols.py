"""Evaluation protocols: k-fold on the training data, ml-100k's official folds, walk-forward
windows on ratings; the folds of one configuration pool like seeds."""

from __future__ import annotations

import numpy as np
import pytest

from tests.datasets.dataset_builders import write_ml100k
from trainsmart_bench.datasets import get_loader
from trainsmart_bench.errors import ConfigError
from trainsmart_bench.tasks import get_task
from trainsmart_bench.training.data import prepare
from trainsmart_bench.training.protocols import Fold, folds, parse


def test_parse_and_which_tasks_take_which_protocol():
    assert parse(None) == ("holdout", 1) and parse("kfold:5") == ("kfold", 5)
    for bad in ("kfold", "kfold:1", "loo:3", "kfold:x"):
        with pytest.raises(ConfigError, match="--protocol"):
            parse(bad)
    assert folds(None, get_task("mnist-mlp")) == [None]
    assert [f.label for f in folds("kfold:3", get_task("mnist-mlp"))] == [
        "kfold:3/1", "kfold:3/2", "kfold:3/3"]
    with pytest.raises(ConfigError, match="walk-forward needs timestamps"):
        folds("walk-forward:4", get_task("digits-mlp"))
    with pytest.raises(ConfigError, match="use kfold:5"):
        folds("kfold:3", get_task("movielens-100k-mf"))
    assert Fold.from_label("walk-forward:4/2") == Fold("walk-forward", 4, 2)


def rows(a: np.ndarray) -> set[bytes]:
    return {r.tobytes() for r in a.reshape(len(a), -1)}


def test_kfold_holds_out_each_training_row_once_and_never_the_test_split():
    task = get_task("digits-mlp").resolve()
    plain = prepare(task)
    pool = rows(np.concatenate([plain.x_train, plain.x_val]))
    held = []
    for fold in folds("kfold:5", task.spec):
        d = prepare(task, fold=fold)
        test, train, val = rows(d.x_test), rows(d.x_train), rows(d.x_val)
        assert test <= pool and not test & (train | val) and not train & val
        assert not test & rows(plain.x_test)  # the official test split stays untouched
        counts = np.bincount(d.y_test, minlength=10)
        assert counts.min() >= 20  # stratified: every class in every fold
        held.append(test)
    assert set().union(*held) == pool and sum(map(len, held)) == len(pool)


@pytest.fixture
def ml100k(tmp_path, monkeypatch):
    """The format-faithful 40-rating copy of ml-100k (the real one may not be redistributed)."""
    from tests.datasets.dataset_builders import ML100K_ITEMS, ML100K_USERS
    from trainsmart_bench.datasets.movielens import ML100K

    monkeypatch.setattr(ML100K, "expected", (40, ML100K_USERS, ML100K_ITEMS))
    get_loader("ml-100k").import_(write_ml100k(tmp_path / "src"))


def test_ml100k_kfold5_uses_the_official_folds(ml100k):
    from trainsmart_bench.datasets import movielens

    task = get_task("movielens-100k-mf").resolve()
    ds = get_loader("ml-100k").load()
    for fold in folds("kfold:5", task.spec):
        d = prepare(task, fold=fold)
        _, official_test = movielens.official_split(ds, fold.index)
        pairs = np.stack([ds["user"], ds["item"]], 1)[official_test].astype(np.int32)
        assert rows(d.x_test) == rows(pairs) and d.extras["split"] == fold.label


def test_walk_forward_trains_on_the_past_and_tests_on_the_next_window(ml100k):
    task = get_task("movielens-100k-mf").resolve()
    ds = get_loader("ml-100k").load()
    when = {tuple(p): t for p, t in zip(np.stack([ds["user"], ds["item"]], 1), ds["timestamp"])}
    sizes = []
    for fold in folds("walk-forward:4", task.spec):
        d = prepare(task, fold=fold)
        t_train = [when[tuple(p)] for p in np.concatenate([d.x_train, d.x_val])]
        t_val = [when[tuple(p)] for p in d.x_val]
        t_test = [when[tuple(p)] for p in d.x_test]
        assert max(t_train) <= min(t_test)  # never trained on the future
        assert min(t_val) >= np.median(t_train)  # validation: the latest training ratings
        sizes.append((len(d.x_train) + len(d.x_val), len(d.x_test)))
    assert [a for a, _ in sizes] == sorted(a for a, _ in sizes)  # expanding windows
    assert sum(b for _, b in sizes) + sizes[0][0] == 40  # the windows cover every rating


def test_folds_are_cells_of_their_own_and_pool_into_one_configuration(tmp_path):
    from trainsmart_bench.cli.run import interleaved
    from trainsmart_bench.execution.matrix import Settings, identity_of
    from trainsmart_bench.results.identity import config_digest, digest

    cells = interleaved(["digits-mlp"], ["torch"], ["cpu"], 2, None, protocol="kfold:3")
    assert [(c.seed, c.fold) for c in cells] == [
        (s, f"kfold:3/{i}") for s in (0, 1) for i in (1, 2, 3)]
    assert len({c.key for c in cells}) == 6
    ids = [identity_of(c, Settings(threads=1)) for c in cells]
    assert ids[0]["protocol"] == {"name": "kfold", "k": 3, "fold": 1}
    assert len({digest(i) for i in ids}) == 6  # every fold and seed: a record of its own
    assert len({config_digest(i) for i in ids}) == 1  # ... of one configuration
