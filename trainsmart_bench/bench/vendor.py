"""Make the asv site work offline: its JavaScript and CSS come from the npm registry.

asv 0.6.6's ``index.html`` loads jQuery, flot and its plugins, flot-orderbars, stupidtable,
blueimp-md5 and bootstrap from public CDNs; without the internet the page shows only an error.
``vendor_asv_site(html)`` downloads the npm package of each, checks the tarball against the
checksum npm publishes for it (``dist.integrity``, also pinned here), copies the files into
``<html>/vendor/<package>@<version>/`` and points the page at them. Where the registry cannot be
reached (and the package is not in the download cache) the page keeps its CDN links.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from trainsmart_bench.datasets.files import USER_AGENT, safe_extract
from trainsmart_bench.errors import ChecksumError, DataError, OfflineError

REGISTRY = "https://registry.npmjs.org"
ENV_REGISTRY = "NPM_CONFIG_REGISTRY"  # the variable npm itself reads
VENDOR_DIR = "vendor"


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    integrity: str  # npm's dist.integrity of the tarball (an SRI string, sha512)

    @property
    def folder(self) -> str:
        return f"{self.name}@{self.version}"


@dataclass(frozen=True)
class Asset:
    """One external URL of the page and the package file that replaces it."""

    url: str
    package: Package
    file: str  # path inside the package
    extra: tuple[str, ...] = ()  # files the asset loads itself (bootstrap's fonts)


JQUERY = Package("jquery", "3.3.1", "sha512-Ubldcmxp5np52/ENotGxlLe6aGMvmF4R8S6tZjsP6Knsaxd/"
                 "xp3Zrh50cG93lR6nPXyUFwzN3ZSOQI0wRJNdGg==")
FLOT = Package("flot", "0.8.3", "sha512-xg2otcTJDvS+ERK+my4wxG/ASq90QURXtoM4LhacCq0jQW2jbyjdttbR"
               "NqU2cPykrpMvJ6b2uSp6SAgYAzj9tQ==")
ORDERBARS = Package("flot-orderbars", "1.0.0", "sha512-Jv51fvzevUjNXEeozpwEKfPjhiZhfiJddv0WHjdu"
                    "UTCmSF+7T5K7C9c9Y1wIVmUhDBv5fLMjgbwKecT0GIKPZA==")
# npm has no stupid-table-plugin 1.0.1 (asv's version, from cdnjs); 1.1.3 is its only release
STUPIDTABLE = Package("stupid-table-plugin", "1.1.3", "sha512-2Vk7XouQPxUQPRe9w0Fu7ZZ8kHLK7rDoL"
                      "MsCgtKxRNJ7f4dSOGvW9CkHsq5wD6QsaEnWoyLBYH3xOEsrK3yWBg==")
MD5 = Package("blueimp-md5", "2.19.0", "sha512-DRQrD6gJyy8FbiE4s+bDoXS9hiW3Vbx5uCdwvcCf3zLHL+Iv7"
              "LtGHLpr+GZV8rHG8tK766FGYBwRbu8pELTt+w==")
BOOTSTRAP = Package("bootstrap", "3.1.1", "sha512-TAzqS8E/ISpVHP29gYhy+1NSV+FJwApDVQhDfgLYsIuUDJi"
                    "qJzH2DfORN5tiu+Ie2iBLrzEG34t4Rf465cigqg==")
CDNJS = "https://cdnjs.cloudflare.com/ajax/libs"
JSDELIVR = "https://cdn.jsdelivr.net/npm"
FONTS = tuple(f"dist/fonts/glyphicons-halflings-regular.{ext}"
              for ext in ("eot", "svg", "ttf", "woff"))

# What asv 0.6.6's index.html names. npm's flot 0.8.3 ships no minified files, so the page gets
# the plain ones; the files from npm of jQuery, orderBars, blueimp-md5 and bootstrap are the
# very bytes the CDN serves (asv's integrity attributes match them).
ASV_ASSETS = (
    Asset("https://code.jquery.com/jquery-3.3.1.min.js", JQUERY, "dist/jquery.min.js"),
    *(Asset(f"{CDNJS}/flot/0.8.3/jquery.flot{part}.min.js", FLOT, f"jquery.flot{part}.js")
      for part in ("", ".time", ".selection", ".categories")),
    Asset(f"{JSDELIVR}/flot-orderbars@1.0.0/js/jquery.flot.orderBars.js", ORDERBARS,
          "js/jquery.flot.orderBars.js"),
    Asset(f"{CDNJS}/stupidtable/1.0.1/stupidtable.min.js", STUPIDTABLE, "stupidtable.min.js"),
    Asset(f"{CDNJS}/blueimp-md5/2.19.0/js/md5.min.js", MD5, "js/md5.min.js"),
    Asset(f"{JSDELIVR}/bootstrap@3.1.1/dist/js/bootstrap.min.js", BOOTSTRAP,
          "dist/js/bootstrap.min.js"),
    Asset(f"{JSDELIVR}/bootstrap@3.1.1/dist/css/bootstrap.min.css", BOOTSTRAP,
          "dist/css/bootstrap.min.css", FONTS),
)


def sri(data: bytes, algo: str = "sha512") -> str:
    """A Subresource Integrity string, as npm's dist.integrity and the page's attributes."""
    return f"{algo}-{base64.b64encode(hashlib.new(algo, data).digest()).decode()}"


def check_integrity(data: bytes, integrity: str, what: str) -> None:
    """Raise ChecksumError unless ``data`` matches one of the SRI hashes in ``integrity``."""
    for item in integrity.split():
        algo = item.split("-", 1)[0]
        if algo in ("sha256", "sha384", "sha512") and sri(data, algo) == item:
            return
    raise ChecksumError(f"{what}: the tarball's checksum {sri(data)} is not the published "
                        f"{integrity}; not using it")


def registry_url() -> str:
    return (os.environ.get(ENV_REGISTRY) or REGISTRY).rstrip("/")


def _get(url: str, timeout: float) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.read()


def download(pkg: Package, registry: str, timeout: float = 30) -> bytes:
    """The package's tarball, checked against the integrity the registry publishes for it."""
    try:
        meta = json.loads(_get(f"{registry}/{pkg.name}/{pkg.version}", timeout))
        dist = meta["dist"]
        if dist["integrity"] != pkg.integrity:
            raise ChecksumError(f"{pkg.folder}: {registry} publishes {dist['integrity']}, "
                                f"expected {pkg.integrity}")
        data = _get(dist["tarball"], timeout)
    except (urllib.error.URLError, TimeoutError, ConnectionError, KeyError, ValueError) as exc:
        raise OfflineError(f"{pkg.folder} from {registry}: {getattr(exc, 'reason', exc)}") from exc
    check_integrity(data, dist["integrity"], pkg.folder)
    return data


def cached_tarball(pkg: Package, cache: Path, fetch: Callable[[Package], bytes]) -> Path:
    """The verified tarball in ``cache``, downloaded once; a cached copy is checked again."""
    path = cache / f"{pkg.name}-{pkg.version}.tgz"
    if path.is_file():
        try:
            check_integrity(path.read_bytes(), pkg.integrity, str(path))
            return path
        except ChecksumError:
            path.unlink()
    data = fetch(pkg)
    check_integrity(data, pkg.integrity, pkg.folder)
    cache.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    part.write_bytes(data)
    os.replace(part, path)
    return path


def install_package(tarball: Path, files: Iterable[str], dest: Path) -> None:
    """Copy ``files`` (paths inside the package) from the tarball to ``dest``."""
    wanted = {f"package/{f}" for f in files}
    with tempfile.TemporaryDirectory() as tmp:
        safe_extract(tarball, Path(tmp), keep=lambda name: name in wanted)
        for name in sorted(wanted):
            src = Path(tmp) / name
            if not src.is_file():
                raise DataError(f"{tarball.name} has no {name}")
            target = dest / name.removeprefix("package/")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, target)


TAG = re.compile(r"<(?:script|link)\b[^>]*>", re.IGNORECASE)
EXTERNAL = re.compile(r'\b(?:src|href)="(https?://[^"]*)"')


def rewrite_page(page: str, local: Mapping[str, tuple[str, str]]) -> tuple[str, list[str]]:
    """Point scripts and stylesheets at local copies (url -> (path, integrity)).

    Returns the page and the external URLs it still loads.
    """
    left: list[str] = []

    def one(match: re.Match[str]) -> str:
        tag = match.group(0)
        found = EXTERNAL.search(tag)
        if found is None:
            return tag
        url = found.group(1)
        if url not in local:
            left.append(url)
            return tag
        path, integrity = local[url]
        tag = tag.replace(found.group(0), found.group(0).replace(url, path))
        return re.sub(r'\bintegrity="[^"]*"', f'integrity="{integrity}"', tag)

    return TAG.sub(one, page), left


@dataclass(frozen=True)
class Vendored:
    packages: tuple[str, ...]  # name@version of each package copied
    external: tuple[str, ...]  # URLs the page still loads from the internet
    problems: tuple[str, ...]  # why a package could not be had

    def summary(self) -> str:
        head = f"asv site: {len(self.packages)} npm packages vendored"
        if not self.external:
            return f"{head}, it loads nothing from the internet"
        why = (f"{self.problems[0]}" + (f" (and {len(self.problems) - 1} more)"
                                        if len(self.problems) > 1 else "")
               if self.problems else "no npm package is known for them")
        return (f"{head}; {len(self.external)} links keep their CDN, so the asv pages need "
                f"the internet: {why}")


def default_cache() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("trainsmart-bench", appauthor=False)) / "npm"


def vendor_asv_site(html_dir: Path, assets: Iterable[Asset] = ASV_ASSETS,
                    cache: Path | None = None,
                    fetch: Callable[[Package], bytes] | None = None) -> Vendored:
    """Copy the page's external scripts and styles into ``html_dir`` and point it at them.

    A tarball whose checksum differs from the published one raises ChecksumError.
    """
    index = html_dir / "index.html"
    page = index.read_text(encoding="utf-8")
    registry = registry_url()
    fetch = fetch or (lambda pkg: download(pkg, registry))
    groups: dict[Package, list[Asset]] = {}
    for asset in assets:
        if f'"{asset.url}"' in page:
            groups.setdefault(asset.package, []).append(asset)
    local: dict[str, tuple[str, str]] = {}
    done, problems = [], []
    for pkg, wanted in groups.items():
        try:
            tarball = cached_tarball(pkg, cache or default_cache(), fetch)
        except OfflineError as exc:
            problems.append(str(exc))
            continue
        dest = html_dir / VENDOR_DIR / pkg.folder
        install_package(tarball, [f for a in wanted for f in (a.file, *a.extra)], dest)
        for a in wanted:
            local[a.url] = (f"{VENDOR_DIR}/{pkg.folder}/{a.file}",
                            sri((dest / a.file).read_bytes(), "sha384"))
        done.append(pkg.folder)
    page, external = rewrite_page(page, local)
    index.write_text(page, encoding="utf-8")
    return Vendored(tuple(done), tuple(external), tuple(problems))
