"""The library side of the asv suite in benchmarks/: profiles, the matrix, one training run
per cell shared by every metric, the bench job, and per-metric regression checks.

The asv modules call ``params``, ``timeout``, ``unit``, ``start_run`` and ``metric_value``;
nothing here imports a framework (training happens in the runner's worker processes).
"""

from __future__ import annotations

from trainsmart_bench.bench.profiles import (
    ENV_PROFILE,
    PROFILES,
    Profile,
    current_profile,
    get_profile,
)
from trainsmart_bench.bench.suite import (
    ENV_RECORDS,
    IMPORT_STATEMENT,
    PARAM_NAMES,
    STARTS,
    TRACKED,
    WHOLE_UNIT_BACKENDS,
    RunFailed,
    metric_value,
    params,
    start_run,
    timeout,
    unit,
    whole_unit_code,
)

__all__ = [
    "ENV_PROFILE",
    "ENV_RECORDS",
    "IMPORT_STATEMENT",
    "PARAM_NAMES",
    "STARTS",
    "PROFILES",
    "TRACKED",
    "Profile",
    "RunFailed",
    "current_profile",
    "get_profile",
    "metric_value",
    "params",
    "start_run",
    "timeout",
    "unit",
    "WHOLE_UNIT_BACKENDS",
    "whole_unit_code",
]
