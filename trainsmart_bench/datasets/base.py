"""DatasetLoader: fetch or import a canonical layout, validate it, parse it to numpy, cache it."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from trainsmart_bench.datasets.cache import data_dir as default_data_dir
from trainsmart_bench.datasets.files import (
    RemoteFile,
    download,
    file_digest,
    find_dir,
    is_archive,
    safe_extract,
    tree_digest,
)
from trainsmart_bench.errors import DataError
from trainsmart_bench.jsonfile import atomic_write_json

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Dataset:
    """Parsed arrays (numpy only) plus what a result needs to say which data it used."""

    name: str
    arrays: dict[str, np.ndarray]
    checksum: str  # content digest of the installed copy
    source: str  # "download" or "import" (or "embedded")
    meta: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, key: str) -> np.ndarray:
        return self.arrays[key]


class DatasetLoader:
    """Subclasses declare their files and layout and implement ``validate`` and ``parse``."""

    name: ClassVar[str]
    title: ClassVar[str]
    homepage: ClassVar[str]
    citation: ClassVar[str]
    terms: ClassVar[str] = ""
    remote: ClassVar[tuple[RemoteFile, ...]] = ()
    layout: ClassVar[str]  # directory name of the canonical layout inside the cache
    parse_version: ClassVar[int] = 1
    derived_caches: ClassVar[tuple[str, ...]] = ("parsed-*.npz",)  # removed on reinstall
    redistributable: ClassVar[bool] = True

    def __init__(self, data_dir: str | os.PathLike[str] | None = None) -> None:
        self.data_dir = default_data_dir(data_dir)
        self.root = self.data_dir / self.name

    # -- what subclasses implement -------------------------------------------------
    def is_layout(self, directory: Path) -> bool:
        """True when ``directory`` is the canonical layout (used to find it in an import)."""
        return directory.name == self.layout

    def keep_member(self, name: str) -> bool:
        """False for archive members no task needs (they are not extracted)."""
        return True

    def validate(self, layout: Path) -> None:
        """Cheap structural checks (files present, sizes); raise DataError naming the file."""

    def parse(self, layout: Path) -> dict[str, np.ndarray]:
        """Full parse into numpy arrays, checking counts and labels; raise DataError."""
        raise NotImplementedError

    def summary(self, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
        """Counts, shapes and class balance for ``trainsmart data info``."""
        return {k: list(v.shape) for k, v in arrays.items()}

    # -- locations -----------------------------------------------------------------
    @property
    def layout_dir(self) -> Path:
        return self.root / self.layout

    @property
    def downloads_dir(self) -> Path:
        return self.root / "downloads"

    def manifest(self) -> dict[str, Any] | None:
        path = self.root / MANIFEST
        if not path.is_file():
            return None
        return json.loads(path.read_text())

    def is_ready(self) -> bool:
        return self.manifest() is not None and self.layout_dir.is_dir()

    # -- getting the data ----------------------------------------------------------
    def fetch(self, progress: bool = True, force: bool = False) -> dict[str, Any]:
        """Download the canonical files (verified), install them; a no-op when ready."""
        if self.is_ready() and not force:
            return self.manifest() or {}
        got = [self._cached_or_download(r, progress) for r in self.remote]
        with self._staging() as stage:
            for path in got:
                if is_archive(path):
                    safe_extract(path, stage, self.keep_member)
                else:
                    shutil.copy2(path, stage / path.name)
            origin = {"source": "download", "files": [self._describe(p) for p in got]}
            return self._install(stage, origin)

    def _cached_or_download(self, remote: RemoteFile, progress: bool) -> Path:
        path = self.downloads_dir / remote.name
        if path.is_file():
            remote.check(path)
            return path
        return download(remote, self.downloads_dir, progress=progress, dataset=self.name)

    def import_(self, path: str | os.PathLike[str]) -> dict[str, Any]:
        """Install a local copy: a directory or an archive holding the canonical layout."""
        src = Path(path).expanduser().resolve()
        if not src.exists():
            raise DataError(f"{src}: no such file or directory")
        with self._staging() as stage:
            if src.is_dir():
                found = find_dir(src, self.is_layout)
                if found is None:
                    raise DataError(self._layout_hint(src))
                shutil.copytree(found, stage / self.layout, symlinks=False,
                                ignore=self._ignore_for(found.parent))
            elif is_archive(src):
                safe_extract(src, stage, self.keep_member)
            else:
                raise DataError(
                    f"{src}: neither a directory nor an archive (.tar.gz, .tar.xz, .zip); "
                    f"give the folder or archive that holds {self.layout_hint_text()}"
                )
            origin = {"source": "import", "origin": str(src), "files": [self._describe(src)]}
            return self._install(stage, origin)

    def _ignore_for(self, base: Path):
        """A copytree ``ignore`` that applies ``keep_member`` to paths relative to ``base``."""

        def ignore(directory: str, entries: list[str]) -> list[str]:
            rel = Path(directory).relative_to(base).as_posix()
            return [e for e in entries if not self.keep_member(f"{rel}/{e}")]

        return ignore

    def _describe(self, path: Path) -> dict[str, Any]:
        if path.is_file():
            return {"name": path.name, "bytes": path.stat().st_size, "sha256": file_digest(path)}
        return {"name": path.name, "directory": True}

    @contextlib.contextmanager
    def _staging(self) -> Iterator[Path]:
        """A scratch directory inside the cache (same filesystem, so the final move is atomic)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".staging-", dir=self.root) as stage:
            yield Path(stage)

    def _install(self, stage: Path | str, origin: dict[str, Any]) -> dict[str, Any]:
        """Validate and parse the staged copy; only then swap it in and write the manifest."""
        stage = Path(stage)
        found = find_dir(stage, self.is_layout)
        if found is None:
            raise DataError(self._layout_hint(Path(origin.get("origin", stage))))
        self.validate(found)
        arrays = self.parse(found)
        checksum = tree_digest(found)
        manifest = {
            "dataset": self.name,
            "layout": self.layout,
            "checksum": checksum,
            "installed": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "parse_version": self.parse_version,
            **origin,
            "summary": self.summary(arrays),
        }
        old = self.root / f".old-{os.getpid()}"
        if self.layout_dir.exists():
            os.replace(self.layout_dir, old)
        os.replace(found, self.layout_dir)
        shutil.rmtree(old, ignore_errors=True)
        for pattern in self.derived_caches:
            for stale in self.root.glob(pattern):
                stale.unlink()
        self._write_parsed(arrays, checksum)
        atomic_write_json(self.root / MANIFEST, manifest)
        return manifest

    def _layout_hint(self, where: Path) -> str:
        return f"{where}: no canonical layout found; expected {self.layout_hint_text()}"

    def layout_hint_text(self) -> str:
        return f"a folder named {self.layout}/ (see `trainsmart data info {self.name}`)"

    # -- checking and loading ------------------------------------------------------
    def require(self) -> dict[str, Any]:
        manifest = self.manifest()
        if manifest is None or not self.layout_dir.is_dir():
            names = ", ".join(f"{r.name} <{r.urls[0]}>" for r in self.remote)
            raise DataError(
                f"dataset {self.name!r} is not in {self.root}. Run `trainsmart data fetch "
                f"{self.name}`; offline, put {names} in {self.downloads_dir} and run it again, "
                f"or run `trainsmart data import {self.name} PATH` on a local copy."
            )
        return manifest

    def verify(self) -> dict[str, Any]:
        """Re-hash the installed copy and re-validate it against its manifest."""
        manifest = self.require()
        self.validate(self.layout_dir)
        checksum = tree_digest(self.layout_dir)
        if checksum != manifest["checksum"]:
            raise DataError(
                f"{self.layout_dir}: content checksum {checksum[:16]}... differs from the one "
                f"recorded at install ({manifest['checksum'][:16]}...); the files changed. "
                f"Run `trainsmart data fetch --force {self.name}` or import the copy again."
            )
        return manifest

    def load(self) -> Dataset:
        manifest = self.require()
        checksum = manifest["checksum"]
        arrays = self._read_parsed(checksum)
        if arrays is None:
            self.validate(self.layout_dir)
            arrays = self.parse(self.layout_dir)
            self._write_parsed(arrays, checksum)
        return Dataset(self.name, arrays, checksum, manifest["source"], self._meta(manifest))

    def _meta(self, manifest: dict[str, Any]) -> dict[str, Any]:
        return {"title": self.title, "root": str(self.root)}

    def _parsed_path(self, checksum: str) -> Path:
        return self.root / f"parsed-v{self.parse_version}-{checksum[:16]}.npz"

    def _read_parsed(self, checksum: str) -> dict[str, np.ndarray] | None:
        path = self._parsed_path(checksum)
        if not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as npz:
                return {k: npz[k] for k in npz.files}
        except (OSError, ValueError):
            path.unlink(missing_ok=True)
            return None

    def _write_parsed(self, arrays: dict[str, np.ndarray], checksum: str) -> None:
        path = self._parsed_path(checksum)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, **arrays)
        os.replace(tmp, path)
