"""Tuning studies: summaries used or rebuilt from trials, bands, scores; absent records skip."""

from __future__ import annotations

import json
import re

import pytest

from tests.report.factory import write_results, write_tuning
from trainsmart_bench.report import build_report
from trainsmart_bench.report.model import load
from trainsmart_bench.report.tuning import StudyView, by_time, by_trial, parse, studies
from trainsmart_bench.report.tuning_view import tuning_section


def _view(curve, seconds=None, tuner="r"):
    seconds = seconds or [(float(i + 1), v) for i, v in enumerate(curve)]
    return StudyView("s", "t \u00b7 torch \u00b7 cpu", tuner, "max", tuple(curve), tuple(seconds),
                     0, "finished", {})


def test_bands_over_trials_and_seconds():
    vs = [_view([1, 2, 3]), _view([2, 2, 5]), _view([None, 4])]
    b = by_trial(vs)
    assert b.x == (1.0, 2.0, 3.0)
    assert b.median == (1.5, 2.0, 4.0)  # trial 1 skips the study without a success yet
    assert b.low[2] == pytest.approx(3.5) and b.high[2] == pytest.approx(4.5)
    t = by_time(vs, t_max=3.0, points=3)
    assert t.x == (1.0, 2.0, 3.0) and t.median == (1.5, 2.0, 4.0)
    late = [_view([None, None, 1]), _view([None, None, 2]), _view([None, 3, 3])]
    assert by_trial(late).x == (3.0,)  # shown once half of the studies have a value


@pytest.fixture(scope="module")
def tune_root(tmp_path_factory):
    return write_tuning(tmp_path_factory.mktemp("tune"))


def test_finished_summaries_are_used_and_running_ones_rebuilt(tune_root):
    views, problems = studies(load([tune_root]).tuning)
    assert problems == []
    states = sorted(v.state for v in views)
    assert states.count("finished") == 6 and "running" in states
    running = next(v for v in views if v.state == "running")
    assert len(running.curve) == 10 and running.direction == "max"  # from the task digits-mlp
    assert all(b is None or b >= a for a, b in zip(running.curve, running.curve[1:])
               if a is not None)
    assert {v.not_ok for v in views if v.tuner == "random"} == {1}
    assert {v.group for v in views} == {
        "digits-mlp \u00b7 torch \u00b7 cpu \u00b7 budget 20 trials"}


def test_incomplete_records_become_problems():
    records = [
        {"schema_version": 1, "kind": "trial", "study_id": "a", "_source": "bad-trial.json"},
        {"schema_version": 1, "kind": "study", "_source": "no-id.json"},
        {"schema_version": 1, "kind": "study", "study_id": "lonely", "state": "running",
         "_source": "lonely.json"},
        {"schema_version": 1, "kind": "trial", "study_id": "x", "trial": 0, "tuner": "r",
         "task": "not-a-task", "backend": "torch", "device": "cpu", "study_seed": 0,
         "status": "ok", "config": {}, "value": 1.0, "_source": "unknown-task.json"},
    ]
    summaries, trials, problems = parse(records)
    assert [p.source for p in problems] == ["bad-trial.json", "no-id.json"]
    views, more = studies(records)
    assert views == []
    messages = {p.source: p.message for p in more}
    assert "no trial records" in messages["study lonely"]
    assert "no direction" in messages["study x"]


def test_section_scores_tuners(tune_root):
    html, problems = tuning_section(load([tune_root]).tuning)
    assert problems == []
    assert "1 unfinished study appears in the charts only" in html
    assert html.count("<svg class=\"chart\"") == 3 and "best so far vs seconds" in html
    # every table and chart says the budget its studies had; the by-trials view is labelled
    assert "Scores at a budget of 20 trials per study" in html
    assert "by trials, budget 20 trials" in html and "by epochs, budget 20 trials" in html
    rows = dict(re.findall(r'<tr><th scope="row">([^<]+)</th><td class="num">(\d+)</td>', html))
    assert rows == {"optuna-tpe": "3", "random": "3"}  # the running study is not scored
    assert html.index(">optuna-tpe<") < html.index(">random<")  # better rank listed first


def test_malformed_summary_is_rebuilt_from_its_trials(tmp_path):
    root = write_tuning(tmp_path, studies_per_tuner=1, trials=4, running=False)
    summary = next((root / "tune").glob("*random*/study.json"))
    d = json.loads(summary.read_text())
    d["best_so_far_trials"] = "garbage"
    summary.write_text(json.dumps(d))
    views, problems = studies(load([root]).tuning)
    assert problems == [] and len(views) == 2
    rebuilt = next(v for v in views if v.tuner == "random")
    assert rebuilt.state == "finished" and len(rebuilt.curve) == 4


def test_tuning_in_the_page_and_skipped_without_records(tmp_path):
    page = build_report([write_tuning(write_results(tmp_path / "a", broken=False))]).html
    assert 'id="tuning"' in page and "Tuning studies" in page
    assert tuning_section([]) == ("", [])
    assert 'id="tuning"' not in build_report([write_results(tmp_path / "b", broken=False)]).html

