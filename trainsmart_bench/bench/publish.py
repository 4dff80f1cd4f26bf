"""Build the published site: asv publish into ``html/asv``, its scripts vendored, the landing page.

``nox -s bench`` does this after its reports; the nightly does it once for every machine's
results (``trainsmart bench-site``). Both produce the layout described in bench/site.py.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from trainsmart_bench.bench.landing import render_landing
from trainsmart_bench.bench.pipeline import load_config
from trainsmart_bench.bench.site import SiteLayout, machine_views
from trainsmart_bench.bench.vendor import Package, Vendored, vendor_asv_site
from trainsmart_bench.errors import OfflineError


@dataclass(frozen=True)
class SiteConfig:
    """Where asv.conf.json puts results and the site, and how it links commits."""

    config: Path
    results_dir: Path
    layout: SiteLayout
    commit_url: str | None

    @classmethod
    def load(cls, config: Path) -> SiteConfig:
        conf = load_config(config)
        root = config.resolve().parent
        return cls(config.resolve(), (root / conf.get("results_dir", "results")).resolve(),
                   SiteLayout((root / conf.get("html_dir", "html")).resolve()),
                   conf.get("show_commit_url") or None)

    def publish_command(self) -> list[str]:
        """asv's static site, under the landing page (asv replaces only its own folder)."""
        return [sys.executable, "-m", "asv", "publish", "--config", str(self.config),
                "--html-dir", str(self.layout.asv_dir)]


@dataclass(frozen=True)
class SiteBuild:
    index: Path
    size: int  # bytes of the landing page
    machines: int
    regressions: int
    vendored: Vendored | None  # None: not asked for, or no asv site to vendor
    notes: tuple[str, ...] = ()

    def summary(self) -> str:
        head = (f"site:    {self.index}  ({self.machines} machine(s), {self.size:,} bytes, "
                f"{self.regressions} regression(s) shown)")
        return "\n".join([head, *(f"         {n}" for n in self.notes)])


def drop_unrun(asv_dir: Path) -> list[str]:
    """Leave benchmarks that no machine has results for out of asv's index.

    ``asv run --bench`` still lists every benchmark it discovered, and asv's grid asks for the
    graph of each: a profile that runs a subset would show empty tiles and fail requests.
    """
    path = asv_dir / "index.json"
    index = json.loads(path.read_text(encoding="utf-8"))
    summary = asv_dir / "graphs" / "summary"
    gone = [n for n in index.get("benchmarks", {}) if not (summary / f"{n}.json").is_file()]
    for name in gone:
        del index["benchmarks"][name]
    if gone:
        path.write_text(json.dumps(index), encoding="utf-8")
    return gone


def no_download(pkg: Package) -> bytes:
    raise OfflineError(f"{pkg.folder}: not in the download cache, and --offline")


def finish_asv_site(asv_dir: Path, vendor: bool = True, offline: bool = False,
                    cache: Path | None = None) -> tuple[Vendored | None, list[str]]:
    """What ``asv publish`` leaves to do: unrun benchmarks out, scripts vendored; notes."""
    vendored, notes = None, []
    if (asv_dir / "index.json").is_file() and (gone := drop_unrun(asv_dir)):
        notes.append(f"asv site: {len(gone)} benchmarks without results are left out")
    if vendor and (asv_dir / "index.html").is_file():
        vendored = vendor_asv_site(asv_dir, cache=cache, fetch=no_download if offline else None)
        notes.insert(0, vendored.summary())
    return vendored, notes


def build_site(site: SiteConfig, vendor: bool = True, offline: bool = False,
               cache: Path | None = None, now: str | None = None) -> SiteBuild:
    """Finish the published asv site and write the landing page over every machine.

    ``offline`` vendors from the download cache only.
    """
    layout = site.layout
    vendored, notes = finish_asv_site(layout.asv_dir, vendor, offline, cache)
    views = machine_views(site.results_dir, layout)
    generated = now or dt.datetime.now().astimezone().isoformat(timespec="seconds")
    page = render_landing(views, generated, notes, site.commit_url).encode("utf-8")
    layout.root.mkdir(parents=True, exist_ok=True)
    layout.index.write_bytes(page)
    return SiteBuild(layout.index, len(page), len(views),
                     sum(len(v.regressions) for v in views), vendored, tuple(notes))


def publish(site: SiteConfig, vendor: bool = True, offline: bool = False, echo=print) -> int:
    """``asv publish`` then ``build_site``; asv's exit status when it fails."""
    cmd = site.publish_command()
    echo("$ python " + " ".join(cmd[1:]))
    rc = subprocess.run(cmd, cwd=site.config.parent).returncode
    if rc:
        return rc
    echo(build_site(site, vendor, offline).summary())
    return 0
