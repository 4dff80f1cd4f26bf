"""The IDX format (MNIST) and small helpers shared by image datasets."""

from __future__ import annotations

import numpy as np

from trainsmart_bench.errors import DataError

_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(raw: bytes, name: str = "IDX file") -> np.ndarray:
    """Decode IDX bytes: magic (0, 0, dtype, ndim), ndim big-endian uint32 sizes, data."""
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _DTYPES:
        raise DataError(f"{name}: not an IDX file (bad magic {raw[:4].hex()})")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{name}: truncated IDX header")
    shape = tuple(int(d) for d in np.frombuffer(raw, ">u4", ndim, 4))
    dtype = np.dtype(_DTYPES[raw[2]])
    expected = header + int(np.prod(shape)) * dtype.itemsize
    if len(raw) != expected:
        raise DataError(
            f"{name}: {len(raw):,} bytes, expected {expected:,} for shape {shape}; "
            "the file is truncated or corrupt"
        )
    return np.frombuffer(raw, dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def write_idx(array: np.ndarray) -> bytes:
    """Encode an array as IDX (used by tests to build format-faithful fixtures)."""
    codes = {np.dtype(v).newbyteorder(">").str: k for k, v in _DTYPES.items()}
    dt = array.dtype.newbyteorder(">") if array.dtype.itemsize > 1 else array.dtype
    code = codes.get(np.dtype(dt).str) if array.dtype.itemsize > 1 else 0x08
    if array.dtype == np.int8:
        code = 0x09
    if code is None:
        raise ValueError(f"dtype {array.dtype} has no IDX code")
    head = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, ">u4").tobytes()
    return head + array.astype(dt).tobytes()


def class_counts(labels: np.ndarray, n_classes: int) -> list[int]:
    return np.bincount(labels.astype(np.int64), minlength=n_classes).tolist()


def image_summary(arrays: dict[str, np.ndarray], classes: tuple[str, ...] | None = None,
                  n_classes: int = 10) -> dict[str, dict]:
    """Count, image shape, dtype and per-class counts of the train and test splits."""
    out = {}
    for split in ("train", "test"):
        counts = class_counts(arrays[f"y_{split}"], len(classes) if classes else n_classes)
        out[split] = {
            "count": int(len(arrays[f"y_{split}"])),
            "shape": list(arrays[f"x_{split}"].shape[1:]),
            "dtype": str(arrays[f"x_{split}"].dtype),
            "per_class": dict(zip(classes, counts)) if classes else counts,
        }
    return out
