"""The published site as a visitor sees it, offline: served by http.server on 127.0.0.1 and
loaded in headless Chromium (landing page, a report, its comparison, the asv grid and a graph).

Every page: no console error, no failed request, nothing requested beyond 127.0.0.1; the graph
has points. A screenshot of each is saved; set TRAINSMART_REPORT_ARTIFACTS=DIR to keep them.
The asv pages' scripts come from the npm registry: the test skips where it cannot be reached.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
import urllib.request
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.bench.site_files import MACHINE, make_project
from tests.report.chromium import CHROMIUM, Chromium
from tests.report.factory import ENV, write_results
from trainsmart_bench.bench.publish import SiteConfig, build_site
from trainsmart_bench.report import build_report, write_report

# one Chromium at a time, in one xdist worker: page-load and render times are asserted
pytestmark = [pytest.mark.xdist_group("chromium"), pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium not found (Debian: apt-get install -y chromium)")]

GRID_READY = ("(() => { const p = document.querySelectorAll('#summarygrid-display "
              ".benchmark-plot'); return p.length > 0 && [...p].every(d => "
              "d.querySelector('canvas')); })()")
PLOT = "window.jQuery && jQuery('#main-graph').data('plot')"
POINTS = (f"{PLOT}.getData().reduce((n, s) => n + s.data.filter(p => p[1] !== null).length, 0)")


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> SiteConfig:
    """Three commits' results, the last one's report and comparison, asv publish, vendoring."""
    pytest.importorskip("asv", reason="asv is not installed (the test dependency group)")
    root = tmp_path_factory.mktemp("site")
    project = make_project(root / "project")
    site = SiteConfig.load(project.config)
    records = root / "records"
    write_results(records / "new")
    old_env = {**ENV, "libraries": {**ENV["libraries"], "keras": "3.2.0"}}
    write_results(records / "old", speed={"keras": 1.25}, env=old_env, broken=False)
    new, old = project.commits[-1], project.commits[-2]
    write_report(site.layout.report(MACHINE, new), build_report([records / "new"]))
    write_report(site.layout.report(MACHINE, new, old),
                 build_report([records / "new"], compare=[records / "old"]))
    subprocess.run(site.publish_command(), cwd=project.root, check=True, capture_output=True)
    build = build_site(site, cache=root / "npm-cache")
    if build.vendored is None or build.vendored.external:
        pytest.skip(f"the asv site could not be made to work offline here: {build.notes[0]}")
    return site


@pytest.fixture(scope="module")
def served(site):
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=site.layout.root))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    chrome = Chromium(tmp_path_factory.mktemp("profile"))
    yield chrome
    chrome.close()


def check(browser: Chromium, base: str, path: str, name: str, ready: str, tmp_path: Path):
    """Load, wait until ``ready``, check the page's traffic and errors, save a screenshot."""
    load = browser.open(base + path, ready)
    browser.settle()
    assert load.errors == [], f"{path}: {load.errors}"
    outside = [u for u in load.requests if not u.startswith((base, "data:"))]
    assert outside == [], f"{path} asked the network for {outside}"
    shot = tmp_path / f"{name}.png"
    size = browser.screenshot(shot, full_page=not path.startswith("asv/"))
    assert load.errors == [], f"{path}, while taking the screenshot: {load.errors}"
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and size > 10_000
    print(f"\n{name}: ready in {load.seconds:.2f}s, {len(load.requests)} requests, "
          f"screenshot {size:,} bytes")
    keep = os.environ.get("TRAINSMART_REPORT_ARTIFACTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / shot.name)
    return load


def test_landing_page_shows_the_regression_and_every_link_resolves(browser, served, tmp_path):
    check(browser, served, "", "site-landing", "document.readyState === 'complete'", tmp_path)
    alarm = browser.evaluate("document.querySelector('section .alarm').innerText")
    assert "1 regression against" in alarm and "track_accuracy" in alarm
    assert browser.evaluate("document.querySelectorAll('svg.spark').length") == 3
    hrefs = browser.evaluate("[...document.querySelectorAll('a')].map(a => a.href)")
    local = {h.split("#")[0] for h in hrefs if h.startswith(served)}
    assert {served + "asv/index.html"} < local and any("-vs-" in h for h in local)
    for url in sorted(local):
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.status == 200, url


def test_report_and_its_comparison_render_offline(browser, served, site, tmp_path):
    browser.open(served)
    report, compare, _ = browser.evaluate(
        "[...document.querySelectorAll('p.links a')].map(a => a.getAttribute('href'))")
    check(browser, served, report, "site-report", "document.readyState === 'complete'",
          tmp_path)
    assert browser.evaluate("document.querySelectorAll('svg').length") >= 5
    check(browser, served, compare, "site-compare", "document.readyState === 'complete'",
          tmp_path)
    assert browser.evaluate("[...document.querySelectorAll('h2')].some(h => "
                            "h.textContent === 'Comparison')")


def test_asv_grid_draws_every_benchmark_from_local_scripts(browser, served, tmp_path):
    t0 = time.perf_counter()
    load = check(browser, served, "asv/index.html", "site-asv-grid", GRID_READY, tmp_path)
    assert any("/asv/vendor/jquery@3.3.1/" in u for u in load.requests)
    assert browser.evaluate("document.querySelectorAll('.benchmark-plot canvas').length") >= 4
    assert time.perf_counter() - t0 < 30


def test_asv_graph_from_the_landing_page_has_points(browser, served, tmp_path):
    browser.open(served)
    graph = browser.evaluate("[...document.querySelectorAll('a')].find(a => "
                             "a.textContent === 'graph').getAttribute('href')")
    check(browser, served, graph, "site-asv-graph", PLOT, tmp_path)
    assert browser.evaluate(POINTS) == 3  # one per commit
    assert "digits-mlp" in browser.evaluate("document.body.innerText")


def test_the_checks_catch_a_page_that_reaches_out(browser, served, site, tmp_path):
    page = site.layout.root / "outside.html"
    page.write_text('<!doctype html><script src="https://code.jquery.com/jquery-3.3.1.min.js">'
                    "</script><p>x</p>")
    load = browser.open(served + "outside.html")
    browser.settle()
    assert "https://code.jquery.com/jquery-3.3.1.min.js" in load.requests
    assert any("ERR_NAME_NOT_RESOLVED" in e for e in load.errors)
