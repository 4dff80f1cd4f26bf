"""IMDB Large Movie Review Dataset (aclImdb v1): labelled reviews as packed utf-8, plus encoding.

Parsed arrays, per split ``s`` in train/test, in order of label (neg, pos) then numeric id:
``text_s_bytes`` (uint8, all reviews' utf-8 concatenated), ``text_s_offsets`` (int64, n + 1),
``y_s`` (uint8, 0 = neg, 1 = pos), ``rating_s`` (uint8, 1..10), ``id_s`` (int32).
The unlabelled ``train/unsup`` reviews are ignored.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from trainsmart_bench.datasets.base import Dataset, DatasetLoader
from trainsmart_bench.datasets.files import RemoteFile
from trainsmart_bench.datasets.text import (
    OOV,
    PAD,
    build_vocab,
    encode,
    encode_tokens,
    pack,
    tokenize,
    tokenize_all,
    unpack,
    vocab_from_tokens,
)
from trainsmart_bench.errors import ConfigError, DataError

__all__ = ["IMDB", "OOV", "PAD", "build_vocab", "encode", "sequences", "texts", "tokenize"]

SPLITS = ("train", "test")
LABELS = ("neg", "pos")  # label index = position
_FILE = re.compile(r"(\d+)_(\d+)\.txt")
SEQUENCES_VERSION = 1  # bump when the tokenizer or the encoding changes


def _rating_ok(label: int, rating: int) -> bool:
    return 7 <= rating <= 10 if label == 1 else 1 <= rating <= 4


class IMDB(DatasetLoader):
    name = "imdb"
    title = "IMDB Large Movie Review Dataset v1.0 (sentiment, labelled part)"
    homepage = "https://ai.stanford.edu/~amaas/data/sentiment/"
    citation = (
        "Andrew L. Maas, Raymond E. Daly, Peter T. Pham, Dan Huang, Andrew Y. Ng, and "
        "Christopher Potts. Learning Word Vectors for Sentiment Analysis. ACL 2011, 142-150."
    )
    terms = "No license stated beyond citing the ACL 2011 paper; review text is subject to IMDb's."
    remote = (
        RemoteFile(
            "aclImdb_v1.tar.gz",
            (
                "http://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz",
                "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz",
            ),
            84125825,
            "c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe",
            "7c2ac02c03563afcf9b574c7e56c153a",
        ),
    )
    layout = "aclImdb"
    derived_caches = ("parsed-*.npz", "sequences-*.npz")

    def keep_member(self, name: str) -> bool:
        """Skip the 50,000 unlabelled reviews and the bag-of-words files: no task reads them."""
        parts = name.replace("\\", "/").split("/")
        return "unsup" not in parts and not name.endswith(".feat")
    per_class: ClassVar[int | None] = 12500  # reviews per (split, label) in the official data

    def layout_hint_text(self) -> str:
        return "aclImdb/ with {train,test}/{pos,neg}/<id>_<rating>.txt (the official layout)"

    def _listing(self, layout: Path, split: str) -> list[tuple[int, int, int, Path]]:
        """(label, id, rating, path) of one split, sorted; checks names, ratings, duplicates."""
        found: list[tuple[int, int, int, Path]] = []
        for label, folder in enumerate(LABELS):
            directory = layout / split / folder
            if not directory.is_dir():
                raise DataError(f"{directory}: missing; expected {self.layout_hint_text()}")
            seen: set[int] = set()
            for entry in os.scandir(directory):
                if entry.name.startswith("."):  # .DS_Store and friends from copied folders
                    continue
                match = _FILE.fullmatch(entry.name)
                path = directory / entry.name
                if match is None:
                    raise DataError(f"{path}: not named <id>_<rating>.txt")
                review_id, rating = int(match[1]), int(match[2])
                if not _rating_ok(label, rating):
                    raise DataError(
                        f"{path}: rating {rating} contradicts its label {folder!r} "
                        "(pos reviews are rated 7..10, neg reviews 1..4)"
                    )
                if review_id in seen:
                    raise DataError(f"{path}: review id {review_id} appears twice in {folder}/")
                seen.add(review_id)
                found.append((label, review_id, rating, path))
            if self.per_class is not None and len(seen) != self.per_class:
                raise DataError(
                    f"{directory}: {len(seen):,} reviews, expected {self.per_class:,}; "
                    "the copy is incomplete. Fetch or extract it again."
                )
        return sorted(found, key=lambda row: row[:2])

    def validate(self, layout: Path) -> None:
        for split in SPLITS:
            self._listing(layout, split)

    def parse(self, layout: Path) -> dict[str, np.ndarray]:
        arrays: dict[str, np.ndarray] = {}
        for split in SPLITS:
            rows = self._listing(layout, split)
            chunks = []
            for *_, path in rows:
                raw = path.read_bytes()
                try:
                    raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise DataError(f"{path}: not valid utf-8 ({exc})") from exc
                chunks.append(raw)
            arrays[f"text_{split}_bytes"], arrays[f"text_{split}_offsets"] = pack(chunks)
            arrays[f"y_{split}"] = np.array([r[0] for r in rows], np.uint8)
            arrays[f"rating_{split}"] = np.array([r[2] for r in rows], np.uint8)
            arrays[f"id_{split}"] = np.array([r[1] for r in rows], np.int32)
        return arrays

    def summary(self, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for split in SPLITS:
            y, rating = arrays[f"y_{split}"], arrays[f"rating_{split}"]
            docs = unpack(arrays[f"text_{split}_bytes"], arrays[f"text_{split}_offsets"])
            lengths = [len(tokenize(doc)) for doc in docs]
            ratings = np.bincount(rating, minlength=11)
            out[split] = {
                "count": int(len(y)),
                "per_class": dict(zip(LABELS, np.bincount(y, minlength=2).tolist())),
                "ratings": {str(r): int(n) for r, n in enumerate(ratings) if n},
                "mean_tokens": round(float(np.mean(lengths)), 1) if lengths else 0.0,
            }
        return out

    def _meta(self, manifest: dict[str, Any]) -> dict[str, Any]:
        return {**super()._meta(manifest), "classes": list(LABELS)}


def texts(dataset: Dataset, split: str) -> list[str]:
    """The reviews of ``split`` ("train" or "test") as strings, in the order of ``y_<split>``."""
    if split not in SPLITS:
        raise ConfigError(f"split {split!r}: choose one of {', '.join(SPLITS)}")
    return unpack(dataset[f"text_{split}_bytes"], dataset[f"text_{split}_offsets"])


def sequences(
    dataset: Dataset, num_words: int = 20000, maxlen: int = 256, cache: bool = True
) -> dict[str, np.ndarray]:
    """``x_train``/``x_test`` (int32, (n, maxlen)) and ``y_train``/``y_test`` for sequence models.

    The vocabulary is built from the train split only (``build_vocab``); test words outside it
    map to OOV (1). Each review keeps its first ``maxlen`` tokens and is padded with 0 at the end.
    The result is cached beside the parsed arrays, keyed by the dataset checksum, ``num_words``
    and ``maxlen``.
    """
    path = _sequences_path(dataset, num_words, maxlen) if cache else None
    if path is not None and path.is_file():
        try:
            with np.load(path, allow_pickle=False) as npz:
                return {k: npz[k] for k in npz.files}
        except (OSError, ValueError):
            path.unlink(missing_ok=True)
    train_tokens = tokenize_all(texts(dataset, "train"))
    vocab = vocab_from_tokens(train_tokens, num_words)
    out = {
        "x_train": encode_tokens(train_tokens, vocab, maxlen),
        "y_train": dataset["y_train"],
        "x_test": encode(texts(dataset, "test"), vocab, maxlen),
        "y_test": dataset["y_test"],
    }
    if path is not None:
        _write_cache(path, out, dataset.checksum)
    return out


def _sequences_path(dataset: Dataset, num_words: int, maxlen: int) -> Path | None:
    root = dataset.meta.get("root")
    if not root or not Path(root).is_dir():
        return None
    tag = f"v{SEQUENCES_VERSION}-{dataset.checksum[:16]}-w{num_words}-l{maxlen}"
    return Path(root) / f"sequences-{tag}.npz"


def _write_cache(path: Path, arrays: dict[str, np.ndarray], checksum: str) -> None:
    for stale in path.parent.glob("sequences-*.npz"):
        if checksum[:16] not in stale.name:  # encodings of a copy no longer installed
            stale.unlink(missing_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, **arrays)
    os.replace(tmp, path)
