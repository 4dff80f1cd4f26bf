"""The report's modes section as a person sees it: rendered by headless Chromium (the
DevTools helper in chromium.py), with no console error or request, and a screenshot.

Set TRAINSMART_REPORT_ARTIFACTS=DIR to keep the page and the screenshot after the test.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.report.chromium import CHROMIUM, Chromium
from tests.results.test_modes import matrix
from trainsmart_bench.report import build_report, write_report
from trainsmart_bench.results.store import RecordStore

# one Chromium at a time, in one xdist worker: page-load and render times are asserted
pytestmark = [pytest.mark.xdist_group("chromium"), pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium not found (Debian: apt-get install -y chromium)")]

ROWS = "document.querySelectorAll('#modes table.modes tbody tr').length"
GATES = ("[...document.querySelectorAll('#modes table.modes .badge')]"
         ".map(b => b.textContent).join(',')")
CLIPPED = ("[...document.querySelectorAll('svg text.lbl')].filter(t => t.getBBox().x < 0)"
           ".map(t => t.textContent).join('|')")
LABELS = "document.querySelectorAll('svg text.lbl').length"
WIDTH = "document.querySelector('#modes table.modes').getBoundingClientRect().width"


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("modes")
    store = RecordStore(root / "runs")
    for record in matrix():
        store.write(record)
    path = root / "report.html"
    write_report(path, build_report([root / "runs"], now="2024-06-04T12:00:00+00:00"))
    return path


def test_modes_section_renders(page, tmp_path):
    browser = Chromium(tmp_path / "profile", width=1400, height=1200)
    try:
        load = browser.open(page.as_uri(), "!!document.querySelector('#modes')")
        browser.settle()
        assert load.errors == [] and load.requests == [page.as_uri()]
        assert browser.evaluate("document.querySelector('nav a[href=\"#modes\"]') !== null")
        assert browser.evaluate(ROWS) == 6  # every non-eager (task, backend, mode)
        gates = browser.evaluate(GATES).split(",")
        assert gates.count("pass") == 2 and gates.count("fail") == 2
        assert "skipped" in gates and "n/a" in gates
        assert browser.evaluate("document.querySelectorAll('#modes h3').length") == 1
        assert 0 < browser.evaluate(WIDTH) <= 1400
        assert browser.evaluate(LABELS) > 0
        assert browser.evaluate(CLIPPED) == ""  # every bar label whole ("torch compiled · cpu")
        shot = tmp_path / "modes.png"
        assert browser.screenshot(shot) > 20_000
    finally:
        browser.close()
    keep = os.environ.get("TRAINSMART_REPORT_ARTIFACTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / "modes.png")
        shutil.copy(page, Path(keep) / "modes.html")
