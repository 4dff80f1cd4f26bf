"""A user task's data: the arrays its own function returns, checked before anything trains.

Nothing is downloaded or written: ``load()`` calls the function (once per process) and checks
what it returned: the four arrays (``x_train``, ``y_train``, ``x_test``, ``y_test``, as a dict
or a tuple in that order), numeric, finite, as many labels as rows, the same feature shape in
both splits, and class labels that are integers from 0 (a classification task). Each problem
is an error naming the task and what to fix. The checksum is the arrays' content digest (as
for the embedded digits), so records say which data they used.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from trainsmart_bench.datasets.base import Dataset, DatasetLoader
from trainsmart_bench.datasets.digits import arrays_digest
from trainsmart_bench.errors import DataError

KEYS = ("x_train", "y_train", "x_test", "y_test")


def as_arrays(out: Any, where: str) -> dict[str, np.ndarray]:
    """The function's result as the four named arrays."""
    if isinstance(out, Mapping):
        missing = [k for k in KEYS if k not in out]
        if missing:
            raise DataError(f"{where}: the data function's dict lacks {', '.join(missing)}; "
                            f"return {{{', '.join(repr(k) for k in KEYS)}}}")
        items = [out[k] for k in KEYS]
    elif isinstance(out, (tuple, list)) and len(out) == 4:
        items = list(out)
    else:
        raise DataError(f"{where}: the data function returned {type(out).__name__}; return a "
                        f"dict of {', '.join(KEYS)} or a tuple of those four arrays")
    return {k: np.asarray(v) for k, v in zip(KEYS, items)}


def check_arrays(arrays: Mapping[str, np.ndarray], where: str, classification: bool) -> None:
    for k, a in arrays.items():
        if a.dtype == object or not (np.issubdtype(a.dtype, np.number)
                                     or a.dtype == np.bool_):
            raise DataError(f"{where}: {k} has dtype {a.dtype}; give numbers (float features, "
                            f"{'integer class labels' if classification else 'float targets'})")
        if a.ndim == 0 or len(a) == 0:
            raise DataError(f"{where}: {k} is empty or a scalar (shape {a.shape})")
        if np.issubdtype(a.dtype, np.floating) and not np.isfinite(a).all():
            bad = int((~np.isfinite(a)).sum())
            raise DataError(f"{where}: {k} holds {bad} NaN or infinite values; drop or impute "
                            "them in the data function")
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if len(x) != len(y):
            raise DataError(f"{where}: x_{split} has {len(x)} rows but y_{split} {len(y)}")
        if y.ndim != 1:
            raise DataError(f"{where}: y_{split} has shape {y.shape}; give one label or target "
                            "per row (shape (N,))")
    if arrays["x_train"].shape[1:] != arrays["x_test"].shape[1:]:
        raise DataError(f"{where}: x_train rows have shape {arrays['x_train'].shape[1:]} but "
                        f"x_test rows {arrays['x_test'].shape[1:]}")
    if classification:
        for k in ("y_train", "y_test"):
            y = arrays[k]
            if (np.issubdtype(y.dtype, np.floating) and (y != np.round(y)).any()) or y.min() < 0:
                raise DataError(f"{where}: {k} must be class indices 0..K-1 (integers); a "
                                "regression task uses metric='rmse'")
        if len(np.unique(arrays["y_train"])) < 2:
            raise DataError(f"{where}: y_train holds a single class; a classifier needs two")


class ArraysLoader(DatasetLoader):
    """The data of one user task (``datasets.register`` makes one per task)."""

    title = "a user task's arrays"
    homepage = ""
    citation = ""
    layout = "arrays"

    def __init__(self, name: str, fn: Callable[[], Any], classification: bool,
                 data_dir: str | os.PathLike[str] | None = None) -> None:
        self.name = name  # instance attribute: one loader per task
        super().__init__(data_dir)
        self.fn, self.classification = fn, classification
        self._cache: dict[str, np.ndarray] | None = None

    def arrays(self) -> dict[str, np.ndarray]:
        if self._cache is None:
            where = f"user task {self.name.partition(':')[2]!r}"
            try:
                out = self.fn()
            except Exception as exc:  # noqa: BLE001 - the user's code: say whose error it is
                raise DataError(f"{where}: its data function raised {type(exc).__name__}: "
                                f"{exc}") from exc
            arrays = as_arrays(out, where)
            check_arrays(arrays, where, self.classification)
            self._cache = arrays
        return self._cache

    def is_ready(self) -> bool:
        return True

    def require(self) -> dict[str, Any]:
        arrays = self.arrays()
        return {"dataset": self.name, "layout": self.layout, "checksum": arrays_digest(arrays),
                "source": "plugin", "parse_version": self.parse_version,
                "summary": {k: list(a.shape) for k, a in arrays.items()}}

    def manifest(self) -> dict[str, Any] | None:
        return self.require()

    def fetch(self, progress: bool = True, force: bool = False) -> dict[str, Any]:
        return self.require()

    def verify(self) -> dict[str, Any]:
        return self.require()

    def import_(self, path: str | os.PathLike[str]) -> dict[str, Any]:
        raise DataError(f"{self.name} comes from its task's own code; nothing to import")

    def load(self) -> Dataset:
        arrays = self.arrays()
        return Dataset(self.name, dict(arrays), arrays_digest(arrays), "plugin", {})

    def parse(self, layout: Path) -> dict[str, np.ndarray]:
        return dict(self.arrays())
