"""Table studies in the report and in asv: labelled, timed to target, profiled."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from tests.tuning.helpers import synthetic_table
from trainsmart_bench.report import build_report
from trainsmart_bench.tuning.compare import by_workers, compare, run_comparison
from trainsmart_bench.tuning.evaluators import InProcessEvaluator
from trainsmart_bench.tuning.study import run_study


@pytest.fixture(scope="module")
def table_studies(tmp_path_factory):
    store = tmp_path_factory.mktemp("tune")
    table = synthetic_table(30)
    groups = run_comparison(table, ["random", "grid"], 6, 12, store, workers=(1, 3))
    trained = run_study("synthetic", "none", "random", 4, store_dir=store,
                        evaluator=InProcessEvaluator())  # a study that trained, for contrast
    return store, table, groups, trained


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub("<[^>]+>", " ", re.sub("<svg.*?</svg>", "", html,
                                                              flags=re.S)))


def test_the_report_labels_table_studies_apart_from_trained_ones(table_studies):
    store, table, _, _ = table_studies
    text = _text(build_report([store]).html)
    assert f"synthetic · none · cpu · table {table.digest[:8]}" in text
    assert f"table {table.digest[:8]} · W=3" in text
    assert text.count("tuning table") >= 2 and f"Answered from tuning table {table.digest}" in text
    assert "regret ↓" in text and "average rank ↓" in text
    trained_group = re.search(r"synthetic · none · cpu · budget", text)
    assert trained_group  # the trained study is its own group, without a table
    assert "Time to target" in text and "Performance profiles over 1 table(s), budget" in text
    assert re.search(r"Time to target \(validation [^)]*\) within a budget of \d+ trials", text)


def test_time_to_target_and_workers_from_the_summaries(table_studies):
    _, table, groups, _ = table_studies
    target = table.quantile(0.05)
    c = compare(groups[1], target)
    for tuner, t in c.to_target["trials"].items():
        per_study = []
        for s in groups[1]:
            if s["config"]["tuner"] != tuner:
                continue
            hit = [i + 1 for i, b in enumerate(s["best_so_far_trials"])
                   if b is not None and b <= target]
            per_study.append(hit[0] if hit else math.inf)
        assert t.reached == sum(math.isfinite(v) for v in per_study)
        assert t.median == float(np.median(per_study))  # a miss counts as infinite
    checkpoint, rows = by_workers(groups)
    ends = [s["best_so_far_wallclock"][-1][0] for s in groups[3]]
    assert checkpoint == pytest.approx(float(np.median(ends)))
    for tuner in ("random", "grid"):
        one, three = (next(r for r in rows if (r.tuner, r.workers) == (tuner, w)) for w in (1, 3))
        assert three.wallclock < one.wallclock / 2
        assert one.regret_at >= three.regret_at  # by the time W=3 is done, W=1 is behind

def test_asv_table_study_is_one_library_call(monkeypatch, tmp_path):
    from trainsmart_bench.bench import tuning

    path = synthetic_table(20).save(tmp_path / "t.json.gz")
    monkeypatch.setenv(tuning.ENV_TABLE, str(path))
    monkeypatch.setattr(tuning, "TABLE_STUDIES", 3)
    results = tuning.table_comparisons(["random"], tmp_path / "unused.json.gz")
    assert results["random"]["regret"] >= 0 and results["random"]["trials_to_target"] >= 1
    with pytest.raises(NotImplementedError):
        tuning.table_result(results, "grid")
    monkeypatch.setenv(tuning.ENV_TABLE, str(tmp_path / "missing.json.gz"))
    assert "no tuning table" in tuning.table_comparisons(["random"], path)["random"]["skip"]
    monkeypatch.delenv(tuning.ENV_TABLE)  # without the override: the table named
    assert tuning.table_comparisons(["random"], path)["random"]["regret"] >= 0
    from benchmarks.bench_tuning import TABLE  # the committed table asv reads

    assert TABLE.is_file()
