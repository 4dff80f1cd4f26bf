"""CIFAR-10, official binary version: fixed-size records, never unpickled."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from trainsmart_bench.datasets.base import DatasetLoader
from trainsmart_bench.datasets.files import RemoteFile
from trainsmart_bench.datasets.idx import image_summary
from trainsmart_bench.errors import DataError

RECORD = 1 + 32 * 32 * 3
PER_BATCH = 10000
TRAIN = tuple(f"data_batch_{i}.bin" for i in range(1, 6))
TEST = ("test_batch.bin",)
CLASSES = (
    ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
)


class CIFAR10(DatasetLoader):
    name = "cifar10"
    title = "CIFAR-10 (binary version)"
    homepage = "https://www.cs.toronto.edu/~kriz/cifar.html"
    citation = (
        "Alex Krizhevsky. Learning Multiple Layers of Features from Tiny Images. "
        "Technical Report, University of Toronto, 2009."
    )
    terms = "No license stated on the dataset page; cite the tech report."
    remote = (
        RemoteFile(
            "cifar-10-binary.tar.gz",
            ("https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz",),
            170052171,
            "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd",
            "c32a1d4ab5d03f1284b67883e8d87530",
        ),
    )
    layout = "cifar-10-batches-bin"
    per_batch = PER_BATCH  # records per batch file (tests use smaller fixtures)

    def validate(self, layout: Path) -> None:
        for name in TRAIN + TEST:
            path = layout / name
            if not path.is_file():
                hint = self.layout_hint_text()
                raise DataError(f"{layout}: {name} is missing; expected {hint}")
            if (size := path.stat().st_size) != RECORD * self.per_batch:
                raise DataError(
                    f"{path}: {size:,} bytes, expected {RECORD * self.per_batch:,} "
                    f"({self.per_batch:,} records of {RECORD} bytes); the file is truncated "
                    "or corrupt"
                )
        meta = layout / "batches.meta.txt"
        if meta.is_file():
            names = [ln.strip() for ln in meta.read_text().splitlines() if ln.strip()]
            if names != list(CLASSES):
                raise DataError(f"{meta}: class names {names} differ from CIFAR-10's {CLASSES}")

    def layout_hint_text(self) -> str:
        files = ", ".join(TRAIN + TEST)
        return f"cifar-10-batches-bin/ with {files} (the binary version, not the python one)"

    def _read(self, layout: Path, names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        raw = np.concatenate([np.fromfile(layout / n, np.uint8) for n in names])
        records = raw.reshape(-1, RECORD)
        labels = records[:, 0].copy()
        if labels.max() > 9:
            bad = int(np.argmax(labels > 9))
            raise DataError(f"{layout}: record {bad} has label {labels[bad]}; labels are 0..9")
        # each record: 1024 red, 1024 green, 1024 blue, row-major -> NHWC uint8
        images = records[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).copy()
        return images, labels

    def parse(self, layout: Path) -> dict[str, np.ndarray]:
        x_train, y_train = self._read(layout, TRAIN)
        x_test, y_test = self._read(layout, TEST)
        return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}

    def summary(self, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
        return image_summary(arrays, tuple(CLASSES))

    def _meta(self, manifest: dict[str, Any]) -> dict[str, Any]:
        return {**super()._meta(manifest), "classes": list(CLASSES)}
