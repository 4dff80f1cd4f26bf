"""Get the datasets a profile needs before the suite runs: cached, imported, or downloaded.

Offline with nothing cached, a dataset is reported as missing and its cells show as n/a in
the suite; the embedded ``digits`` task needs nothing and always runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from trainsmart_bench.bench.profiles import Profile
from trainsmart_bench.datasets import get_loader
from trainsmart_bench.datasets.cache import shared_datasets_dir
from trainsmart_bench.errors import DataError
from trainsmart_bench.tasks import get_task

# Where each dataset's offline copy sits in ../shared/datasets (as in the README).
SHARED_COPIES = {
    "mnist": "mnist",
    "cifar10": "cifar10/cifar-10-binary.tar.xz",
    "imdb": "imdb/aclImdb-labelled.tar.gz",
    "ml-latest-small": "ml-latest-small",
}


@dataclass(frozen=True)
class DatasetStatus:
    name: str
    state: str  # "cached" | "imported" | "downloaded" | "embedded" | "missing"
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.state != "missing"


def needed(profile: Profile) -> list[str]:
    """The datasets of the profile's tasks, in task order, each once."""
    return list(dict.fromkeys(get_task(t.partition("+")[0]).dataset for t in profile.tasks))


def prepare(profile: Profile, data_dir: str | None = None, shared: Path | None = None,
            download: bool = True) -> list[DatasetStatus]:
    """Make every dataset of ``profile`` ready; never raises for a dataset it cannot get."""
    shared = shared if shared is not None else shared_datasets_dir()
    return [_prepare_one(name, data_dir, shared, download) for name in needed(profile)]


def _prepare_one(name: str, data_dir: str | None, shared: Path | None,
                 download: bool) -> DatasetStatus:
    loader = get_loader(name, data_dir)
    if not getattr(loader, "remote", None):
        ready = loader.is_ready()
        return DatasetStatus(name, "embedded" if ready else "missing",
                             "" if ready else "scikit-learn is not installed")
    if loader.is_ready():
        return DatasetStatus(name, "cached", str(loader.root))
    copy = shared / SHARED_COPIES[name] if shared and name in SHARED_COPIES else None
    try:
        if copy is not None and copy.exists():
            loader.import_(copy)
            return DatasetStatus(name, "imported", f"from {copy}")
        if download:
            loader.fetch(progress=False)
            return DatasetStatus(name, "downloaded", str(loader.root))
        raise DataError(f"{name} is not cached and downloads are off")
    except DataError as exc:
        first = str(exc).splitlines()[0]
        return DatasetStatus(name, "missing", f"{first} -- its cells will show as n/a")
