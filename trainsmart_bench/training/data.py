"""Task-ready arrays: the same numpy arrays for every backend, prepared once per run.

The validation split (10% unless a task fixes its size) is always carved from the train split
with a fixed seed (0), so every seed, backend and tuner sees the same validation rows; the test
split is never used for tuning. Under an evaluation protocol (``training.protocols``) a fold
decides first which rows train and which are held out (the run's test split); the validation
split is then carved from the fold's training rows (for walk-forward: its latest ratings).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trainsmart_bench.backends.base import TaskData
from trainsmart_bench.datasets import Dataset, get_loader
from trainsmart_bench.datasets.splits import validation_split
from trainsmart_bench.errors import ConfigError
from trainsmart_bench.tasks.spec import ResolvedTask
from trainsmart_bench.training.protocols import Fold, kfold_indices, walk_forward_indices

VAL_FRACTION = 0.1
VAL_SEED = 0


def prepare(task: ResolvedTask, data_dir: str | None = None, backend: str = "",
            fold: Fold | None = None) -> TaskData:
    spec = task.spec
    ds = get_loader(spec.dataset, data_dir).load()
    kind = spec.dataset
    if kind in ("mnist", "digits", "cifar10"):
        return _images(task, ds, fold)
    if kind == "imdb":
        return _text(task, ds, with_texts=backend == "sklearn", fold=fold)
    if kind in ("ml-100k", "ml-latest-small"):
        return _ratings(task, ds, fold)
    if kind.startswith("plugin:"):
        return _arrays(task, ds, fold)
    raise ConfigError(f"task {spec.name!r}: no preparation for dataset {kind!r}")


def _held_out(fold: Fold | None, y: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(training rows, held-out rows) of a k-fold fold of the training data, or None."""
    return None if fold is None else kfold_indices(len(y), fold, labels=y)


def val_fraction(task: ResolvedTask, n: int) -> float:
    """A task may fix the validation size in rows (MNIST: the customary 5,000 of 60,000), or
    its share (a user task's ``val_fraction``)."""
    size = task.spec.data.get("val_size")
    return size / n if size else float(task.spec.data.get("val_fraction") or VAL_FRACTION)


def _finish(task: ResolvedTask, ds: Dataset, x, y, x_test, y_test, n_outputs: int,
            stratify: bool, extras: dict[str, Any] | None = None,
            rows: tuple[np.ndarray, np.ndarray] | None = None) -> TaskData:
    tr, va = rows if rows is not None else validation_split(
        y if stratify else len(y), val_fraction(task, len(y)), VAL_SEED)
    return TaskData(
        x_train=x[tr], y_train=y[tr], x_val=x[va], y_val=y[va], x_test=x_test, y_test=y_test,
        n_outputs=n_outputs, extras=extras or {}, dataset=ds.name,
        dataset_checksum=ds.checksum, dataset_source=ds.source,
    )


def _images(task: ResolvedTask, ds: Dataset, fold: Fold | None = None) -> TaskData:
    x, x_test = ds["x_train"], ds["x_test"]
    y, y_test = ds["y_train"].astype(np.int64), ds["y_test"].astype(np.int64)
    if (rows := _held_out(fold, y)) is not None:  # the fold's held-out rows are its test split
        x, y, x_test, y_test = x[rows[0]], y[rows[0]], x[rows[1]], y[rows[1]]
    if ds.name == "digits":
        scale = 16.0  # sklearn digits are 0..16
        x = x.reshape(len(x), 8, 8, 1)
        x_test = x_test.reshape(len(x_test), 8, 8, 1)
    else:
        scale = 255.0
        if x.ndim == 3:
            x, x_test = x[..., None], x_test[..., None]
    x = x.astype(np.float32) / scale
    x_test = x_test.astype(np.float32) / scale
    extras: dict[str, Any] = {}
    if ds.name == "cifar10":  # per-channel normalization with train statistics
        mean = x.mean(axis=(0, 1, 2), dtype=np.float64).astype(np.float32)
        std = x.std(axis=(0, 1, 2), dtype=np.float64).astype(np.float32)
        x = (x - mean) / std
        x_test = (x_test - mean) / std
        extras = {"channel_mean": mean.tolist(), "channel_std": std.tolist()}
    return _finish(task, ds, x, y, x_test, y_test, int(y.max()) + 1, True, extras)


def _text(task: ResolvedTask, ds: Dataset, with_texts: bool,
          fold: Fold | None = None) -> TaskData:
    from trainsmart_bench.datasets import imdb

    num_words = int(task.spec.data.get("num_words", 20000))
    maxlen = int(task.get("maxlen", task.spec.data.get("maxlen", 256)))  # a profile may cut it
    seq = imdb.sequences(ds, num_words, maxlen)
    x, y = seq["x_train"], seq["y_train"].astype(np.int64)
    x_test, y_test = seq["x_test"], seq["y_test"].astype(np.int64)
    extras: dict[str, Any] = {"num_words": num_words, "maxlen": maxlen}
    train = imdb.texts(ds, "train") if with_texts else []
    test = imdb.texts(ds, "test") if with_texts and fold is None else []
    if (rows := _held_out(fold, y)) is not None:
        x, y, x_test, y_test = x[rows[0]], y[rows[0]], x[rows[1]], y[rows[1]]
        if with_texts:
            train, test = [train[i] for i in rows[0]], [train[i] for i in rows[1]]
    data = _finish(task, ds, x, y, x_test, y_test, 2, True, extras)
    if with_texts:
        tr, va = validation_split(y, val_fraction(task, len(y)), VAL_SEED)
        extras.update(texts_train=[train[i] for i in tr], texts_val=[train[i] for i in va],
                      texts_test=test)
    return data


def _ratings(task: ResolvedTask, ds: Dataset, fold: Fold | None = None) -> TaskData:
    from trainsmart_bench.datasets import movielens

    opts = task.spec.data
    split = opts.get("split", "random")
    fraction = float(opts.get("test_fraction", 0.2))
    val_rows = None
    if fold is not None and fold.kind == "walk-forward":
        train_idx, test_idx = walk_forward_indices(ds["timestamp"], fold)
        split = fold.label
        val_rows = _latest(ds["timestamp"][train_idx], val_fraction(task, len(train_idx)))
    elif fold is not None and split == "official":  # ml-100k: its own five folds u1..u5
        train_idx, test_idx = movielens.official_split(ds, fold.index)
        split = fold.label
    elif fold is not None:
        train_idx, test_idx = kfold_indices(len(ds["rating"]), fold)
        split = fold.label
    elif split == "official":
        train_idx, test_idx = movielens.official_split(ds, int(opts.get("fold", 1)))
    elif split == "temporal":
        train_idx, test_idx = movielens.temporal_split(ds, fraction)
    elif split == "random":
        train_idx, test_idx = movielens.random_split(ds, fraction, int(opts.get("split_seed", 0)))
    else:
        raise ConfigError(f"split {split!r}: use random, temporal or official (ml-100k)")
    pairs = np.stack([ds["user"], ds["item"]], axis=1).astype(np.int32)
    rating = ds["rating"].astype(np.float32)
    x, y = pairs[train_idx], rating[train_idx]
    tr, va = validation_split(len(y), val_fraction(task, len(y)), VAL_SEED) \
        if val_rows is None else val_rows
    extras = {"n_users": int(ds["user"].max()) + 1, "n_items": int(ds["item"].max()) + 1,
              "mean": float(y[tr].mean()), "split": split}
    return _finish(task, ds, x, y, pairs[test_idx], rating[test_idx], 1, False, extras,
                   rows=(tr, va))


def _latest(timestamps: np.ndarray, fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """(earlier rows, latest ``fraction`` of rows) by time: walk-forward's validation."""
    order = np.lexsort((np.arange(len(timestamps)), timestamps))
    k = max(1, round(len(order) * fraction))
    return np.sort(order[:-k]), np.sort(order[-k:])


def _arrays(task: ResolvedTask, ds: Dataset, fold: Fold | None = None) -> TaskData:
    """A user task's arrays (checked by ``datasets.arrays``): features as they are (floats as
    float32), labels as int64 classes or float32 targets."""
    x, x_test = ds["x_train"], ds["x_test"]
    if not np.issubdtype(x.dtype, np.integer):  # token ids stay integers, the rest float32
        x, x_test = x.astype(np.float32), x_test.astype(np.float32)
    classification = task.spec.is_classification
    dtype = np.int64 if classification else np.float32
    y, y_test = ds["y_train"].astype(dtype), ds["y_test"].astype(dtype)
    if fold is not None:  # the fold's held-out rows are its test split
        tr, held = kfold_indices(len(y), fold, labels=y if classification else None)
        x, y, x_test, y_test = x[tr], y[tr], x[held], y[held]
    n_outputs = int(max(y.max(), y_test.max())) + 1 if classification else 1
    return _finish(task, ds, x, y, x_test, y_test, n_outputs, classification)
