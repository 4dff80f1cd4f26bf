"""MovieLens explicit ratings: ml-100k (with its official 5 folds) and ml-latest-small.

Parsed arrays, one row per rating, in file order: ``user`` and ``item`` (int32 dense indices:
the rank of the raw id among the sorted distinct ids), ``rating`` (float32), ``timestamp``
(int64, Unix seconds), and ``user_ids``/``item_ids`` (int64 raw ids; ``user_ids[user]`` is the
raw id of a row's user). ml-100k adds ``fold_test`` (int8): the official fold ``k`` in 1..5
whose ``uk.test`` holds the rating (the five test sets partition the data).

Splits are module functions returning ``(train_idx, test_idx)``: sorted int64 row indices into
those arrays, like ``splits.validation_split``; ``take(ds, idx)`` gathers the rows.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from trainsmart_bench.datasets.base import Dataset, DatasetLoader
from trainsmart_bench.datasets.files import RemoteFile
from trainsmart_bench.datasets.splits import complement, holdout_count
from trainsmart_bench.errors import ConfigError, DataError

COLUMNS = ("user", "item", "rating", "timestamp")
FOLDS = range(1, 6)
CITATION = (
    "F. Maxwell Harper and Joseph A. Konstan. 2015. The MovieLens Datasets: History and "
    "Context. ACM Transactions on Interactive Intelligent Systems (TiiS) 5, 4: 19:1-19:19. "
    "https://doi.org/10.1145/2827872"
)
URL = "https://files.grouplens.org/datasets/movielens/"


def read_ratings(
    path: Path, delimiter: str, scale: tuple[float, float, float], header: str | None = None
) -> np.ndarray:
    """(n, 4) float64 table of user, item, rating, timestamp, checked; DataError names the line.

    ``scale`` is (lowest, highest, step) of the rating grid; ids and timestamps are integers.
    """
    skip = 0
    if header is not None:
        check_header(path, header)
        skip = 1
    elif not path.is_file():
        raise DataError(f"{path}: missing")
    try:
        table = np.loadtxt(path, np.float64, delimiter=delimiter, skiprows=skip, ndmin=2)
    except ValueError as exc:
        raise DataError(f"{path}: cannot parse ({exc}); the file is truncated or corrupt") from exc
    if table.shape[1] != 4:
        raise DataError(f"{path}: {table.shape[1]} columns, expected 4 ({', '.join(COLUMNS)})")
    for col in (0, 1, 3):
        if (bad := np.flatnonzero(table[:, col] != np.floor(table[:, col]))).size:
            line, value = bad[0] + 1 + skip, table[bad[0], col]
            raise DataError(f"{path}: line {line}: {COLUMNS[col]} {value} is not an integer")
    low, high, step = scale
    rating = table[:, 2]
    off_grid = (rating < low) | (rating > high) | ((rating - low) / step % 1 != 0)
    if (bad := np.flatnonzero(off_grid)).size:
        raise DataError(
            f"{path}: line {bad[0] + 1 + skip}: rating {rating[bad[0]]} is outside "
            f"{low}..{high} in steps of {step}"
        )
    return table


def check_header(path: Path, header: str) -> None:
    """The first line of a MovieLens CSV must be its original column header."""
    if not path.is_file():
        raise DataError(f"{path}: missing")
    with open(path, encoding="utf-8-sig", errors="replace") as fh:
        first = fh.readline().strip()
    if first != header:
        raise DataError(
            f"{path}: header {first!r}, expected {header!r}; this is not a MovieLens "
            "ratings file in its original form (renamed columns are not accepted)"
        )


def count_lines(path: Path) -> int:
    data = path.read_bytes()
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


class _MovieLens(DatasetLoader):
    citation = CITATION
    homepage = "https://grouplens.org/datasets/movielens/"
    ratings_file: ClassVar[str]
    scale: ClassVar[tuple[float, float, float]]  # lowest, highest, step
    expected: ClassVar[tuple[int, int, int] | None]  # ratings, users, items (None: unchecked)

    def is_layout(self, directory: Path) -> bool:
        return directory.name == self.layout or (directory / self.ratings_file).is_file()

    def layout_hint_text(self) -> str:
        return f"{self.layout}/ holding {self.ratings_file} (the extracted {self.layout}.zip)"

    def _read(self, layout: Path) -> np.ndarray:
        raise NotImplementedError

    def parse(self, layout: Path) -> dict[str, np.ndarray]:
        path = layout / self.ratings_file
        table = self._read(layout)
        user_ids, user = np.unique(table[:, 0].astype(np.int64), return_inverse=True)
        item_ids, item = np.unique(table[:, 1].astype(np.int64), return_inverse=True)
        got = (len(table), len(user_ids), len(item_ids))
        if self.expected is not None and got != self.expected:
            raise DataError(
                f"{path}: {got[0]:,} ratings by {got[1]:,} users on {got[2]:,} items, expected "
                + "{:,} / {:,} / {:,}".format(*self.expected)
                + "; the copy is incomplete or another release of the dataset"
            )
        return {
            "user": user.astype(np.int32),
            "item": item.astype(np.int32),
            "rating": table[:, 2].astype(np.float32),
            "timestamp": table[:, 3].astype(np.int64),
            "user_ids": user_ids,
            "item_ids": item_ids,
        }

    def summary(self, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
        values, counts = np.unique(arrays["rating"], return_counts=True)
        ts = arrays["timestamp"]

        def day(t: int) -> str:
            return time.strftime("%Y-%m-%d", time.gmtime(int(t)))

        return {
            "ratings": int(len(arrays["rating"])),
            "users": int(len(arrays["user_ids"])),
            "items": int(len(arrays["item_ids"])),
            "histogram": {f"{v:g}": int(c) for v, c in zip(values, counts)},
            "time_range": [day(ts.min()), day(ts.max())] if len(ts) else [],
        }


class ML100K(_MovieLens):
    name = "ml-100k"
    title = "MovieLens 100K (1998)"
    terms = (
        "GroupLens research license: no redistribution, no commercial use without permission, "
        "cite Harper & Konstan 2015. Fetch it from GroupLens."
    )
    remote = (
        RemoteFile(
            "ml-100k.zip",
            (URL + "ml-100k.zip",),
            4924029,
            "50d2a982c66986937beb9ffb3aa76efe955bf3d5c6b761f4e3a7cd717c6a3229",
        ),
    )
    layout = "ml-100k"
    redistributable = False
    ratings_file = "u.data"
    scale = (1.0, 5.0, 1.0)
    expected = (100000, 943, 1682)

    def validate(self, layout: Path) -> None:
        for name in (self.ratings_file, *(f"u{k}.{p}" for k in FOLDS for p in ("base", "test"))):
            if not (layout / name).is_file():
                raise DataError(f"{layout}: {name} is missing; expected {self.layout_hint_text()}")

    def _read(self, layout: Path) -> np.ndarray:
        return read_ratings(layout / self.ratings_file, "\t", self.scale)

    def parse(self, layout: Path) -> dict[str, np.ndarray]:
        arrays = super().parse(layout)
        arrays["fold_test"] = self._folds(layout, arrays)
        return arrays

    def _folds(self, layout: Path, arrays: dict[str, np.ndarray]) -> np.ndarray:
        """Fold number of every rating, matched by (user, item) against u1.test..u5.test."""
        width = int(arrays["item_ids"].max()) + 1
        keys = arrays["user_ids"][arrays["user"]] * width + arrays["item_ids"][arrays["item"]]
        order = np.argsort(keys, kind="stable")
        if (dup := np.flatnonzero(np.diff(keys[order]) == 0)).size:
            row = order[dup[0] + 1]
            raise DataError(f"{layout / self.ratings_file}: row {row + 1} repeats a (user, item)")
        fold = np.zeros(len(keys), np.int8)
        for k in FOLDS:
            test = read_ratings(layout / f"u{k}.test", "\t", self.scale)
            want = test[:, 0].astype(np.int64) * width + test[:, 1].astype(np.int64)
            pos = np.minimum(np.searchsorted(keys[order], want), len(keys) - 1)
            rows = order[pos]
            if (bad := np.flatnonzero(keys[rows] != want)).size:
                raise DataError(f"{layout}/u{k}.test: line {bad[0] + 1} is not a rating in u.data")
            if (fold[rows] != 0).any():
                raise DataError(f"{layout}/u{k}.test: shares ratings with another uN.test")
            fold[rows] = k
            base_lines = count_lines(layout / f"u{k}.base")
            if base_lines + len(test) != len(keys):
                raise DataError(
                    f"{layout}/u{k}.base: {base_lines:,} lines; with u{k}.test's {len(test):,} "
                    f"they should make the {len(keys):,} ratings of u.data"
                )
        if (missing := np.flatnonzero(fold == 0)).size:
            raise DataError(f"{layout}: u.data row {missing[0] + 1} is in none of u1..u5.test")
        return fold

    def summary(self, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
        folds = np.bincount(arrays["fold_test"], minlength=6)[1:]
        return {**super().summary(arrays), "fold_test_sizes": folds.tolist()}


class MLLatestSmall(_MovieLens):
    name = "ml-latest-small"
    title = "MovieLens latest-small (September 2018)"
    terms = (
        "GroupLens research license: redistribution under the same terms only, no commercial "
        "use without permission, cite Harper & Konstan 2015."
    )
    remote = (
        RemoteFile(
            "ml-latest-small.zip",
            (URL + "ml-latest-small.zip",),
            978202,
            "696d65a3dfceac7c45750ad32df2c259311949efec81f0f144fdfb91ebc9e436",
        ),
    )
    layout = "ml-latest-small"
    ratings_file = "ratings.csv"
    header: ClassVar[str] = "userId,movieId,rating,timestamp"
    scale = (0.5, 5.0, 0.5)
    expected = (100836, 610, 9724)

    def validate(self, layout: Path) -> None:
        if not (layout / self.ratings_file).is_file():
            raise DataError(f"{layout}: ratings.csv is missing; expected {self.layout_hint_text()}")
        check_header(layout / self.ratings_file, self.header)

    def _read(self, layout: Path) -> np.ndarray:
        return read_ratings(layout / self.ratings_file, ",", self.scale, self.header)


# -- splits: (train_idx, test_idx), sorted int64 row indices ---------------------------------


def official_split(ds: Dataset, fold: int) -> tuple[np.ndarray, np.ndarray]:
    """ml-100k's official fold ``fold`` (1..5): rows of ``u<fold>.base`` and ``u<fold>.test``."""
    if "fold_test" not in ds.arrays:
        raise ConfigError(f"dataset {ds.name!r} has no official folds; only ml-100k has (u1..u5)")
    if fold not in FOLDS:
        raise ConfigError(f"fold={fold}: ml-100k's official folds are 1..5")
    test = np.flatnonzero(ds["fold_test"] == fold).astype(np.int64)
    return complement(len(ds["rating"]), test), test


def random_split(
    ds: Dataset, test_fraction: float = 0.2, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """A uniformly random ``test_fraction`` of the ratings; users/items may be cold in test."""
    n = len(ds["rating"])
    k = holdout_count(n, test_fraction, "test_fraction")
    test = np.sort(np.random.default_rng(seed).permutation(n)[:k]).astype(np.int64)
    return complement(n, test), test


def temporal_split(ds: Dataset, test_fraction: float = 0.2) -> tuple[np.ndarray, np.ndarray]:
    """Walk-forward: the latest ``test_fraction`` of ratings by timestamp (ties: later row) test."""
    n = len(ds["rating"])
    k = holdout_count(n, test_fraction, "test_fraction")
    order = np.lexsort((np.arange(n), ds["timestamp"]))
    test = np.sort(order[n - k :]).astype(np.int64)
    return complement(n, test), test


def take(ds: Dataset, idx: np.ndarray) -> dict[str, np.ndarray]:
    """The user, item, rating and timestamp of rows ``idx``."""
    return {c: ds[c][idx] for c in COLUMNS}
