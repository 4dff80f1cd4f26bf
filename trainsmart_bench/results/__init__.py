"""Results: typed records and their validator, the record store, statistics, summaries, and
the typed process boundary a record comes through (``results.unit``)."""

from __future__ import annotations

from trainsmart_bench.results.records import (
    METRICS,
    SCHEMA_VERSION,
    Metric,
    RunRecord,
    SchemaError,
    Status,
    metric,
    run_key,
    validate,
)
from trainsmart_bench.results.store import RecordStore

__all__ = ["METRICS", "SCHEMA_VERSION", "Metric", "RecordStore", "RunRecord", "SchemaError",
           "Status", "metric", "run_key", "validate"]
