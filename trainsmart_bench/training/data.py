"""Task-ready arrays: the same numpy arrays for every backend, prepared once per run.

The validation split (10% unless a task fixes its size) is always carved from the train split
with a fixed seed (0), so every seed, backend and tuner sees the same validation rows; the test
split is never used for tuning.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trainsmart_bench.backends.base import TaskData
from trainsmart_bench.datasets import Dataset, get_loader
from trainsmart_bench.datasets.splits import validation_split
from trainsmart_bench.errors import ConfigError
from trainsmart_bench.tasks.spec import ResolvedTask

VAL_FRACTION = 0.1
VAL_SEED = 0


def prepare(task: ResolvedTask, data_dir: str | None = None, backend: str = "") -> TaskData:
    spec = task.spec
    ds = get_loader(spec.dataset, data_dir).load()
    kind = spec.dataset
    if kind in ("mnist", "digits", "cifar10"):
        return _images(task, ds)
    if kind == "imdb":
        return _text(task, ds, with_texts=backend == "sklearn")
    if kind in ("ml-100k", "ml-latest-small"):
        return _ratings(task, ds)
    raise ConfigError(f"task {spec.name!r}: no preparation for dataset {kind!r}")


def val_fraction(task: ResolvedTask, n: int) -> float:
    """A task may fix the validation size in rows (MNIST: the customary 5,000 of 60,000)."""
    size = task.spec.data.get("val_size")
    return size / n if size else VAL_FRACTION


def _finish(task: ResolvedTask, ds: Dataset, x, y, x_test, y_test, n_outputs: int,
            stratify: bool, extras: dict[str, Any] | None = None) -> TaskData:
    tr, va = validation_split(y if stratify else len(y), val_fraction(task, len(y)), VAL_SEED)
    return TaskData(
        x_train=x[tr], y_train=y[tr], x_val=x[va], y_val=y[va], x_test=x_test, y_test=y_test,
        n_outputs=n_outputs, extras=extras or {}, dataset=ds.name,
        dataset_checksum=ds.checksum, dataset_source=ds.source,
    )


def _images(task: ResolvedTask, ds: Dataset) -> TaskData:
    x, x_test = ds["x_train"], ds["x_test"]
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
    y = ds["y_train"].astype(np.int64)
    y_test = ds["y_test"].astype(np.int64)
    return _finish(task, ds, x, y, x_test, y_test, int(y.max()) + 1, True, extras)


def _text(task: ResolvedTask, ds: Dataset, with_texts: bool) -> TaskData:
    from trainsmart_bench.datasets import imdb

    num_words = int(task.spec.data.get("num_words", 20000))
    maxlen = int(task.get("maxlen", task.spec.data.get("maxlen", 256)))  # a profile may cut it
    seq = imdb.sequences(ds, num_words, maxlen)
    y = seq["y_train"].astype(np.int64)
    extras: dict[str, Any] = {"num_words": num_words, "maxlen": maxlen}
    y_test = seq["y_test"].astype(np.int64)
    data = _finish(task, ds, seq["x_train"], y, seq["x_test"], y_test, 2, True, extras)
    if with_texts:
        train = imdb.texts(ds, "train")
        tr, va = validation_split(y, val_fraction(task, len(y)), VAL_SEED)
        extras.update(texts_train=[train[i] for i in tr], texts_val=[train[i] for i in va],
                      texts_test=imdb.texts(ds, "test"))
    return data


def _ratings(task: ResolvedTask, ds: Dataset) -> TaskData:
    from trainsmart_bench.datasets import movielens

    opts = task.spec.data
    split = opts.get("split", "random")
    fraction = float(opts.get("test_fraction", 0.2))
    if split == "official":
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
    tr, _ = validation_split(len(y), val_fraction(task, len(y)), VAL_SEED)
    extras = {"n_users": int(ds["user"].max()) + 1, "n_items": int(ds["item"].max()) + 1,
              "mean": float(y[tr].mean()), "split": split}
    return _finish(task, ds, x, y, pairs[test_idx], rating[test_idx], 1, False, extras)
