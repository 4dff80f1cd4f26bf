"""MNIST: the four IDX files, verified by the checksums of their decompressed content."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path
from typing import Any

import numpy as np

from trainsmart_bench.datasets.base import DatasetLoader
from trainsmart_bench.datasets.files import RemoteFile
from trainsmart_bench.datasets.idx import image_summary, read_idx
from trainsmart_bench.errors import ChecksumError, DataError

MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)

# (file, .gz size, .gz sha256 [TFDS/torchvision], raw IDX sha256, expected shape)
FILES = {
    "train-images-idx3-ubyte": (
        9912422,
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        (60000, 28, 28),
    ),
    "train-labels-idx1-ubyte": (
        28881,
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        (60000,),
    ),
    "t10k-images-idx3-ubyte": (
        1648877,
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        (10000, 28, 28),
    ),
    "t10k-labels-idx1-ubyte": (
        4542,
        "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        (10000,),
    ),
}

SPLITS = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def _remote(name: str) -> RemoteFile:
    size, sha, content, _ = FILES[name]
    urls = tuple(m + name + ".gz" for m in MIRRORS)
    return RemoteFile(name + ".gz", urls, size, sha, content_sha256=content)


class MNIST(DatasetLoader):
    name = "mnist"
    title = "MNIST handwritten digits"
    homepage = "http://yann.lecun.com/exdb/mnist/"
    citation = (
        "Y. LeCun, L. Bottou, Y. Bengio, and P. Haffner. Gradient-based learning applied to "
        "document recognition. Proceedings of the IEEE, 86(11):2278-2324, 1998."
    )
    terms = "No explicit license on the MNIST page; TensorFlow Datasets lists CC BY-SA 3.0."
    remote = tuple(_remote(n) for n in FILES)
    # Mirrors re-compress the same bytes with other gzip headers, so every copy is checked by
    # the digest of its decompressed content, which all faithful copies share.
    layout = "mnist"
    # raw IDX sha256 and shape per file; tests pin their own fixtures' values in a subclass
    content = {name: (raw, shape) for name, (_, _, raw, shape) in FILES.items()}

    def is_layout(self, directory: Path) -> bool:
        return all(self._find(directory, n) is not None for n in FILES)

    def layout_hint_text(self) -> str:
        return "the four MNIST IDX files (" + ", ".join(f"{n}[.gz]" for n in FILES) + ")"

    @staticmethod
    def _find(directory: Path, name: str) -> Path | None:
        for candidate in (name + ".gz", name, name.replace("-idx", ".idx")):
            if (directory / candidate).is_file():
                return directory / candidate
        return None

    def _raw(self, layout: Path, name: str) -> bytes:
        path = self._find(layout, name)
        if path is None:
            raise DataError(f"{layout}: {name}.gz is missing; {self.layout_hint_text()}")
        try:
            return gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        except (OSError, EOFError) as exc:
            raise DataError(f"{path}: not a valid gzip file ({exc}); fetch it again") from exc

    def parse(self, layout: Path) -> dict[str, np.ndarray]:
        arrays: dict[str, np.ndarray] = {}
        for split, (images, labels) in SPLITS.items():
            for key, name in (("x", images), ("y", labels)):
                raw = self._raw(layout, name)
                want, shape = self.content[name]
                if (got := hashlib.sha256(raw).hexdigest()) != want:
                    raise ChecksumError(
                        f"{name}: decompressed sha256 {got}, expected {want} (the original MNIST "
                        "bytes); this copy is corrupt or altered. Fetch it again."
                    )
                array = read_idx(raw, name)
                if array.shape != shape:
                    raise DataError(f"{name}: shape {array.shape}, expected {shape}")
                arrays[f"{key}_{split}"] = array
        return arrays

    def summary(self, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
        return image_summary(arrays)

    def _meta(self, manifest: dict[str, Any]) -> dict[str, Any]:
        return {**super()._meta(manifest), "classes": [str(i) for i in range(10)]}
