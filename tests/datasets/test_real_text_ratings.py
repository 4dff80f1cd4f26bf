"""Real IMDB and ml-latest-small from ../shared/datasets (skipped, with a reason, if absent)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from trainsmart_bench.datasets.cache import shared_datasets_dir
from trainsmart_bench.datasets.imdb import IMDB, texts
from trainsmart_bench.datasets.movielens import MLLatestSmall, random_split, temporal_split

# one xdist worker: the session's real-data dir (each dataset imported once) is per worker
pytestmark = [pytest.mark.realdata, pytest.mark.xdist_group("realdata")]


def _shared(*parts: str) -> Path:
    root = shared_datasets_dir()
    if root is None:
        pytest.skip("no ../shared/datasets beside the checkout (or TRAINSMART_SHARED_DATASETS)")
    path = root.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent")
    return path


@pytest.fixture(scope="session")
def real_imdb(tmp_path_factory):
    """The shared IMDB copy imported once per session (~10 s): (loader, manifest)."""
    archive = _shared("imdb", "aclImdb-labelled.tar.gz")
    loader = IMDB(tmp_path_factory.mktemp("real-imdb"))
    return loader, loader.import_(archive)


@pytest.fixture(scope="session")
def real_latest(tmp_path_factory):
    loader = MLLatestSmall(tmp_path_factory.mktemp("real-ml"))
    return loader, loader.import_(_shared("ml-latest-small"))


def test_imdb_counts_are_balanced(real_imdb):
    loader, manifest = real_imdb
    for split in ("train", "test"):
        summary = manifest["summary"][split]
        assert summary["count"] == 25000
        assert summary["per_class"] == {"neg": 12500, "pos": 12500}
    both = {r: manifest["summary"]["train"]["ratings"].get(r, 0)
            + manifest["summary"]["test"]["ratings"].get(r, 0) for r in map(str, range(1, 11))}
    assert both == {"1": 10122, "2": 4586, "3": 4961, "4": 5331, "5": 0, "6": 0,
                    "7": 4803, "8": 5859, "9": 4607, "10": 9731}  # as SOURCE.md counts them


def test_imdb_reload_is_fast_and_texts_round_trip(real_imdb):
    loader, manifest = real_imdb
    t = time.process_time()  # CPU time: a busy machine (xdist's other worker) slows the wall
    ds = loader.load()
    assert time.process_time() - t < 2.0, "the parsed cache loads in well under a CPU second"
    assert ds.checksum == manifest["checksum"]
    first = texts(ds, "train")[ds["y_train"].tolist().index(1)]
    assert first.startswith("Bromwell High is a cartoon comedy")  # train/pos/0_9.txt
    assert ((ds["rating_test"] >= 7) == (ds["y_test"] == 1)).all()


def test_ml_latest_small_counts(real_latest):
    loader, manifest = real_latest
    summary = manifest["summary"]
    assert (summary["ratings"], summary["users"], summary["items"]) == (100836, 610, 9724)
    assert summary["time_range"] == ["1996-03-29", "2018-09-24"]
    assert set(summary["histogram"]) == {f"{0.5 * k:g}" for k in range(1, 11)}
    ds = loader.load()
    train, test = temporal_split(ds)
    assert len(test) == 20167 and ds["timestamp"][train].max() <= ds["timestamp"][test].min()
    train, test = random_split(ds)
    assert len(train) + len(test) == 100836 and np.intersect1d(train, test).size == 0
