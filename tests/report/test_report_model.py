"""Loading, grouping, best-marking, comparison and environment checks, and the page's escaping."""

from __future__ import annotations

import re

import pytest

from tests.report.factory import ENV, run, write_results
from trainsmart_bench.report import build_report
from trainsmart_bench.report.environment import cross_differences, summarize
from trainsmart_bench.report.model import build_tables, load
from trainsmart_bench.results import RecordStore


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    return write_results(tmp_path_factory.mktemp("results"))


def _table(tables, name):
    return next(t for t in tables if t.task == name)


def _row(table, backend, device="cpu"):
    return next(r for r in table.rows if r.backend == backend and r.device == device)


def test_malformed_inputs_become_problems(results, tmp_path):
    (tmp_path / "list.json").write_text("[1, 2]")
    loaded = load([results, tmp_path / "list.json", tmp_path / "missing"])
    messages = {p.source.rsplit("/", 1)[-1]: p.message for p in loaded.problems}
    assert "JSONDecodeError" in messages["truncated.json"]
    assert "schema_version 0" in messages["old-schema.json"]
    assert "backend" in messages["partial.json"]
    assert "is not one of ok, failed" in messages["odd-status.json"]
    assert "JSON object" in messages["list.json"]
    assert "no such file" in messages["missing"]
    assert len(loaded.runs) == 18  # 12 cpu cells (one timed out) + 6 cuda


def test_tables_group_and_mark_best_by_direction(results):
    tables = build_tables(load([results]).runs, baseline="torch")
    assert [t.task for t in tables] == ["mnist-mlp", "movielens-mf"]
    mnist, ml = _table(tables, "mnist-mlp"), _table(tables, "movielens-mf")
    assert (mnist.metric, mnist.direction) == ("accuracy", "max")
    assert (ml.metric, ml.direction) == ("rmse", "min")
    for table in tables:
        ok = [r for r in table.rows if r.ok]
        for key, pick in (("quality", max if table.direction == "max" else min),
                          ("train_throughput", max), ("startup_time", min)):
            medians = [r.cells[key].summary.median for r in ok]
            best = [r for r in ok if r.cells[key].best]
            assert [r.cells[key].summary.median for r in best] == [pick(medians)]
    keras = _row(mnist, "keras")
    assert keras.cells["train_throughput"].ratio == pytest.approx(0.8, abs=0.05)
    assert _row(mnist, "torch").cells["train_throughput"].ratio is None  # the baseline itself
    assert keras.cells["peak_host_memory"].summary.median == pytest.approx(880.0)  # MiB


def test_failed_skipped_and_partial_cells(results):
    tables = build_tables(load([results]).runs)
    mnist, ml = _table(tables, "mnist-mlp"), _table(tables, "movielens-mf")
    skipped, failed = _row(mnist, "torch", "cuda"), _row(mnist, "keras", "cuda")
    assert not skipped.ok and skipped.statuses == {"skipped": 3}
    assert skipped.reason == "device 'cuda' is not available to torch here"
    assert failed.reason.startswith("RuntimeError: bad kernel <script>")
    partial = _row(ml, "keras")
    assert len(partial.ok) == 2 and partial.statuses["timeout"] == 1


def test_time_to_target_not_reached_is_counted(tmp_path):
    """...and the note says how close the runs that missed came: the best validation value
    of their curves against the target."""
    store = RecordStore(tmp_path)
    missed = []
    for seed in range(3):
        rec = run("mnist-mlp", "torch", seed)
        if seed:  # a target above what these curves reach
            metrics = {**rec.metrics}
            metrics["time_to_target"] = metrics["time_to_target"].__class__(None, "s", "min")
            rec = rec.__class__(**{**rec.__dict__, "metrics": metrics, "reached_target": False,
                                   "target": 0.999})
            missed += [e["val_accuracy"] for e in rec.curve]
        store.write(rec)
    cell = build_tables(load([tmp_path]).runs)[0].rows[0].cells["time_to_target"]
    assert cell.summary.n == 1
    assert cell.note == f"not reached 2/3 (best validation {max(missed):.4g} < target 0.999)"


def test_page_escapes_record_strings(results):
    page = build_report([results]).html
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;" in page  # Jinja2 autoescape
    assert page.count("<svg") >= 8 and page.count("<table") >= 3
    assert "Content-Security-Policy" in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)  # nothing external


def test_compare_flags_regressions_and_environment(tmp_path):
    new = write_results(tmp_path / "new", broken=False)
    old_env = {**ENV, "libraries": {**ENV["libraries"], "keras": "3.2.0"}}
    old = write_results(tmp_path / "old", speed={"keras": 1.3}, env=old_env, broken=False)
    result = build_report([new], compare=[old])
    assert result.regressions and result.regressions >= 2  # keras got slower: train, inference
    page = result.html
    assert "Settings or environment differ" in page and "library keras" in page
    assert "regression" in page and "Mann-Whitney" in page
    same = build_report([new], compare=[new])
    assert same.regressions == 0 and "Environment differs" not in same.html


def test_environment_summary_and_cross_differences():
    a = summarize([run("mnist-mlp", "torch", 0), run("mnist-mlp", "keras", 0)])
    assert a.differing() == []
    assert a.values["cpu"] == {"AMD EPYC 7B13": 2}
    gpu_env = {**ENV, "gpus": [{"name": "NVIDIA H100", "driver": "550", "cuda_driver": "12.4"}]}
    b = summarize([run("mnist-mlp", "torch", 0, env=gpu_env)])
    keys = [k for k, _, _ in cross_differences(a, b)]
    assert "gpu" in keys and "framework keras" in keys
    mixed = summarize([run("mnist-mlp", "torch", 0), run("mnist-mlp", "torch", 1, env=gpu_env)])
    assert "gpu" in mixed.differing()


def test_cli_report_writes_page(results, tmp_path, capsys):
    from trainsmart_bench.cli import main

    out = tmp_path / "r.html"
    assert main(["report", str(results), "-o", str(out), "--baseline", "keras"]) == 0
    text = out.read_text()
    assert "ratios against <b>keras</b>" in text
    assert "problem:" in capsys.readouterr().out


def test_forgiving_with_odd_but_loadable_records(tmp_path):
    import json

    (tmp_path / "empty").mkdir()
    empty = build_report([tmp_path / "empty"])
    assert "No run records found" in empty.html and len(empty.problems) == 1
    d = run("mnist-mlp", "torch", 0).to_dict()
    d.update(task="my-task<b>", env="nonsense", started=5,
             curve=[1, {"epoch": "x"}, {"epoch": 1, "val_accuracy": None}])
    d["metrics"]["accuracy"]["value"] = "high"
    (tmp_path / "odd").mkdir()
    (tmp_path / "odd" / "odd.json").write_text(json.dumps(d))
    result = build_report([tmp_path / "odd"], baseline="nope")
    table = result.tables[0]
    assert table.metric == "accuracy" and table.rows[0].cells["quality"].summary.median is None
    assert not any(c.best for c in table.rows[0].cells.values())  # a lone row is not "best"
    assert "my-task&lt;b&gt;" in result.html and "no ok runs of the baseline" in result.html


def test_runs_started_on_a_busy_machine_are_flagged():
    from trainsmart_bench.report.sections import env_warnings

    quiet = run("mnist-mlp", "torch", 0, env={**ENV, "cpu_busy_before": 0.1})
    busy = run("mnist-mlp", "torch", 1, env={**ENV, "cpu_busy_before": 0.9})
    assert summarize([quiet]).busy_runs() == 0 and env_warnings(summarize([quiet])) == ""
    env = summarize([quiet, busy])
    assert env.busy_runs() == 1
    assert "1 of 2 runs started while other work" in env_warnings(env)
