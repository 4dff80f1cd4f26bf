"""Tiny, format-faithful dataset files built on the fly."""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path

import numpy as np

from trainsmart_bench.datasets.cifar10 import CLASSES as CIFAR_CLASSES
from trainsmart_bench.datasets.idx import write_idx


def mnist_files(root: Path, n_train: int = 20, n_test: int = 10, gz: bool = True) -> Path:
    rng = np.random.default_rng(0)
    root.mkdir(parents=True, exist_ok=True)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": (np.arange(n_train) % 10).astype(np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": (np.arange(n_test) % 10).astype(np.uint8),
    }
    for name, arr in arrays.items():
        raw = write_idx(arr)
        if gz:
            (root / f"{name}.gz").write_bytes(gzip.compress(raw, mtime=0))
        else:
            (root / name).write_bytes(raw)
    return root


def cifar_batches(root: Path, per_batch: int = 10000, seed: int = 0) -> Path:
    """cifar-10-batches-bin/ with real-sized batches of random pixels (10,000 records each)."""
    rng = np.random.default_rng(seed)
    d = root / "cifar-10-batches-bin"
    d.mkdir(parents=True, exist_ok=True)
    for name in [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]:
        labels = (np.arange(per_batch) % 10).astype(np.uint8)
        pixels = rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8)
        (d / name).write_bytes(np.concatenate([labels[:, None], pixels], axis=1).tobytes())
    (d / "batches.meta.txt").write_text("\n".join(CIFAR_CLASSES) + "\n\n")
    return d


def tar_of(directory: Path, archive: Path, arcname: str | None = None) -> Path:
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(directory, arcname=arcname or directory.name)
    return archive


def tar_with_member(archive: Path, info: tarfile.TarInfo, data: bytes = b"") -> Path:
    with tarfile.open(archive, "w:gz") as tar:
        tar.addfile(info, io.BytesIO(data) if data else None)
    return archive
