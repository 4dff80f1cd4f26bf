"""The deployment section from inference records: rows, the accuracy gate's marking, the
highlight rule, intervals, the quick caption, escaping, and problems."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.report.factory import HOSTILE, run, served, write_inference
from trainsmart_bench.report import build_report
from trainsmart_bench.report.deploy_chart import log_ticks
from trainsmart_bench.results import RecordStore


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    root = write_inference(tmp_path_factory.mktemp("served"))
    RecordStore(root / "runs").write(run("mnist-mlp", "torch", 0))
    odd = served("torch", "native", 5, "offline", 32, seconds=1.0).to_dict()
    odd["metrics"]["samples_per_s"] = "fast"
    (root / "inference" / "odd.json").write_text(json.dumps(odd))
    return root, build_report([root], now="2024-06-04T12:00:00+00:00")


def _section(html: str) -> str:
    return re.search(r'<section id="deployment">.*?</section>', html, re.S).group(0)


def _rows(section: str) -> dict[str, str]:
    """Each body row by 'backend runtime' (the backend as the page escapes it)."""
    out = {}
    for tr in re.findall(r"<tr[ >].*?</tr>", section.split("<tbody>", 1)[1], re.S):
        backend, runtime = re.search(r'<th scope="row">(.*?)</th>\s*<td>(\w+)', tr, re.S).groups()
        out[f"{backend} {runtime}"] = tr
    return out


def test_rows_gate_and_highlight(report):
    section = _section(report[1].html)
    rows = _rows(section)
    assert sorted(rows) == ["&lt;img src=x onerror=alert(1)&gt; native", "torch compiled",
                            "torch native", "torch onnxruntime"]
    failed = rows["torch compiled"]
    assert 'class="gate-failed"' in failed and ">FAILED</span>" in failed
    assert "agree on 91.0000%" in failed and "test accuracy 0.8800 (trained 0.9700)" in failed
    assert "best" not in failed  # faster than the rest, but never highlighted
    assert "1.00</span>" in failed  # its p90 (ms) stays shown
    native = rows["torch native"]
    assert ">passed</span>" in native and "classes agree on 100.00%" in native
    # the fastest row that passed: its p90 and its Offline and Server rates
    assert native.count('class="num best"') == 5
    assert re.search(r"2\.\d+ \u2013 2\.\d+", native)  # two seeds: an interval, not n=1
    assert "n=1" in rows["torch compiled"]
    skipped = rows["torch onnxruntime"]
    assert 'class="failed-row"' in skipped and ">skipped</span>" in skipped
    assert "onnxruntime is not installed" in skipped
    assert "SingleStream: VALID" in native and "Offline b32: VALID" in native


def test_caption_chart_nav_and_cards(report):
    html = report[1].html
    section = _section(html)
    assert "Quick LoadGen settings" in section and "not valid in MLPerf" in section
    assert "(2 s minimum duration)" in section and "p99 \u2264 10 ms" in section
    for scenario in ("SingleStream", "Offline", "Server"):
        assert f"<li><b>{scenario}</b>:" in section
    assert "MultiStream</b>" not in section  # no MultiStream record, no sentence for it
    assert "bench-01 \u00b7 AMD EPYC 7B13 \u00b7 2 logical cores" in section
    assert "2 threads per runtime process (torch intra-op 2, inter-op 1)" in section
    chart = re.search(r"<svg class=\"chart\".*?</svg>", section, re.S).group(0)
    assert chart.count("<circle") + chart.count("<rect") + chart.count("<polygon") >= 3
    assert 'class="lbl gate-failed"' in chart and 'fill="#fff"' in chart  # hollow
    assert '<a href="#deployment">deployment</a>' in html
    assert re.search(r'<span class="n">4</span><span class="l">deployments</span>', html)
    assert re.search(r'<span class="n">1</span><span class="l">gate failed</span>', html)


def test_hostile_backend_is_text(report):
    html = report[1].html
    assert "<img" not in html and "onerror=alert(1)&gt;" in html
    assert HOSTILE not in html


def test_unreadable_records_are_problems_and_logs_are_not(report):
    root, result = report
    problems = {Path(p.source).name: p.message for p in result.problems}
    assert len(problems) == 2 and "JSONDecodeError" in problems["broken.json"]
    odd = next(m for name, m in problems.items() if "seed5" in name)
    assert odd == "metric 'samples_per_s' must be a number, found 'fast'"
    assert [t.task for t in result.tables] == ["mnist-mlp"]  # the runs are unaffected
    assert '<p class="meta">13 inference records.' in _section(result.html)  # not odd.json


def test_no_inference_folder_no_section(tmp_path):
    RecordStore(tmp_path / "runs").write(run("mnist-mlp", "torch", 0))
    result = build_report([tmp_path], now="2024-06-04T12:00:00+00:00")
    assert 'id="deployment"' not in result.html and result.problems == []
    assert 'href="#deployment"' not in result.html and "deployments" not in result.html


def test_log_ticks_cover_the_range():
    assert log_ticks(0.012, 0.6) == [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0]
    ticks = log_ticks(0.001, 500.0)
    assert ticks[0] == 0.001 and ticks[-1] == 1000.0 and len(ticks) == 7


def test_a_figure_loadgen_called_invalid_is_marked_and_never_highlighted():
    from trainsmart_bench.report.deploy_view import deploy_section

    records = [served("torch", "native", 0, s, b, seconds=2e-3)
               for s, b in (("single-stream", 1), ("offline", 32))]
    for s, b in (("single-stream", 1), ("offline", 32)):  # faster, but INVALID offline
        r = served("torch", "exported", 0, s, b, seconds=1e-3)
        if s == "offline":
            r.loadgen["validity"] = "INVALID"
        records.append(r)
    rows = _rows(_section(str(deploy_section(records))))
    exported, native = rows["torch exported"], rows["torch native"]
    offline_exported = re.findall(r'<td class="num[^"]*".*?</td>', exported, re.S)[-1]
    assert "best" not in offline_exported and "LoadGen INVALID" in offline_exported
    assert 'title="LoadGen INVALID: not ranked"' in offline_exported
    offline_native = re.findall(r'<td class="num[^"]*".*?</td>', native, re.S)[-1]
    assert 'class="num best"' in offline_native  # the valid one is the fastest shown
    # the SingleStream figures of the exported row were VALID, and faster: highlighted
    assert exported.count('class="num best"') == 3
