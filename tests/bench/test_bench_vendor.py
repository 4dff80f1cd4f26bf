"""Vendoring the asv site's scripts from an npm registry (a local fake one): published checksums,
the download cache, the rewritten page, and what happens when the registry is out of reach."""

from __future__ import annotations

import io
import json
import tarfile
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from trainsmart_bench.bench import vendor
from trainsmart_bench.bench.vendor import (
    ASV_ASSETS,
    Asset,
    Package,
    rewrite_page,
    sri,
    vendor_asv_site,
)
from trainsmart_bench.errors import ChecksumError, OfflineError

JS = b"window.demo = 1;\n"
CSS = b"body{background:url(../fonts/f.woff)}\n"
FONT = b"wOFF"


def tarball(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


TGZ = tarball({"dist/demo.min.js": JS, "dist/css/demo.css": CSS, "dist/fonts/f.woff": FONT,
               "README.md": b"not copied"})
PKG = Package("demo", "1.2.3", sri(TGZ))
ASSETS = (Asset("https://cdn.example.org/demo.min.js", PKG, "dist/demo.min.js"),
          Asset("https://cdn.example.org/demo.css", PKG, "dist/css/demo.css",
                ("dist/fonts/f.woff",)))
PAGE = """<html><head>
<script src="https://cdn.example.org/demo.min.js" integrity="sha256-old" crossorigin="anonymous"
 onerror="js_load_failure()"></script>
<link rel="stylesheet" href="https://cdn.example.org/demo.css" integrity="sha256-old">
<script src="https://cdn.example.org/unknown.js"></script>
<script src="asv.js"></script><link rel="alternate" href="regressions.xml">
</head><body><a href="https://github.com/airspeed-velocity/asv/">asv</a></body></html>"""


@pytest.fixture
def registry(tmp_path, monkeypatch):
    """A registry serving demo@1.2.3: metadata at /demo/1.2.3, the tarball under /tarballs/."""
    root = tmp_path / "registry"
    (root / "demo").mkdir(parents=True)
    (root / "tarballs").mkdir()
    (root / "tarballs" / "demo-1.2.3.tgz").write_bytes(TGZ)
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(root)))
    url = f"http://127.0.0.1:{server.server_port}"
    meta = {"name": "demo", "version": "1.2.3",
            "dist": {"integrity": sri(TGZ), "tarball": f"{url}/tarballs/demo-1.2.3.tgz"}}
    (root / "demo" / "1.2.3").write_text(json.dumps(meta))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv(vendor.ENV_REGISTRY, url + "/")
    yield root
    server.shutdown()
    server.server_close()


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def site(tmp_path) -> Path:
    html = tmp_path / "html"
    html.mkdir()
    (html / "index.html").write_text(PAGE)
    return html


def test_vendors_checked_packages_and_rewrites_the_page(registry, site, tmp_path):
    result = vendor_asv_site(site, ASSETS, cache=tmp_path / "cache")
    assert result.packages == ("demo@1.2.3",)
    assert result.external == ("https://cdn.example.org/unknown.js",)
    dest = site / "vendor" / "demo@1.2.3"
    assert (dest / "dist/demo.min.js").read_bytes() == JS
    assert (dest / "dist/fonts/f.woff").read_bytes() == FONT  # the stylesheet's relative url()
    assert not (dest / "README.md").exists()
    page = (site / "index.html").read_text()
    assert ('src="vendor/demo@1.2.3/dist/demo.min.js" '
            f'integrity="{sri(JS, "sha384")}"') in page
    assert f'href="vendor/demo@1.2.3/dist/css/demo.css" integrity="{sri(CSS, "sha384")}"' in page
    assert 'onerror="js_load_failure()"' in page and 'href="regressions.xml"' in page
    assert "need the internet" in result.summary() and "no npm package" in result.summary()


def test_a_tarball_that_differs_from_the_published_checksum_is_refused(registry, site, tmp_path):
    (registry / "tarballs" / "demo-1.2.3.tgz").write_bytes(tarball({"dist/demo.min.js": b"evil"}))
    with pytest.raises(ChecksumError, match="not the published"):
        vendor_asv_site(site, ASSETS, cache=tmp_path / "cache")
    assert (site / "index.html").read_text() == PAGE
    assert not (tmp_path / "cache" / "demo-1.2.3.tgz").exists()


def test_a_registry_that_publishes_another_checksum_is_refused(registry, site, tmp_path):
    pinned = Package("demo", "1.2.3", sri(b"something else"))
    assets = [Asset(a.url, pinned, a.file, a.extra) for a in ASSETS]
    with pytest.raises(ChecksumError, match="publishes"):
        vendor_asv_site(site, assets, cache=tmp_path / "cache")


def test_unreachable_registry_keeps_the_cdn_links_and_says_so(site, tmp_path, monkeypatch):
    monkeypatch.setenv(vendor.ENV_REGISTRY, "http://127.0.0.1:9")  # nothing listens there
    result = vendor_asv_site(site, ASSETS, cache=tmp_path / "cache")
    assert result.packages == () and len(result.external) == 3
    assert (site / "index.html").read_text() == PAGE
    assert "demo@1.2.3 from http://127.0.0.1:9" in result.summary()
    assert "3 links keep their CDN" in result.summary()


def test_the_cache_is_used_offline_and_checked_again(registry, site, tmp_path):
    cache = tmp_path / "cache"
    vendor_asv_site(site, ASSETS, cache=cache)

    def offline(pkg: Package) -> bytes:
        raise OfflineError("offline")

    (site / "index.html").write_text(PAGE)
    assert vendor_asv_site(site, ASSETS, cache=cache, fetch=offline).packages == ("demo@1.2.3",)
    (cache / "demo-1.2.3.tgz").write_bytes(b"corrupt")
    (site / "index.html").write_text(PAGE)
    result = vendor_asv_site(site, ASSETS, cache=cache, fetch=offline)
    assert result.packages == () and not (cache / "demo-1.2.3.tgz").exists()


def test_rewrite_leaves_unknown_urls_and_local_files():
    page, left = rewrite_page(PAGE, {})
    assert page == PAGE and len(left) == 3


def test_every_cdn_url_of_asvs_page_has_a_package():
    asv_www = pytest.importorskip("asv").__file__
    index = (Path(asv_www).parent / "www" / "index.html").read_text()
    _, left = rewrite_page(index, {a.url: ("x", "y") for a in ASV_ASSETS})
    assert left == []
    assert all(f'"{a.url}"' in index for a in ASV_ASSETS)
