"""trainsmart-bench: honest benchmarks of ML frameworks and hyperparameter tuners.

Importing this package loads numpy and the standard library only; PyTorch, TensorFlow,
Ray, Hyperopt and Optuna load when a backend or tuner of theirs is asked for.
"""

from __future__ import annotations

__version__ = "0.1.0"

from trainsmart_bench.results.records import SCHEMA_VERSION, RunRecord, Status
from trainsmart_bench.space import Categorical, Float, Int, SearchSpace
from trainsmart_bench.tasks import TaskSpec, get_task, task_names

__all__ = [
    "SCHEMA_VERSION",
    "Categorical",
    "Float",
    "Int",
    "RunRecord",
    "SearchSpace",
    "Status",
    "TaskSpec",
    "__version__",
    "get_task",
    "task_names",
]
