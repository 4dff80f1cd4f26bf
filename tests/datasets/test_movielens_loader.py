"""MovieLens loaders on tiny ml-100k / ml-latest-small fixtures, and the three rating splits."""

from __future__ import annotations

import numpy as np
import pytest

from tests.datasets.dataset_builders import (
    LATEST_ROWS,
    ML100K_ITEMS,
    ML100K_USERS,
    ml100k_table,
    zip_dir,
)
from trainsmart_bench.datasets.movielens import (
    ML100K,
    MLLatestSmall,
    official_split,
    random_split,
    take,
    temporal_split,
)
from trainsmart_bench.errors import ConfigError, DataError


class Tiny100K(ML100K):
    expected = (40, ML100K_USERS, ML100K_ITEMS)


class TinyLatest(MLLatestSmall):
    expected = (len(LATEST_ROWS), 5, 5)


@pytest.fixture
def ml100k(ml100k_dir, tmp_path, data_dir):
    Tiny100K(data_dir).import_(zip_dir(ml100k_dir, tmp_path / "ml-100k.zip"))
    return Tiny100K(data_dir).load()


@pytest.fixture
def latest(latest_dir, data_dir):
    TinyLatest(data_dir).import_(latest_dir)
    return TinyLatest(data_dir).load()


def pairs(ds, idx) -> set[tuple[int, int]]:
    rows = take(ds, idx)
    return set(zip(ds["user_ids"][rows["user"]].tolist(), ds["item_ids"][rows["item"]].tolist()))


def file_pairs(path) -> set[tuple[int, int]]:
    table = np.loadtxt(path, np.int64, delimiter="\t", ndmin=2)
    return set(zip(table[:, 0].tolist(), table[:, 1].tolist()))


# -- parsing ----------------------------------------------------------------------------------


def test_ml100k_zip_parses_dense_indices_and_raw_ids(ml100k):
    table = ml100k_table()
    assert ml100k["user"].dtype == np.int32 and ml100k["item"].dtype == np.int32
    assert ml100k["rating"].dtype == np.float32 and ml100k["timestamp"].dtype == np.int64
    np.testing.assert_array_equal(ml100k["user_ids"][ml100k["user"]], table[:, 0])  # file order
    np.testing.assert_array_equal(ml100k["item_ids"][ml100k["item"]], table[:, 1])
    np.testing.assert_array_equal(ml100k["rating"], table[:, 2])
    np.testing.assert_array_equal(ml100k["timestamp"], table[:, 3])
    assert ml100k["user_ids"].tolist() == list(range(1, ML100K_USERS + 1))
    assert sorted(set(ml100k["fold_test"].tolist())) == [1, 2, 3, 4, 5]


def test_ml100k_summary_and_terms(ml100k, data_dir):
    summary = Tiny100K(data_dir).manifest()["summary"]
    assert summary["ratings"] == 40 and summary["users"] == 6 and summary["items"] == 8
    assert summary["histogram"] == {str(r): 8 for r in range(1, 6)}
    assert summary["fold_test_sizes"] == [8] * 5
    assert summary["time_range"] == ["1997-11-20", "1997-11-20"]
    assert ML100K.redistributable is False


def test_official_split_matches_uN_files(ml100k, ml100k_dir):
    for fold in range(1, 6):
        train, test = official_split(ml100k, fold)
        assert pairs(ml100k, test) == file_pairs(ml100k_dir / f"u{fold}.test")
        assert pairs(ml100k, train) == file_pairs(ml100k_dir / f"u{fold}.base")
        assert np.intersect1d(train, test).size == 0 and len(train) + len(test) == 40
    with pytest.raises(ConfigError, match="1..5"):
        official_split(ml100k, 6)


def test_ml100k_errors(ml100k_dir, data_dir):
    (ml100k_dir / "u3.test").write_text("1\t1\t5\t880000000\n")  # (1, 1) is not rated
    with pytest.raises(DataError, match=r"u3\.test: line 1 is not a rating in u\.data"):
        Tiny100K(data_dir).import_(ml100k_dir)
    (ml100k_dir / "u3.base").unlink()
    with pytest.raises(DataError, match=r"u3\.base is missing"):
        Tiny100K(data_dir).import_(ml100k_dir)


def test_ml100k_rating_out_of_range(ml100k_dir, data_dir):
    path = ml100k_dir / "u.data"
    lines = path.read_text().splitlines()
    u, i, _, t = lines[4].split("\t")
    lines[4] = f"{u}\t{i}\t6\t{t}"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"u\.data: line 5: rating 6\.0 is outside 1\.0\.\.5\.0"):
        Tiny100K(data_dir).import_(ml100k_dir)


def test_ml100k_official_counts_reject_a_small_copy(ml100k_dir, data_dir):
    with pytest.raises(DataError, match="40 ratings by 6 users on 8 items, expected 100,000"):
        ML100K(data_dir).import_(ml100k_dir)


def test_latest_dir_parses_half_stars(latest):
    assert latest["rating"].tolist() == [r for _, _, r, _ in LATEST_ROWS]
    assert latest["item_ids"].tolist() == [1, 3, 50, 318, 193609]
    assert latest["item_ids"][latest["item"][6]] == 193609
    assert "fold_test" not in latest.arrays
    with pytest.raises(ConfigError, match="only ml-100k"):
        official_split(latest, 1)


def test_latest_found_by_its_files_in_a_renamed_folder(tmp_path, latest_dir, data_dir):
    renamed = latest_dir.rename(tmp_path / "my copy")
    manifest = TinyLatest(data_dir).import_(tmp_path)
    assert manifest["summary"]["ratings"] == len(LATEST_ROWS)
    assert manifest["summary"]["histogram"]["0.5"] == 1
    assert (data_dir / "ml-latest-small" / "ml-latest-small" / "ratings.csv").is_file()
    assert renamed.is_dir()


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda s: s.replace("movieId", "Id", 1), r"header 'userId,Id,rating,timestamp'"),
        (lambda s: s.replace(",4.5,", ",5.5,"), r"line 3: rating 5\.5 is outside 0\.5\.\.5\.0"),
        (lambda s: s.replace(",2.5,", ",2.25,"), r"rating 2\.25 is outside"),
        (lambda s: s[: s.rindex(",")], "truncated or corrupt"),
        (lambda s: s.replace(",964982703", ",9649827.5"), r"line 2: timestamp .* not an integer"),
    ],
)
def test_latest_rejects_bad_files(latest_dir, data_dir, edit, message):
    path = latest_dir / "ratings.csv"
    path.write_text(edit(path.read_text()))
    with pytest.raises(DataError, match=message):
        TinyLatest(data_dir).import_(latest_dir)
    assert not TinyLatest(data_dir).is_ready()


def test_wrong_layout_and_truncated_zip(tmp_path, ml100k_dir, data_dir):
    with pytest.raises(DataError, match="no canonical layout found; expected ml-latest-small/"):
        TinyLatest(data_dir).import_(ml100k_dir)
    archive = zip_dir(ml100k_dir, tmp_path / "ml-100k.zip")
    cut = tmp_path / "cut.zip"
    cut.write_bytes(archive.read_bytes()[:-200])
    with pytest.raises(DataError, match="truncated or corrupt"):
        Tiny100K(data_dir).import_(cut)


# -- splits -----------------------------------------------------------------------------------


def test_random_split_sizes_disjoint_deterministic(ml100k):
    train, test = random_split(ml100k, 0.2, seed=0)
    assert len(test) == 8 and len(train) == 32
    assert np.intersect1d(train, test).size == 0
    np.testing.assert_array_equal(np.union1d(train, test), np.arange(40))
    assert (np.diff(train) > 0).all() and (np.diff(test) > 0).all()
    again = random_split(ml100k, 0.2, seed=0)
    np.testing.assert_array_equal(again[1], test)
    assert not np.array_equal(random_split(ml100k, 0.2, seed=1)[1], test)
    with pytest.raises(ConfigError, match="test_fraction"):
        random_split(ml100k, 1.0)


def test_temporal_split_is_walk_forward_with_index_ties(ml100k, latest):
    train, test = temporal_split(ml100k, 0.25)
    assert len(test) == 10 and np.intersect1d(train, test).size == 0
    ts = ml100k["timestamp"]
    assert ts[train].max() <= ts[test].min()
    # latest by time: rows 9, 1, 0, 2, 5, 6, (3, 4 tied), (7, 8 tied)
    assert temporal_split(latest, 0.2)[1].tolist() == [7, 8]
    train, test = temporal_split(latest, 0.3)  # the 3-4 tie is cut: the later row is test
    assert test.tolist() == [4, 7, 8] and 3 in train
    assert temporal_split(latest, 0.5)[1].tolist() == [3, 4, 6, 7, 8]


def test_take_gathers_rows(ml100k):
    rows = take(ml100k, np.array([3, 0]))
    assert set(rows) == {"user", "item", "rating", "timestamp"}
    assert rows["rating"].tolist() == [ml100k["rating"][3], ml100k["rating"][0]]
