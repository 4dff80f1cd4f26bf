"""IMDB loader on a tiny aclImdb fixture: parse, import, errors, tokenizer, vocab, sequences."""

from __future__ import annotations

import numpy as np
import pytest

from tests.datasets.dataset_builders import REVIEWS, tar_gz
from trainsmart_bench.datasets import imdb as imdb_module
from trainsmart_bench.datasets.files import RemoteFile, file_digest
from trainsmart_bench.datasets.imdb import (
    IMDB,
    OOV,
    PAD,
    build_vocab,
    encode,
    sequences,
    texts,
    tokenize,
)
from trainsmart_bench.errors import ConfigError, DataError


class TinyIMDB(IMDB):
    per_class = 3


@pytest.fixture
def ds(imdb_dir, data_dir):
    TinyIMDB(data_dir).import_(imdb_dir)
    return TinyIMDB(data_dir).load()


def expected(split: str) -> list[tuple[int, int, int, str]]:
    """(label, id, rating, text) in the loader's order: label, then numeric id."""
    rows = [
        (label, i, r, t)
        for label, name in enumerate(("neg", "pos"))
        for i, r, t in REVIEWS[(split, name)]
    ]
    return sorted(rows)


# -- parsing and installing ---------------------------------------------------------------


def test_import_dir_parses_in_label_then_numeric_id_order(ds):
    for split in ("train", "test"):
        want = expected(split)
        assert ds[f"y_{split}"].tolist() == [w[0] for w in want]
        assert ds[f"id_{split}"].tolist() == [w[1] for w in want]  # 0, 2, 10: numeric
        assert ds[f"rating_{split}"].tolist() == [w[2] for w in want]
        assert texts(ds, split) == [w[3] for w in want]  # bytes unchanged, utf-8 round trip
    assert ds.source == "import"
    assert all(a.dtype != object and a.dtype.kind != "U" for a in ds.arrays.values())
    assert ds["text_train_bytes"].dtype == np.uint8
    assert ds["text_train_offsets"].dtype == np.int64


def test_parsed_cache_needs_no_pickle_and_is_reused(ds, data_dir, monkeypatch):
    (cached,) = (data_dir / "imdb").glob("parsed-*.npz")
    with np.load(cached, allow_pickle=False) as npz:
        assert set(npz.files) == set(ds.arrays)
    monkeypatch.setattr(TinyIMDB, "parse", lambda self, layout: pytest.fail("re-parsed"))
    again = TinyIMDB(data_dir).load()
    assert again.checksum == ds.checksum
    assert texts(again, "test") == texts(ds, "test")


def test_import_archive_matches_directory_and_ignores_unsup(imdb_dir, tmp_path, ds):
    archive = tar_gz(imdb_dir, tmp_path / "aclImdb_v1.tar.gz")
    other = TinyIMDB(tmp_path / "other")
    manifest = other.import_(archive)
    assert manifest["summary"]["train"]["count"] == 6
    loaded = other.load()
    assert loaded.checksum == ds.checksum
    for key, array in ds.arrays.items():
        np.testing.assert_array_equal(loaded[key], array)


def test_fetch_installs_a_verified_download_without_network(imdb_dir, tmp_path):
    archive = tar_gz(imdb_dir, tmp_path / "aclImdb_v1.tar.gz")

    class Offline(TinyIMDB):
        remote = (
            RemoteFile(archive.name, ("http://invalid.test/x",), archive.stat().st_size,
                       file_digest(archive)),
        )

    loader = Offline(tmp_path / "data")
    loader.downloads_dir.mkdir(parents=True)
    archive.rename(loader.downloads_dir / archive.name)
    assert loader.fetch(progress=False)["source"] == "download"
    assert loader.verify()["checksum"] == loader.load().checksum


def test_summary_counts_classes_ratings_and_tokens(ds, data_dir):
    summary = TinyIMDB(data_dir).manifest()["summary"]
    assert summary["train"]["count"] == 6
    assert summary["train"]["per_class"] == {"neg": 3, "pos": 3}
    assert summary["test"]["ratings"] == {"1": 1, "2": 1, "4": 1, "7": 1, "9": 1, "10": 1}
    n_tokens = [len(tokenize(t)) for t in texts(ds, "test")]
    assert summary["test"]["mean_tokens"] == round(float(np.mean(n_tokens)), 1)


def test_rating_contradicting_label_names_the_file(imdb_dir, data_dir):
    bad = imdb_dir / "train" / "pos" / "10_7.txt"
    bad.rename(bad.with_name("10_3.txt"))
    with pytest.raises(DataError, match=r"pos[/\\]10_3\.txt.*contradicts"):
        TinyIMDB(data_dir).import_(imdb_dir)
    assert not TinyIMDB(data_dir).is_ready()  # nothing installed


def test_missing_class_folder_and_bad_names(imdb_dir, data_dir):
    (imdb_dir / "test" / "neg" / "0_2.txt").rename(imdb_dir / "test" / "neg" / "review.txt")
    with pytest.raises(DataError, match=r"review\.txt: not named <id>_<rating>\.txt"):
        TinyIMDB(data_dir).import_(imdb_dir)
    for f in (imdb_dir / "test" / "neg").iterdir():
        f.unlink()
    (imdb_dir / "test" / "neg").rmdir()
    with pytest.raises(DataError, match=r"neg: missing"):
        TinyIMDB(data_dir).import_(imdb_dir)


def test_incomplete_copy_fails_the_official_count(imdb_dir, data_dir):
    with pytest.raises(DataError, match="3 reviews, expected 12,500"):
        IMDB(data_dir).import_(imdb_dir)


def test_wrong_layout_and_truncated_archive(tmp_path, imdb_dir, data_dir):
    other = tmp_path / "not-imdb"
    (other / "reviews").mkdir(parents=True)
    with pytest.raises(DataError, match="no canonical layout found; expected aclImdb/"):
        TinyIMDB(data_dir).import_(other)
    archive = tar_gz(imdb_dir, tmp_path / "aclImdb_v1.tar.gz")
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    with pytest.raises(DataError, match="truncated or corrupt"):
        TinyIMDB(data_dir).import_(cut)


def test_require_before_install_says_what_to_do(data_dir):
    with pytest.raises(DataError, match="trainsmart data fetch imdb"):
        IMDB(data_dir).load()


# -- text pipeline ------------------------------------------------------------------------


def test_tokenizer_lowercases_strips_breaks_keeps_apostrophes():
    text = "Don't STOP!<br /><br />Café_au lait,<BR>rock'n'roll 42 -- 'quoted'"
    assert tokenize(text) == [
        "don't", "stop", "café", "au", "lait", "rock'n'roll", "42", "quoted",
    ]
    # every spelling of the break tag separates words and leaves no "br" token behind
    assert tokenize("one<br/>two<BR />three<br  />four<br>five") == [
        "one", "two", "three", "four", "five"]


def test_vocab_ranks_by_count_then_alphabet():
    docs = ["b a c", "c b", "d c", "e"]  # c:3, b:2, a/d/e:1
    assert build_vocab(docs, 5) == {"c": 2, "b": 3, "a": 4}
    assert build_vocab(list(reversed(docs)), 5) == build_vocab(docs, 5)
    assert max(build_vocab(docs, 100).values()) == 6  # fewer words than the budget
    with pytest.raises(ConfigError):
        build_vocab(docs, 2)


def test_encode_truncates_and_pads_at_the_end():
    vocab = {"a": 2, "b": 3}
    out = encode(["a b z a", "b", ""], vocab, 3)
    assert out.dtype == np.int32
    assert out.tolist() == [[2, 3, OOV], [3, PAD, PAD], [PAD, PAD, PAD]]
    with pytest.raises(ConfigError):
        encode(["a"], vocab, 0)


def test_sequences_vocab_is_from_train_only(ds):
    seq = sequences(ds, num_words=1000, maxlen=8, cache=False)
    assert seq["x_train"].shape == (6, 8) and seq["x_test"].shape == (6, 8)
    np.testing.assert_array_equal(seq["y_test"], ds["y_test"])
    vocab = build_vocab(texts(ds, "train"), 1000)
    assert "zyzzyva" not in vocab  # appears in test reviews only
    first = texts(ds, "test")[0]
    assert "zyzzyva" in first
    assert seq["x_test"][0].tolist() == encode([first], vocab, 8)[0].tolist()
    assert OOV in seq["x_test"][0]
    assert seq["x_train"].max() < 1000


def test_sequences_are_cached_per_settings(ds, data_dir, monkeypatch):
    first = sequences(ds, num_words=50, maxlen=4)
    files = sorted(p.name for p in (data_dir / "imdb").glob("sequences-*.npz"))
    assert files == [f"sequences-v1-{ds.checksum[:16]}-w50-l4.npz"]
    monkeypatch.setattr(imdb_module, "tokenize_all", lambda _: pytest.fail("not cached"))
    again = sequences(ds, num_words=50, maxlen=4)
    for key in first:
        np.testing.assert_array_equal(again[key], first[key])
    monkeypatch.undo()
    assert sequences(ds, num_words=50, maxlen=6)["x_train"].shape == (6, 6)
    assert len(list((data_dir / "imdb").glob("sequences-*.npz"))) == 2


def test_texts_rejects_unknown_split(ds):
    with pytest.raises(ConfigError, match="choose one of train, test"):
        texts(ds, "valid")
