"""Bytes on disk: hashing, verified downloads and safe archive extraction."""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import tarfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from trainsmart_bench.errors import ChecksumError, DataError, OfflineError, UnsafeArchiveError

CHUNK = 1 << 20
USER_AGENT = "trainsmart-bench (+https://github.com/trainsmart-bench/trainsmart-bench)"


@dataclass(frozen=True)
class RemoteFile:
    """One canonical file of a dataset: where it lives and what its bytes hash to."""

    name: str
    urls: tuple[str, ...]
    size: int | None = None
    sha256: str | None = None
    md5: str | None = None  # where the publisher gives only md5
    # sha256 of the gunzipped bytes: a mirror that re-compressed the same content (other gzip
    # header) is accepted on this digest alone
    content_sha256: str | None = None

    def check(self, path: Path) -> None:
        """Raise ChecksumError unless ``path`` has the pinned size and digest."""
        if self.content_sha256 and _gunzip_digest(path) == self.content_sha256:
            return
        if self.size is not None and path.stat().st_size != self.size:
            raise ChecksumError(
                f"{path.name}: size {path.stat().st_size:,} bytes, expected {self.size:,}; "
                "the download is truncated or not the canonical file. Delete it and fetch again."
            )
        for algo, want in (("sha256", self.sha256), ("md5", self.md5)):
            if want and (got := file_digest(path, algo)) != want:
                raise ChecksumError(
                    f"{path.name}: {algo} {got}, expected {want}; the file is corrupt or not "
                    "the canonical one. Delete it and fetch again, or use `trainsmart data "
                    "import` for a local copy in the canonical layout."
                )


def file_digest(path: Path, algo: str = "sha256") -> str:
    h = hashlib.new(algo)
    with open(path, "rb") as fh:
        while block := fh.read(CHUNK):
            h.update(block)
    return h.hexdigest()


def _gunzip_digest(path: Path) -> str | None:
    h = hashlib.sha256()
    try:
        with gzip.open(path, "rb") as fh:
            while block := fh.read(CHUNK):
                h.update(block)
    except (OSError, EOFError):
        return None
    return h.hexdigest()


def tree_digest(root: Path) -> str:
    """sha256 over every regular file under ``root``: relative path, size and content digest."""
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        h.update(f"{rel}\0{path.stat().st_size}\0{file_digest(path)}\n".encode())
    return h.hexdigest()


def download(remote: RemoteFile, dest: Path, progress: bool = True, timeout: float = 30,
             dataset: str = "NAME") -> Path:
    """Download ``remote`` into ``dest`` (a directory), verified, under its final name.

    Bytes go to ``<name>.part`` and are renamed only once the checksum matches, so an
    interrupted or corrupt download never leaves a file that looks complete.
    """
    dest.mkdir(parents=True, exist_ok=True)
    final = dest / remote.name
    part = dest / (remote.name + ".part")
    errors: list[str] = []
    for url in remote.urls:
        try:
            _stream(url, part, remote.size, progress, timeout)
            remote.check(part)
        except (TimeoutError, urllib.error.URLError, ConnectionError, OSError) as exc:
            part.unlink(missing_ok=True)
            errors.append(f"{url}: {getattr(exc, 'reason', exc)}")
            continue
        except ChecksumError:
            part.unlink(missing_ok=True)
            raise
        os.replace(part, final)
        return final
    raise OfflineError(
        f"could not download {remote.name} ({'; '.join(errors)}). If this machine is offline, "
        f"download it elsewhere from {remote.urls[0]} and put it in {dest}, or run "
        f"`trainsmart data import {dataset} PATH` on a local copy."
    )


def _stream(url: str, part: Path, size: int | None, progress: bool, timeout: float) -> None:
    from rich.progress import DownloadColumn, Progress, TransferSpeedColumn

    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    with urllib.request.urlopen(request, timeout=timeout) as response, open(part, "wb") as out:
        total = size or int(response.headers.get("Content-Length") or 0) or None
        columns = (*Progress.get_default_columns(), DownloadColumn(), TransferSpeedColumn())
        with Progress(*columns, disable=not progress, transient=True) as bar:
            task = bar.add_task(part.name.removesuffix(".part"), total=total)
            while block := response.read(CHUNK):
                out.write(block)
                bar.advance(task, len(block))


ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.bz2", ".tar", ".zip")


def is_archive(path: Path) -> bool:
    return path.is_file() and path.name.lower().endswith(ARCHIVE_SUFFIXES)


def _safe_name(name: str, archive: Path) -> PurePosixPath:
    pure = PurePosixPath(name.replace("\\", "/"))
    if pure.is_absolute() or ".." in pure.parts or (pure.parts and ":" in pure.parts[0]):
        raise UnsafeArchiveError(
            f"{archive.name}: member {name!r} would be written outside the target directory; "
            "refusing to extract. Use an archive from the dataset's official source."
        )
    return pure


def safe_extract(archive: Path, dest: Path, keep: Callable[[str], bool] | None = None) -> None:
    """Extract regular files and directories only; refuse links, devices, absolute and .. paths.

    Every member is checked before anything is written; ``keep(name)`` False skips a member
    (e.g. the 50,000 unlabelled IMDB reviews no task uses).
    """
    dest.mkdir(parents=True, exist_ok=True)
    try:
        if archive.name.lower().endswith(".zip"):
            _extract_zip(archive, dest, keep or _all)
        else:
            _extract_tar(archive, dest, keep or _all)
    except (tarfile.TarError, zipfile.BadZipFile, EOFError) as exc:
        raise DataError(
            f"{archive}: cannot read the archive ({exc}); it is truncated or corrupt. "
            "Download it again."
        ) from exc


def _all(name: str) -> bool:
    return True


def _extract_tar(archive: Path, dest: Path, keep: Callable[[str], bool]) -> None:
    with tarfile.open(archive, "r:*") as tar:
        members = tar.getmembers()  # reads to the end: a truncated archive fails here
        _write_members(archive, dest, keep, [
            (m.name, m.isdir(), m.isfile() or m.isdir(),
             lambda m=m: tar.extractfile(m)) for m in members])


def _extract_zip(archive: Path, dest: Path, keep: Callable[[str], bool]) -> None:
    with zipfile.ZipFile(archive) as zf:
        _write_members(archive, dest, keep, [
            (i.filename, i.is_dir(), (i.external_attr >> 16) & 0o170000 in (0, 0o100000, 0o040000),
             lambda i=i: zf.open(i)) for i in zf.infolist()])


Member = tuple[str, bool, bool, Callable[[], Any]]  # name, is a directory, is plain, opener


def _write_members(archive: Path, dest: Path, keep: Callable[[str], bool],
                   members: list[Member]) -> None:
    """Check every member first (names inside ``dest``, only files and directories), then
    write the ones ``keep`` wants."""
    for name, _, plain, _ in members:
        _safe_name(name, archive)
        if not plain:
            raise UnsafeArchiveError(
                f"{archive.name}: member {name!r} is a link or special file; refusing to "
                "extract. Dataset archives hold only regular files and directories."
            )
    for name, is_dir, _, opener in members:
        if not keep(name):
            continue
        target = dest / _safe_name(name, archive)
        if is_dir:
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        with opener() as src, open(target, "wb") as out:
            shutil.copyfileobj(src, out, CHUNK)


def find_dir(root: Path, predicate, max_depth: int = 3) -> Path | None:
    """The shallowest directory under ``root`` (itself included) for which ``predicate`` holds."""
    level: Iterable[Path] = [root]
    for _ in range(max_depth + 1):
        next_level: list[Path] = []
        for d in sorted(level):
            if predicate(d):
                return d
            next_level.extend(p for p in d.iterdir() if p.is_dir() and not p.is_symlink())
        level = next_level
    return None
