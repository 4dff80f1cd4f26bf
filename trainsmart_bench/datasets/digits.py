"""scikit-learn's bundled 8x8 digits (UCI optdigits test part): embedded, nothing to download.

Arrays: ``x_train``/``x_test`` (uint8, (n, 8, 8), values 0..16) and ``y_train``/``y_test``
(uint8, 0..9), from a stratified 75/25 split with seed 0 (``sklearn.model_selection``).
The split is kept in the data directory (``digits/split-v<parse>-sklearn<version>-seed0.npz``,
with the arrays' digest): importing scikit-learn to rebuild it costs a run about a second,
loading it a few milliseconds. A file whose arrays do not match its digest is rebuilt; a
read-only data directory only means the split is rebuilt each time.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import importlib.util
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from trainsmart_bench.datasets.base import Dataset, DatasetLoader
from trainsmart_bench.datasets.idx import image_summary
from trainsmart_bench.errors import DataError

COUNT = 1797
TEST_SIZE = 0.25
SEED = 0
MAX_VALUE = 16


def arrays_digest(arrays: dict[str, np.ndarray]) -> str:
    """sha256 over each array's name, dtype, shape and bytes, in name order."""
    h = hashlib.sha256()
    for key in sorted(arrays):
        a = np.ascontiguousarray(arrays[key])
        h.update(f"{key}\0{a.dtype.str}\0{a.shape}\0".encode())
        h.update(a.tobytes())
    return h.hexdigest()


class Digits(DatasetLoader):
    name = "digits"
    title = "Optical recognition of handwritten digits, 8x8 (scikit-learn's load_digits)"
    homepage = "https://archive.ics.uci.edu/dataset/80"
    citation = (
        "E. Alpaydin and C. Kaynak. Optical Recognition of Handwritten Digits. UCI Machine "
        "Learning Repository, 1998. https://doi.org/10.24432/C50P49"
    )
    terms = "CC BY 4.0 (UCI); shipped inside scikit-learn (BSD-3-Clause)."
    layout = "digits"

    # -- no files: the data ships inside scikit-learn --------------------------------
    def is_ready(self) -> bool:
        return importlib.util.find_spec("sklearn") is not None

    def require(self) -> dict[str, Any]:
        if not self.is_ready():
            raise DataError(
                "dataset 'digits' is embedded in scikit-learn, which is not installed; "
                "run `pip install scikit-learn` (a core dependency of trainsmart-bench)"
            )
        arrays = self._arrays()
        return {
            "dataset": self.name,
            "layout": self.layout,
            "checksum": arrays_digest(arrays),
            "source": "embedded",
            "parse_version": self.parse_version,
            "summary": self.summary(arrays),
        }

    def manifest(self) -> dict[str, Any] | None:
        return self.require() if self.is_ready() else None

    def fetch(self, progress: bool = True, force: bool = False) -> dict[str, Any]:
        return self.require()  # nothing to download

    def verify(self) -> dict[str, Any]:
        return self.require()  # the checks run on every build of the arrays

    def import_(self, path: str | os.PathLike[str]) -> dict[str, Any]:
        raise DataError("dataset 'digits' is embedded in scikit-learn; there is nothing to import")

    def load(self) -> Dataset:
        arrays = self._arrays()
        meta = {"title": self.title, "classes": [str(i) for i in range(10)], "max_value": MAX_VALUE}
        return Dataset(self.name, arrays, arrays_digest(arrays), "embedded", meta)

    def parse(self, layout: Path) -> dict[str, np.ndarray]:
        return self._arrays()

    def split_cache(self) -> Path:
        version = importlib.metadata.version("scikit-learn")
        return self.root / f"split-v{self.parse_version}-sklearn{version}-seed{SEED}.npz"

    def _arrays(self) -> dict[str, np.ndarray]:
        path = self.split_cache()
        with contextlib.suppress(OSError, ValueError, KeyError), \
                np.load(path, allow_pickle=False) as f:
            arrays = {k: f[k] for k in f.files if k != "digest"}
            if str(f["digest"]) == arrays_digest(arrays):
                return arrays
        arrays = self._split()
        with contextlib.suppress(OSError):  # a read-only data directory: rebuilt next time
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(suffix=".npz", dir=path.parent, prefix=".split-")
            with os.fdopen(fd, "wb") as out:
                np.savez(out, digest=np.array(arrays_digest(arrays)), **arrays)
            os.replace(tmp, path)
        return arrays

    def _split(self) -> dict[str, np.ndarray]:
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split

        bunch = load_digits()
        images, target = bunch.images, bunch.target
        if images.shape != (COUNT, 8, 8) or len(target) != COUNT:
            raise DataError(f"load_digits(): shape {images.shape}, expected ({COUNT}, 8, 8)")
        if images.min() < 0 or images.max() > MAX_VALUE or (images != np.round(images)).any():
            raise DataError(f"load_digits(): pixel values are not integers in 0..{MAX_VALUE}")
        if set(np.unique(target).tolist()) != set(range(10)):
            raise DataError("load_digits(): labels are not the digits 0..9")
        x, y = images.astype(np.uint8), target.astype(np.uint8)
        x_train, x_test, y_train, y_test = train_test_split(
            x, y, test_size=TEST_SIZE, random_state=SEED, stratify=y
        )
        return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}

    def summary(self, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
        return image_summary(arrays)
