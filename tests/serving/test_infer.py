"""Serving end to end: models kept by a run, served in their own processes through LoadGen,
records written and reused; bad input refused or recorded, nothing recorded lost."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trainsmart_bench.cli import main
from trainsmart_bench.execution.matrix import Cell, Settings, plan, run_matrix
from trainsmart_bench.results.inference import InferenceRecord, InferenceStore
from trainsmart_bench.results.records import Status
from trainsmart_bench.results.store import RecordStore

pytest.importorskip("torch")
pytest.importorskip("mlperf_loadgen")
pytest.importorskip("onnxruntime")


def kept_runs(results: Path, backends=("torch", "sklearn")):
    settings = Settings(params={"epochs": 2}, threads=1, save_models=str(results / "models"))
    cells = [Cell("digits-mlp", b, "cpu", 0) for b in backends]
    return run_matrix(cells, RecordStore(results), settings), settings, cells


def serve(results: Path, runs, runtimes, scenarios, **kw):
    from trainsmart_bench.serving.matrix import ServeSettings, serve_runs

    settings = ServeSettings(runtimes=tuple(runtimes), scenarios=tuple(scenarios), threads=1,
                             quick_duration_ms=300, search_steps=2, server_latency_ms=50,
                             **kw)
    return serve_runs(runs, settings, InferenceStore(results), results)


def test_a_kept_model_is_served_by_each_runtime_with_loadgen(tmp_path):
    runs, settings, cells = kept_runs(tmp_path)
    torch_run, sk_run = runs
    model = torch_run.model
    assert Path(model["path"]).suffix == ".pt" and model["sha256"] and model["bytes"] > 0
    assert torch_run.identity[:10] in model["path"]  # named by the run's identity
    assert sk_run.model["format"] == "joblib"
    again = plan(cells, RecordStore(tmp_path), settings)  # kept and unchanged: reused
    assert not again.todo
    records = serve(tmp_path, runs, ["native", "onnxruntime", "exported"],
                    ["single-stream", "offline", "server"])
    by = {(r.backend, r.runtime, r.scenario): r for r in records}
    assert len(records) == 18
    skip = by[("sklearn", "exported", "offline")]
    assert skip.status is Status.SKIPPED and "sklearn has no exported runtime" in skip.error
    for (backend, _runtime, _scenario), r in by.items():
        if r.status is Status.SKIPPED:
            continue
        assert r.status is Status.OK, r.error
        assert r.gated and r.gate["agreement"] == 1.0, r.gate
        assert r.gate["trained_test_metric"] == pytest.approx(
            next(x for x in runs if x.backend == backend).value("accuracy"))
        assert r.loadgen["validity"] in ("VALID", "INVALID") and r.loadgen["quick"]
        assert not r.mlperf_valid  # quick settings never count in MLPerf's sense
        assert Path(r.loadgen["log_dir"], "mlperf_log_detail.txt").is_file()
        assert r.identity_fields["model_sha256"] == (
            torch_run if backend == "torch" else sk_run).model["sha256"]
        assert r.metrics["latency_p90"] > 0
    onnx = by[("torch", "onnxruntime", "offline")]
    assert onnx.exporter == "torch.onnx.export"
    assert Path(onnx.env["artifact"]).is_file()  # the exported model, kept beside its logs
    assert Path(onnx.env["artifact"]).stat().st_size == onnx.env["artifact_bytes"]
    assert by[("torch", "native", "single-stream")].batch == 1
    assert len(by[("torch", "native", "server")].loadgen["search"]) == 2
    files = sorted((tmp_path / "inference").glob("*.json"))
    assert len(files) == 18
    assert json.loads(files[0].read_text())["kind"] == "inference"
    # the same request again: every record reused, nothing served
    reused = serve(tmp_path, runs, ["native"], ["single-stream"])
    assert {r.identity for r in reused} <= {r.identity for r in records}
    assert sorted((tmp_path / "inference").glob("*.json")) == files


def test_a_changed_model_file_is_trained_again_or_refused(tmp_path):
    from trainsmart_bench.serving.loaded import verify

    runs, settings, cells = kept_runs(tmp_path, backends=("torch",))
    model = Path(runs[0].model["path"])
    original = model.read_bytes()
    model.write_bytes(original[:100])  # truncated
    with pytest.raises(Exception, match="does not match the digest its run recorded"):
        verify(runs[0].model)
    why = plan(cells, RecordStore(tmp_path), settings).why[cells[0].key]
    assert "does not match its recorded digest" in why
    records = serve(tmp_path, runs, ["native"], ["single-stream"])  # served as recorded: no
    assert records[0].status is Status.FAILED
    assert "truncated, or from another run" in records[0].error
    model.write_bytes(original)
    Path(runs[0].model["test_predictions"]["path"]).unlink()
    with pytest.raises(Exception, match="test predictions .* is missing"):
        verify(runs[0].model)
    fresh = run_matrix(cells, RecordStore(tmp_path), settings)  # trains again, keeps it
    assert verify(fresh[0].model)[0].is_file()


def test_a_unit_that_times_out_is_recorded_and_the_others_go_on(tmp_path):
    runs, _, _ = kept_runs(tmp_path, backends=("torch",))
    records = serve(tmp_path, runs, ["compiled", "native"], ["single-stream"], timeout=0.5)
    assert [(r.runtime, r.status) for r in records] == [("compiled", Status.TIMEOUT),
                                                        ("native", Status.TIMEOUT)]
    assert "timeout" in records[0].error
    again = serve(tmp_path, runs, ["native"], ["single-stream"])  # a timeout is not reused
    assert again[0].status is Status.OK, again[0].error
    kept = [InferenceRecord.from_dict(json.loads(p.read_text()))
            for p in sorted((tmp_path / "inference").glob("*.json"))]
    assert [(r.runtime, r.status) for r in kept] == [("compiled", Status.TIMEOUT),
                                                     ("native", Status.OK)]


def test_the_command_refuses_bad_input_before_anything_trains(tmp_path, capsys):
    out = tmp_path / "runs"
    for args, message in (
            (["--runtime", "tensorrt"], "unknown runtime 'tensorrt'"),
            (["--scenario", "burst"], "unknown scenario 'burst'"),
            (["--batch", "0"], "--batch '0': expected positive whole numbers"),
            (["--server-latency-ms", "-1"], "--server-latency-ms must be a positive")):
        rc = main(["infer", "--task", "digits-mlp", "--backend", "torch",
                   "--results", str(out), *args])
        assert rc == 2 and message in capsys.readouterr().err
    assert not out.exists()


def test_the_command_trains_keeps_and_serves(tmp_path, capsys):
    out = tmp_path / "runs"
    args = ["infer", "--task", "digits-mlp", "--backend", "torch", "--set", "epochs=2",
            "--threads", "1", "--runtime", "native", "--scenario", "single-stream",
            "--results", str(out)]
    assert main([*args, "--format", "json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["runtime"] == "native" and row["gate_passed"] is True
    assert row["single_stream_p90"] > 0 and row["loadgen_single-stream"] in ("VALID", "INVALID")
    assert main(args) == 0  # the table: reused, one block
    text = capsys.readouterr().out
    assert "reused digits-mlp torch native single-stream" in text
    assert "digits-mlp · torch · cpu · native" in text and "gate passed" in text


@pytest.mark.slow
def test_keras_on_tensorflow_is_served_by_all_four_runtimes(tmp_path):
    pytest.importorskip("tensorflow")
    pytest.importorskip("tf2onnx")
    runs, _, _ = kept_runs(tmp_path, backends=("keras-tf",))
    assert Path(runs[0].model["path"]).suffix == ".keras"
    records = serve(tmp_path, runs, ["native", "compiled", "exported", "onnxruntime"],
                    ["single-stream"])
    for r in records:
        assert r.status is Status.OK, r.error
        assert r.gated and r.gate["max_abs_diff"] < 1e-4, r.gate
    assert [r.exporter for r in records] == [None, "jit_compile=True",
                                             "keras model.export (tf_saved_model)",
                                             "keras model.export (onnx)"]
