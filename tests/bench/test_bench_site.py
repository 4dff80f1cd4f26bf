"""The landing page's model and page from synthetic asv results: latest run, best cells, trends,
regressions, report links; the asv index without unrun benchmarks; the bench job's reports."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

from tests.bench.site_files import ACC, MACHINE, TPUT, TTT, make_project
from trainsmart_bench.bench.landing import sparkline
from trainsmart_bench.bench.pipeline import SuiteRun, load_config
from trainsmart_bench.bench.profiles import get_profile
from trainsmart_bench.bench.publish import SiteConfig, build_site, drop_unrun
from trainsmart_bench.bench.site import (
    Headline,
    Point,
    SiteLayout,
    graph_link,
    machine_views,
    profile_of,
)


@pytest.fixture
def project(tmp_path):
    return make_project(tmp_path / "project")


@pytest.fixture
def site(project) -> SiteConfig:
    return SiteConfig.load(project.config)


def test_view_of_the_latest_run_with_its_comparison(project, site):
    (view,) = machine_views(site.results_dir, site.layout)
    assert (view.machine, view.profile) == (MACHINE, "quick")
    assert view.latest.commit == project.commits[-1]
    assert view.previous == project.commits[1]
    assert [(r.benchmark, r.params[1], r.verdict) for r in view.regressions] == [
        (ACC, "'torch'", "REGRESSION")]  # 0.962 -> 0.940: 2.2 points down
    assert view.report is None and view.compare_report is None  # none written yet


def test_headlines_take_the_best_cell_per_metric_with_its_trend(project, site):
    (view,) = machine_views(site.results_dir, site.layout)
    best = {h.metric: h for h in view.headlines}
    assert set(best) == {"accuracy", "train_throughput", "time_to_target"}
    assert best["accuracy"].cell == "sklearn/cpu"  # torch fell below sklearn in the last run
    assert [p.value for p in best["accuracy"].trend] == [0.950, 0.951, 0.951]
    assert best["train_throughput"].cell == "torch/cpu"
    assert best["train_throughput"].latest == 51000.0
    assert best["train_throughput"].previous == 52000.0
    ttt = best["time_to_target"]  # lower is better; sklearn failed in the middle commit
    assert ttt.cell == "sklearn/cpu" and [p.value for p in ttt.trend] == [0.8, None, 0.7]
    assert [p.commit for p in ttt.trend] == project.commits
    assert ttt.graph == graph_link(TTT, ("'digits-mlp'", "'sklearn'", "'cpu'"), MACHINE)


def test_graph_link_uses_asvs_hash_syntax():
    link = graph_link(TPUT, ("'mnist-mlp'", "'torch'", "'cpu'"), "gpu-a-full")
    assert link == ("asv/index.html#bench_training.TrainThroughput.track_train_throughput?"
                    "machine=gpu-a-full&p-task=%27mnist-mlp%27&p-backend=%27torch%27"
                    "&p-device=%27cpu%27")


@pytest.mark.parametrize("machine,profile", [("box-quick", "quick"), ("gpu-r1-full", "full"),
                                             ("laptop", None), ("x-standard", "standard")])
def test_profile_from_the_machine_name(machine, profile):
    assert profile_of(machine) == profile


def test_reports_are_linked_when_written(project, site):
    layout = site.layout
    new, old = project.commits[-1], project.commits[1]
    for page in (layout.report(MACHINE, new), layout.report(MACHINE, new, old)):
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text("<html></html>")
    (view,) = machine_views(site.results_dir, layout)
    assert view.report == f"reports/{MACHINE}/{new[:8]}.html"
    assert view.compare_report == f"reports/{MACHINE}/{new[:8]}-vs-{old[:8]}.html"


def test_landing_page_is_self_contained_and_shows_the_regression(project, site):
    build = build_site(site, vendor=False, now="2024-06-04T12:00:00+00:00")
    page = build.index.read_text()
    assert (build.machines, build.regressions) == (1, 1)
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert "<script" not in page and "http://" not in page
    assert not re.search(r'(src|href)="https?://(?!example\.org/commit/)', page)
    assert 'class="alarm"' in page and "1 regression against" in page
    assert "track_accuracy" in page and "REGRESSION" in page
    assert f'href="https://example.org/commit/{project.commits[-1]}"' in page
    assert "<b>95.10%</b>" in page  # sklearn's accuracy, now the best
    assert page.count('class="spark"') == 3


def test_landing_page_escapes_machine_names(tmp_path):
    history = [{ACC: [0.9, 0.8]}]
    project = make_project(tmp_path / "p", history)
    results = project.root / "results"
    (results / MACHINE).rename(results / '<i>"x&-quick')
    site = SiteConfig.load(project.config)
    page = build_site(site, vendor=False).index.read_text()
    assert "<i>" not in page and "&lt;i&gt;&#34;x&amp;-quick" in page
    assert "First results of this machine" in page


def test_no_results_yet(tmp_path):
    (tmp_path / "asv.conf.json").write_text(json.dumps({"results_dir": "r", "html_dir": "h"}))
    build = build_site(SiteConfig.load(tmp_path / "asv.conf.json"), vendor=False)
    assert build.machines == 0 and "No asv results yet" in build.index.read_text()


def test_sparkline_marks_failures_and_skips_na():
    h = Headline("t", "accuracy", "torch/cpu", "fraction", "max", "g",
                 (Point("a" * 8, 0.9), Point("b" * 8, None), Point("c" * 8, math.nan),
                  Point("d" * 8, 0.95)))
    svg = sparkline(h)
    assert svg.count('class="fail"') == 1 and svg.count("<circle") == 3
    assert "bbbbbbbb: failed" in svg and "dddddddd: 95.00%" in svg
    assert re.search(r'<polyline class="line" points="[\d.]+,[\d.]+ [\d.]+,[\d.]+"', svg)


def test_drop_unrun_leaves_out_benchmarks_without_graphs(tmp_path):
    (tmp_path / "graphs" / "summary").mkdir(parents=True)
    (tmp_path / "graphs" / "summary" / f"{ACC}.json").write_text("[]")
    (tmp_path / "index.json").write_text(json.dumps({"benchmarks": {ACC: {}, TPUT: {}}}))
    assert drop_unrun(tmp_path) == [TPUT]
    assert list(json.loads((tmp_path / "index.json").read_text())["benchmarks"]) == [ACC]


def test_site_config_and_publish_command(project, site):
    assert site.results_dir == project.root / "results"
    assert site.layout == SiteLayout(project.root / "html")
    assert site.commit_url == "https://example.org/commit/"
    cmd = site.publish_command()
    assert cmd[3:] == ["publish", "--config", str(project.config),
                       "--html-dir", str(project.root / "html" / "asv")]


def test_bench_job_writes_a_report_and_a_comparison_when_the_baseline_is_kept(tmp_path):
    repo = Path(__file__).resolve().parents[2]
    config = tmp_path / "asv.conf.json"
    config.write_text((repo / "asv.conf.json").read_text())
    run = SuiteRun(get_profile("quick"), "b" * 40, "box-quick", config, (), load_config(config))
    ((page, cmd),) = run.report_commands("a" * 40)  # no records kept for the baseline
    assert page == tmp_path / "html" / "reports" / "box-quick" / "bbbbbbbb.html"
    assert cmd[3:5] == ["report", str(run.records_dir())] and "--compare" not in cmd
    run.records_dir("a" * 40).mkdir(parents=True)
    (_, plain), (page, cmd) = run.report_commands("a" * 40)
    assert page.name == "bbbbbbbb-vs-aaaaaaaa.html"
    assert cmd[cmd.index("--compare") + 1] == str(run.records_dir("a" * 40))
    assert cmd[cmd.index("-o") + 1] == str(page)
    assert len(run.report_commands(None)) == 1
