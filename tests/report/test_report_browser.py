"""The report as a person sees it: rendered by headless Chromium, with a screenshot; the
DOM and the deployment section's layout are read over the DevTools pipe (chromium.py).

Set TRAINSMART_REPORT_ARTIFACTS=DIR to keep the page and the screenshot after the test.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.report.chromium import Chromium
from tests.report.factory import ENV, write_inference, write_results, write_tuning
from trainsmart_bench.report import build_report, write_report

CHROMIUM = next((p for p in ("/usr/bin/chromium", shutil.which("chromium") or "",
                             shutil.which("chromium-browser") or "") if p and Path(p).exists()),
                None)
# one Chromium at a time, in one xdist worker: page-load and render times are asserted
pytestmark = [pytest.mark.xdist_group("chromium"), pytest.mark.skipif(
    CHROMIUM is None,
    reason="headless Chromium not found (Debian: apt-get install -y chromium)")]

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--enable-logging=stderr", "--v=0")


def _chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("browser")
    new = write_inference(write_tuning(write_results(root / "new")))
    old_env = {**ENV, "libraries": {**ENV["libraries"], "keras": "3.2.0"}}
    old = write_results(root / "old", speed={"keras": 1.25}, env=old_env, broken=False)
    t0 = time.perf_counter()
    result = build_report([new], compare=[old], now="2024-06-04T12:00:00+00:00")
    build_s = time.perf_counter() - t0
    path = root / "report.html"
    size = write_report(path, result)
    print(f"\nreport: {size:,} bytes, built in {build_s:.3f}s")
    return path


DEPLOY_ROWS = "document.querySelectorAll('#deployment table.deploy tbody tr').length"
FAILED_ROWS = ("[...document.querySelectorAll('#deployment tr.gate-failed')]"
               ".map(tr => tr.querySelectorAll('td.best').length + ':' + "
               "tr.querySelector('td.gate .badge').textContent).join(',')")
SHOWN = ("(() => { const s = document.querySelector('#deployment'); const r = "
         "s.getBoundingClientRect(); return s.checkVisibility() && r.width > 600 && "
         "r.height > 400 && !!s.querySelector('svg.chart').getBoundingClientRect().height; })()")


def test_dom_has_tables_charts_and_escaped_script(page, tmp_path):
    browser = Chromium(tmp_path / "profile", width=1400, height=1000)
    try:
        load = browser.open(page.as_uri(), "!!document.querySelector('#deployment')")
        browser.settle()
        dom = browser.evaluate("document.documentElement.outerHTML")
        assert load.errors == [] and load.requests == [page.as_uri()]
        assert browser.evaluate(SHOWN)  # laid out and visible, its chart drawn
        assert browser.evaluate(DEPLOY_ROWS) == 4  # torch x 3 runtimes, the hostile backend
        assert browser.evaluate(FAILED_ROWS) == "0:FAILED"  # marked, never highlighted
        assert browser.evaluate("document.querySelectorAll('#deployment td.best').length") == 5
    finally:
        browser.close()
    assert dom.count("<table") >= 5 and dom.count("<svg") >= 11
    assert "<script" not in dom.lower() and "<img" not in dom  # the error text stayed text
    assert "&lt;script&gt;alert(\"pwned\")&lt;/script&gt;" in dom
    for heading in ("mnist-mlp", "movielens-mf", "Deployment", "Tuning studies", "Comparison",
                    "Environment", "Problems"):
        assert f">{heading}</h2>" in dom
    assert '<a href="#deployment">deployment</a>' in dom


def test_renders_without_console_errors_and_saves_screenshot(page, tmp_path):
    shot = tmp_path / "report.png"
    t0 = time.perf_counter()
    proc = _chromium(tmp_path / "profile", f"--screenshot={shot}", "--window-size=1400,3000",
                     page.as_uri())
    render_s = time.perf_counter() - t0
    assert proc.returncode == 0, proc.stderr[-2000:]
    console = [ln for ln in proc.stderr.splitlines()
               if re.search(r"CONSOLE|Uncaught|Content.Security.Policy|net::ERR_", ln)]
    assert console == []
    assert shot.is_file() and shot.stat().st_size > 50_000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    print(f"\nscreenshot {shot} in {render_s:.2f}s (chromium start included)")
    keep = os.environ.get("TRAINSMART_REPORT_ARTIFACTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / "report.png")
        shutil.copy(page, Path(keep) / "report.html")
