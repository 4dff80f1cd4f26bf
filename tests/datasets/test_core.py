"""The data layer: verified downloads, safe extraction, import, verify, parsed cache, errors."""

from __future__ import annotations

import gzip
import hashlib
import json
import tarfile
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from tests.fixtures import cifar_batches, mnist_files, tar_of, tar_with_member
from trainsmart_bench.datasets.cifar10 import CIFAR10
from trainsmart_bench.datasets.files import RemoteFile, download, safe_extract
from trainsmart_bench.datasets.idx import read_idx, write_idx
from trainsmart_bench.datasets.mnist import FILES, MNIST
from trainsmart_bench.errors import ChecksumError, DataError, OfflineError, UnsafeArchiveError


class TinyCIFAR10(CIFAR10):
    per_batch = 100


def tiny_mnist(root: Path) -> type[MNIST]:
    """An MNIST loader that pins the checksums of the fixture files instead of the originals."""
    content = {}
    for name in FILES:
        raw = gzip.decompress((root / f"{name}.gz").read_bytes())
        content[name] = (hashlib.sha256(raw).hexdigest(), read_idx(raw).shape)
    return type("TinyMNIST", (MNIST,), {"content": content})


def test_idx_round_trip_and_errors():
    a = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    assert np.array_equal(read_idx(write_idx(a)), a)
    with pytest.raises(DataError, match="truncated"):
        read_idx(write_idx(a)[:-1], "x")
    with pytest.raises(DataError, match="bad magic"):
        read_idx(b"\x01\x02\x03\x04", "x")


def test_mnist_import_parse_and_parsed_cache(tmp_path):
    src = mnist_files(tmp_path / "src")
    loader = tiny_mnist(src)(tmp_path / "cache")
    manifest = loader.import_(src)
    assert manifest["source"] == "import" and len(manifest["checksum"]) == 64
    assert manifest["summary"]["train"]["count"] == 20
    ds = loader.load()
    assert ds["x_train"].shape == (20, 28, 28) and ds["x_train"].dtype == np.uint8
    assert ds["y_test"].tolist() == list(range(10))
    assert list(loader.root.glob("parsed-*.npz")), "parsed cache written"
    assert loader.verify()["checksum"] == manifest["checksum"]


def test_mnist_rejects_altered_content(tmp_path):
    src = mnist_files(tmp_path / "src")
    with pytest.raises(ChecksumError, match="decompressed sha256"):
        MNIST(tmp_path / "cache").import_(src)
    assert not (tmp_path / "cache" / "mnist" / "mnist").exists(), "cache left as it was"


def test_mnist_accepts_uncompressed_and_recompressed(tmp_path):
    src = mnist_files(tmp_path / "src")
    cls = tiny_mnist(src)
    raw = mnist_files(tmp_path / "raw", gz=False)
    assert cls(tmp_path / "c1").import_(raw)["summary"]["test"]["count"] == 10
    # a mirror that re-compressed with another gzip header: same content, same checksum
    for f in src.glob("*.gz"):
        f.write_bytes(gzip.compress(gzip.decompress(f.read_bytes()), compresslevel=1, mtime=99))
    assert cls(tmp_path / "c2").import_(src)["summary"]["test"]["count"] == 10


def test_verify_detects_changed_files(tmp_path):
    src = mnist_files(tmp_path / "src")
    loader = tiny_mnist(src)(tmp_path / "cache")
    loader.import_(src)
    target = loader.layout_dir / "t10k-labels-idx1-ubyte.gz"
    target.write_bytes(gzip.compress(write_idx(np.zeros(10, np.uint8))))
    with pytest.raises(DataError):
        loader.verify()


def test_cifar_import_from_archive(tmp_path):
    d = cifar_batches(tmp_path / "src", per_batch=100)
    archive = tar_of(d, tmp_path / "cifar.tar.gz")
    loader = TinyCIFAR10(tmp_path / "cache")
    m = loader.import_(archive)
    assert m["summary"]["train"]["count"] == 500
    assert m["summary"]["test"]["per_class"]["truck"] == 10
    ds = loader.load()
    assert ds["x_train"].shape == (500, 32, 32, 3)
    # pixel layout: record = label, 1024 R, 1024 G, 1024 B, row-major
    first = np.fromfile(d / "data_batch_1.bin", np.uint8, 3073)
    assert ds["x_train"][0, 0, 1, 0] == first[1 + 1]
    assert ds["x_train"][0, 0, 0, 2] == first[1 + 2048]
    t = time.process_time()  # CPU time: a busy machine (xdist's other worker) slows the wall
    loader.load()
    assert time.process_time() - t < 2.0


def test_cifar_truncated_batch_names_the_file(tmp_path):
    d = cifar_batches(tmp_path / "src", per_batch=100)
    with open(d / "data_batch_3.bin", "r+b") as fh:
        fh.truncate(3073 * 99)
    loader = TinyCIFAR10(tmp_path / "cache")
    with pytest.raises(DataError, match="data_batch_3.bin"):
        loader.import_(tmp_path / "src")
    assert not loader.layout_dir.exists() and loader.manifest() is None


def test_wrong_layout_error(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="cifar-10-batches-bin"):
        CIFAR10(tmp_path / "cache").import_(tmp_path / "empty")
    with pytest.raises(DataError, match="no such file"):
        CIFAR10(tmp_path / "cache").import_(tmp_path / "missing")


def test_truncated_archive(tmp_path):
    d = cifar_batches(tmp_path / "src", per_batch=100)
    archive = tar_of(d, tmp_path / "cifar.tar.gz")
    data = archive.read_bytes()
    archive.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match="truncated or corrupt"):
        TinyCIFAR10(tmp_path / "cache").import_(archive)


@pytest.mark.parametrize(
    "name,kind",
    [("../evil.txt", tarfile.REGTYPE), ("/abs/evil.txt", tarfile.REGTYPE),
     ("link", tarfile.SYMTYPE), ("hard", tarfile.LNKTYPE), ("dev", tarfile.CHRTYPE),
     ("fifo", tarfile.FIFOTYPE)],
)
def test_unsafe_tar_members_refused(tmp_path, name, kind):
    info = tarfile.TarInfo(name)
    info.type = kind
    if kind in (tarfile.SYMTYPE, tarfile.LNKTYPE):
        info.linkname = "/etc/passwd"
    data = b"x" if kind == tarfile.REGTYPE else b""
    info.size = len(data)
    archive = tar_with_member(tmp_path / "bad.tar.gz", info, data)
    with pytest.raises(UnsafeArchiveError):
        safe_extract(archive, tmp_path / "out")
    assert not any((tmp_path / "out").rglob("*")), "nothing written"


def test_unsafe_zip_refused(tmp_path):
    archive = tmp_path / "bad.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("ok.txt", "fine")
        zf.writestr("../../escape.txt", "bad")
    with pytest.raises(UnsafeArchiveError):
        safe_extract(archive, tmp_path / "out")
    link = tmp_path / "link.zip"
    with zipfile.ZipFile(link, "w") as zf:
        info = zipfile.ZipInfo("link")
        info.external_attr = (0o120777 << 16)
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(UnsafeArchiveError):
        safe_extract(link, tmp_path / "out2")


def test_download_verifies_and_renames(tmp_path):
    payload = b"canonical bytes" * 100
    src = tmp_path / "served.bin"
    src.write_bytes(payload)
    good = RemoteFile("f.bin", (src.as_uri(),), len(payload), hashlib.sha256(payload).hexdigest())
    out = download(good, tmp_path / "dl", progress=False)
    assert out.read_bytes() == payload and not list((tmp_path / "dl").glob("*.part"))
    bad = RemoteFile("g.bin", (src.as_uri(),), len(payload), "0" * 64)
    with pytest.raises(ChecksumError, match="g.bin"):
        download(bad, tmp_path / "dl", progress=False)
    assert not (tmp_path / "dl" / "g.bin").exists() and not list((tmp_path / "dl").glob("*.part"))


def test_offline_error_names_files_urls_and_dir(tmp_path):
    loader = CIFAR10(tmp_path / "cache")
    missing = RemoteFile("cifar-10-binary.tar.gz", ((tmp_path / "nowhere.tgz").as_uri(),))
    with pytest.raises(OfflineError) as err:
        download(missing, loader.downloads_dir, progress=False)
    msg = str(err.value)
    assert "cifar-10-binary.tar.gz" in msg and str(loader.downloads_dir) in msg
    with pytest.raises(DataError) as err:
        loader.load()
    msg = str(err.value)
    assert "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz" in msg
    assert str(loader.downloads_dir) in msg and "trainsmart data import" in msg


def test_fetch_uses_a_file_placed_in_downloads(tmp_path, monkeypatch):
    """Offline use: a canonical archive put in downloads/ is verified and installed."""
    d = cifar_batches(tmp_path / "src", per_batch=100)
    archive = tar_of(d, tmp_path / "cifar-10-binary.tar.gz")
    sha = hashlib.sha256(archive.read_bytes()).hexdigest()
    remote = (RemoteFile("cifar-10-binary.tar.gz", ("http://127.0.0.1:9/none",), None, sha),)
    monkeypatch.setattr(TinyCIFAR10, "remote", remote)
    loader = TinyCIFAR10(tmp_path / "cache")
    loader.downloads_dir.mkdir(parents=True)
    (loader.downloads_dir / archive.name).write_bytes(archive.read_bytes())
    m = loader.fetch(progress=False)
    assert m["source"] == "download" and m["files"][0]["sha256"] == sha
    assert json.loads((loader.root / "manifest.json").read_text())["checksum"] == m["checksum"]


def test_keep_member_skips_unneeded_members(tmp_path):
    src = tmp_path / "src" / "top"
    (src / "keep").mkdir(parents=True)
    (src / "skip").mkdir()
    (src / "keep" / "a.txt").write_text("a")
    (src / "skip" / "b.txt").write_text("b")
    archive = tar_of(src, tmp_path / "a.tar.gz")
    safe_extract(archive, tmp_path / "out", keep=lambda n: "skip" not in n)
    assert (tmp_path / "out" / "top" / "keep" / "a.txt").is_file()
    assert not (tmp_path / "out" / "top" / "skip" / "b.txt").exists()
