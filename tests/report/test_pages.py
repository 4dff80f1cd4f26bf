"""The report and the site's landing page: one page shell, and hostile strings stay text.

A task, backend, machine or error text that holds markup is printed escaped exactly once:
parsed back, the page has no script element and no event-handler attribute, and the text
reads as written (escaped twice, it would read ``&lt;script&gt;``).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path

import pytest

from tests.report.factory import not_ok, run
from trainsmart_bench.bench.asvresults import ResultFile
from trainsmart_bench.bench.compare import Row as CompareRow
from trainsmart_bench.bench.compare import Rule
from trainsmart_bench.bench.landing import render_landing
from trainsmart_bench.bench.site import Headline, MachineView, Point
from trainsmart_bench.report import build_report
from trainsmart_bench.results import Status

HOSTILE = "<script>alert(1)</script>\"onmouseover=alert(2) x='&amp;"


class Parsed(HTMLParser):
    """Tags, attributes and text of a page, with character references decoded."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []
        self.feed(page)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += attrs

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def assert_inert(page: str, min_text: int) -> Parsed:
    """No script, no on* attribute; the hostile string is text (and attribute values) as is."""
    parsed = Parsed(page)
    assert "script" not in parsed.tags
    assert not [name for name, _ in parsed.attrs if name.startswith("on")]
    assert "".join(parsed.text).count(HOSTILE) >= min_text
    assert "&amp;lt;" not in page and "&amp;#34;" not in page  # escaped once, not twice
    assert "<script" not in page.lower() and '"onmouseover' not in page
    return parsed


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory) -> str:
    root = tmp_path_factory.mktemp("hostile")
    records = []
    for seed in range(3):
        ok = run("mnist-mlp", "torch", seed)
        records.append(ok.__class__(**{**ok.__dict__, "task": HOSTILE, "backend": HOSTILE}))
        records.append(not_ok("mnist-mlp", "keras", seed, Status.FAILED,
                              f"{HOSTILE}\nTraceback: {HOSTILE}"))
    failed = not_ok("mnist-mlp", "torch", 9, Status.FAILED, HOSTILE, device="cpu")
    records.append(failed.__class__(**{**failed.__dict__, "task": HOSTILE, "backend": HOSTILE}))
    for i, rec in enumerate(records):
        (root / f"{i}.json").write_text(json.dumps(rec.to_dict()))
    return build_report([root], baseline=HOSTILE, title=HOSTILE).html


def test_hostile_names_and_errors_stay_text_in_the_report(hostile_report):
    parsed = assert_inert(hostile_report, min_text=8)
    text = "".join(parsed.text)
    assert f"{HOSTILE} \u00b7 cpu" in text  # a chart's label (SVG text), escaped by Markup
    assert f"{HOSTILE}: quality vs time to target" in text  # an SVG <title>
    assert ("aria-label", f"{HOSTILE}: quality vs time to target") in parsed.attrs
    assert f"Traceback: {HOSTILE}" in text  # the full error, in <details>


def landing_view() -> MachineView:
    latest = ResultFile(Path("x.json"), HOSTILE, "c" * 40, "env", 0)
    trend = (Point("a" * 8, 0.9), Point(HOSTILE, None), Point("b" * 8, 0.8))
    headline = Headline(HOSTILE, "accuracy", HOSTILE, "fraction", "max", HOSTILE, trend)
    row = CompareRow(f"bench.{HOSTILE}", (f"'{HOSTILE}'",), "fraction", 0.9, 0.8,
                     Rule("quality", "max", 0.005, False, True), "REGRESSION")
    return MachineView(HOSTILE, HOSTILE, latest, "d" * 40, (headline,), (row,), HOSTILE, None,
                       HOSTILE)


def test_hostile_names_stay_text_on_the_landing_page():
    page = render_landing([landing_view()], HOSTILE, notes=[HOSTILE],
                          commit_url=f"https://example.org/{HOSTILE}/")
    parsed = assert_inert(page, min_text=6)
    hrefs = [v for k, v in parsed.attrs if k == "href"]
    assert f"#{HOSTILE}" in hrefs and HOSTILE in hrefs  # the report link, as given
    assert ("id", HOSTILE) in parsed.attrs
    assert f"{HOSTILE[:8]}: failed" in "".join(parsed.text)  # a sparkline's tooltip


def _shell(page: str) -> tuple[str, str]:
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', page)
    style = re.search(r"<style>(.*?)</style>", page, re.S)
    assert csp and style
    return csp[1], style[1]


def test_report_and_landing_page_share_one_shell(hostile_report):
    landing = render_landing([landing_view()], "now")
    shared = resources.files("trainsmart_bench.pages").joinpath("templates/shell.css")
    csp, css = _shell(hostile_report)
    assert (csp, css) == _shell(landing)
    assert csp == "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    assert css.strip() == shared.read_text(encoding="utf-8").strip()
    for page in (hostile_report, landing):
        assert page.startswith("<!DOCTYPE html>\n<html lang=\"en\">")
        assert page.count("Content-Security-Policy") == 1
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", page.replace(
            "https://example.org/", ""))  # nothing loaded from elsewhere


def test_jinja2_loads_with_the_first_page_only():
    code = ("import sys, trainsmart_bench, trainsmart_bench.report, "
            "trainsmart_bench.bench.landing; print('jinja2' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
