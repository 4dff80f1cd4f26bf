"""The asv suite for real: `asv check`, then the bench job (`python -m trainsmart_bench.bench`,
what `nox -s bench` runs) on the smoke profile in a temporary tree, so results/ stays clean."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from trainsmart_bench.bench.compare import compare_commits
from trainsmart_bench.bench.pipeline import load_config

pytest.importorskip("asv")
pytest.importorskip("torch")

REPO = Path(__file__).resolve().parents[2]
# one worker for the module: its fixture runs the whole bench job, once, for every test here
pytestmark = pytest.mark.xdist_group("bench-asv")
TRAINING = {
    "Accuracy.track_accuracy": "fraction",
    "RMSE.track_rmse": "rating",
    "TrainThroughput.track_train_throughput": "samples/s",
    "InferenceThroughput.track_inference_throughput": "samples/s",
    "TimeToTarget.track_time_to_target": "seconds",
    "StartupTime.track_startup_time": "seconds",
    "CompileTime.track_compile_time": "seconds",
    "PeakHostMemory.track_peak_host_memory": "bytes",
    "PeakDeviceMemory.track_peak_device_memory": "bytes",
}
TUNING = {
    "BestValue.track_best_val": "objective (budget 3 trials)",  # the smoke profile's budget
    "TestValue.track_test_value": "objective (budget 3 trials)",
    "TunerTime.track_tuner_time": "seconds",
    "StudyTime.track_study_time": "seconds",
    "TunerOverhead.track_overhead_per_trial": "seconds",
    "TableStudy.track_table_regret": "objective (budget 50 trials)",
    "TableStudy.track_table_trials_to_target": "trials (budget 50 trials)",
    "TableStudy.track_table_seconds_to_target": "simulated seconds (budget 50 trials)",
}
SERVING = {
    "P90Latency.track_p90_latency": "seconds",
    "OfflineThroughput.track_offline_throughput": "samples/s",
}
EXPECTED = {**{f"bench_training.{k}": u for k, u in TRAINING.items()},
            **{f"bench_tuning.{k}": u for k, u in TUNING.items()},
            **{f"bench_serving.{k}": u for k, u in SERVING.items()},
            "bench_import.Import.timeraw_import_trainsmart_bench": "seconds"}


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True,
                          check=True).stdout.strip()


@pytest.fixture(scope="module")
def head() -> str:
    """The commit the run is recorded for, fixed once (HEAD may move while the tests run)."""
    return _git("rev-parse", "HEAD")


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """A temporary asv.conf.json: the repo's, with results, html and envs under tmp."""
    tmp = tmp_path_factory.mktemp("asv")
    branch = _git("rev-parse", "--abbrev-ref", "HEAD")
    conf = load_config(REPO / "asv.conf.json")
    conf.update(repo=str(REPO), benchmark_dir=str(REPO / "benchmarks"),
                results_dir="results", html_dir="html", env_dir="env",
                branches=[branch if branch != "HEAD" else _git("rev-parse", "HEAD")])
    (tmp / "asv.conf.json").write_text(json.dumps(conf, indent=2))
    env = {**os.environ, "HOME": str(tmp / "home"),  # asv keeps ~/.asv-machine.json
           "TRAINSMART_DATA_DIR": str(tmp / "data"), "TF_CPP_MIN_LOG_LEVEL": "2"}
    (tmp / "home").mkdir()
    return tmp, env


def test_asv_check(tree):
    tmp, env = tree
    out = subprocess.run([sys.executable, "-m", "asv", "check", "-E", "existing:same",
                          "--config", str(tmp / "asv.conf.json")],
                         cwd=tmp, env={**env, "TRAINSMART_BENCH_PROFILE": "quick"},
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "No problems found" in out.stdout


@pytest.fixture(scope="module")
def bench_run(tree, head):
    tmp, env = tree
    cmd = [sys.executable, "-m", "trainsmart_bench.bench", "--profile", "smoke", "--commit", head,
           "--config", str(tmp / "asv.conf.json"), "--machine", "testbox", "--compare", "none",
           "--offline"]  # nothing downloaded: digits is embedded, the npm cache is empty
    out = subprocess.run(cmd, cwd=tmp, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-5000:] + out.stderr[-3000:]
    return tmp, out.stdout


def test_results_hold_every_metric_with_its_unit(bench_run, head):
    tmp, stdout = bench_run
    units = json.loads((tmp / "results" / "benchmarks.json").read_text())
    assert {k: units[k]["unit"] for k in EXPECTED} == EXPECTED
    assert units["bench_training.Accuracy.track_accuracy"]["param_names"] == [
        "task", "backend", "device", "mode"]
    (path,) = (tmp / "results" / "testbox").glob(f"{head[:8]}-existing-*")
    results = json.loads(path.read_text())
    assert results["requirements"] == {}  # the current environment, no matrix entry
    got = {k: v[0] for k, v in results["results"].items()}
    assert set(EXPECTED) <= set(got)
    torch_acc, sklearn_acc = got["bench_training.Accuracy.track_accuracy"]
    assert 0.1 < torch_acc <= 1 and 0.8 < sklearn_acc <= 1
    for skipped in ("RMSE.track_rmse", "PeakDeviceMemory.track_peak_device_memory"):
        assert all(math.isnan(v) for v in got[f"bench_training.{skipped}"])  # n/a
    assert all(v > 1e7 for v in got["bench_training.PeakHostMemory.track_peak_host_memory"])
    assert all(v > 0 for v in got["bench_training.TrainThroughput.track_train_throughput"])
    assert 0 < got["bench_import.Import.timeraw_import_trainsmart_bench"][0] < 30
    (best,) = got["bench_tuning.BestValue.track_best_val"]  # synthetic x random, 3 trials
    (study_s,) = got["bench_tuning.StudyTime.track_study_time"]
    assert best >= 0 and study_s > 0
    assert 0 < got["bench_tuning.TunerOverhead.track_overhead_per_trial"][0] < 1
    # the smoke profile serves digits-mlp's torch model (the one trained above), natively
    (p90,) = got["bench_serving.P90Latency.track_p90_latency"]
    (offline,) = got["bench_serving.OfflineThroughput.track_offline_throughput"]
    assert 0 < p90 < 1 and offline > 100
    assert "is scored by accuracy, not rmse" in stdout  # skip reasons are shown
    assert f"results: {tmp / 'results'}/testbox/" in stdout


def test_one_training_run_per_cell(bench_run):
    tmp, _ = bench_run
    records = list((tmp / "records" / "testbox").glob("*/*.json"))
    # <cell>__<identity>.json: one record per cell, however many metrics asv read of it
    assert sorted(r.name.rsplit("__", 1)[0] for r in records) == [
        "digits-mlp__sklearn__cpu__seed0", "digits-mlp__torch__cpu__seed0"]
    rec = json.loads(records[0].read_text())
    assert rec["params"]["epochs"] == 2 and rec["status"] == "ok"
    # the torch model that run kept, served once for both serving metrics, for the report too
    served = [json.loads(p.read_text()) for p in
              (tmp / "records" / "testbox").glob("*/inference/*.json")]
    assert sorted(r["scenario"] for r in served) == ["offline", "single-stream"]
    torch_run = next(json.loads(r.read_text()) for r in records if "__torch__" in r.name)
    assert {r["run_identity"] for r in served} == {torch_run["identity"]}


def test_published_site_lists_the_benchmarks(bench_run):
    tmp, stdout = bench_run
    asv = tmp / "html" / "asv"
    assert (asv / "index.html").is_file()
    index = json.loads((asv / "index.json").read_text())
    assert {k: index["benchmarks"][k]["unit"] for k in EXPECTED} == EXPECTED
    assert "testbox" in index["machines"]
    graphs = list((asv / "graphs").rglob("*.json"))
    assert any("track_accuracy" in str(g) for g in graphs)
    landing = (tmp / "html" / "index.html").read_text()
    assert 'id="testbox"' in landing and 'href="asv/index.html"' in landing
    assert f"html:    {tmp / 'html'}/index.html" in stdout
    # --offline and an empty download cache: the asv pages keep their CDN links, and say so
    assert "links keep their CDN" in stdout and "not in the download cache" in landing


def test_report_of_the_run_records(bench_run, head):
    tmp, stdout = bench_run
    report = tmp / "html" / "reports" / "testbox" / f"{head[:8]}.html"
    assert report.is_file() and "digits-mlp" in report.read_text()
    assert f"report:  {report}" in stdout
    landing = (tmp / "html" / "index.html").read_text()
    assert f'href="reports/testbox/{head[:8]}.html"' in landing


def test_a_commit_compared_with_itself_has_no_regression(bench_run, head):
    tmp, _ = bench_run
    (comparison,) = compare_commits(str(tmp / "results"), head, head, "testbox")
    assert not comparison.regressions
    assert {r.verdict for r in comparison.rows} <= {"same", "n/a", "-"}
