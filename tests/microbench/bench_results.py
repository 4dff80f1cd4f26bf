"""Writing and reading a run record, and building the HTML report over 100 records."""

from __future__ import annotations

import pytest

from tests.report.factory import TASKS, run
from trainsmart_bench.report import build_report
from trainsmart_bench.results import RecordStore


def test_record_write_read(benchmark, tmp_path):
    record = run("mnist-mlp", "torch", 0)  # ten epochs of curve, every metric, a full env
    store = RecordStore(tmp_path)

    def write_read():
        store.write(record)
        return list(store)

    (back,) = benchmark(write_read)
    assert back == record


@pytest.fixture(scope="module")
def hundred_records(tmp_path_factory):
    store = RecordStore(tmp_path_factory.mktemp("runs"))
    for task in TASKS:
        for backend in ("torch", "keras"):
            for seed in range(25):
                store.write(run(task, backend, seed))
    return store.root


def test_report_build_100_records(benchmark, hundred_records):
    result = benchmark(build_report, [hundred_records], now="2024-06-30T12:00:00+00:00")
    assert sum(len(t.rows) for t in result.tables) == 4 and not result.problems
