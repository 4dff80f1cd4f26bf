"""Benchmark profiles: which tasks, backends, devices and modes a suite run covers, and how long.

A profile is plain data. The asv modules read the active one from ``TRAINSMART_BENCH_PROFILE``
(default ``quick``) when they are imported, so asv's parameter grid is the profile's matrix.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from trainsmart_bench.execution.matrix import Cell
from trainsmart_bench.registry import lookup

ENV_PROFILE = "TRAINSMART_BENCH_PROFILE"
DEFAULT_PROFILE = "quick"
SEED = 0  # asv keeps one value per cell; repeats over seeds are `trainsmart run --seeds`


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    tasks: tuple[str, ...]
    backends: tuple[str, ...]
    devices: tuple[str, ...]
    bench: str  # the regular expression given to `asv run --bench`
    timeout: float  # seconds per training run
    overrides: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # task -> params
    task_profiles: Mapping[str, str] = field(default_factory=dict)  # task -> TaskSpec profile
    # execution modes (trainsmart_bench.mode); one the device or backend lacks is an asv skip
    modes: tuple[str, ...] = ("eager",)
    # tuning (benchmarks/bench_tuning.py): studies of task x tuner on one backend and device
    tuning_tasks: tuple[str, ...] = ("digits-mlp",)
    tuners: tuple[str, ...] = ("random", "hyperopt-tpe", "optuna-tpe")
    tuning_backend: str = "torch"
    budget_trials: int = 8
    overhead_trials: int = 100  # trials of the synthetic objective for the overhead benchmark
    # serving (benchmarks/bench_serving.py): each cell's trained model, served per runtime
    serving_tasks: tuple[str, ...] = ()
    serving_backends: tuple[str, ...] = ("torch", "keras", "sklearn")
    serving_runtimes: tuple[str, ...] = ("native", "compiled", "exported", "onnxruntime")

    def __post_init__(self) -> None:
        object.__setattr__(self, "overrides", MappingProxyType(
            {k: MappingProxyType(dict(v)) for k, v in self.overrides.items()}))
        object.__setattr__(self, "task_profiles", MappingProxyType(dict(self.task_profiles)))

    def cell(self, task: str, backend: str, device: str, mode: str = "eager",
             fold: str | None = None) -> Cell:
        return Cell(task, backend, device, SEED, self.task_profiles.get(task), mode, fold)

    def params(self, task: str) -> dict[str, Any]:
        """Hyperparameter overrides of this profile for ``task`` (e.g. fewer epochs)."""
        return dict(self.overrides.get(task, {}))

    def asv_params(self) -> list[list[str]]:
        return [list(self.tasks), list(self.backends), list(self.devices), list(self.modes)]

    @property
    def tuning_device(self) -> str:
        return self.devices[0]


BACKENDS = ("torch", "keras", "sklearn")
KERAS_BACKENDS = ("keras-jax", "keras-torch")  # keras is keras-tf
# What runs on a CPU with native bfloat16 (elsewhere the bf16 cells are skips, with the reason)
CPU_MODES = ("eager", "compiled", "max-autotune", "eager-bf16", "compiled-bf16")
GPU_MODES = (*CPU_MODES, "eager-fp16", "compiled-fp16")
ALL_TASKS = ("digits-mlp", "mnist-mlp", "mnist-cnn", "cifar10-resnet", "imdb-embed", "imdb-cnn",
             "imdb-lstm", "imdb-transformer", "movielens-mf", "movielens-100k-mf")
# A task parameter "TASK+PROTOCOL" is one cell evaluated under that protocol: every fold runs,
# and each metric is the mean over the folds (bench.suite).
CROSS_VALIDATED = "movielens-mf+kfold:5"

PROFILES: Mapping[str, Profile] = MappingProxyType({p.name: p for p in (
    Profile(
        name="quick",
        description="smoke run, a few minutes on 2 CPU cores: digits and MNIST MLPs, 2-5 epochs",
        tasks=("digits-mlp", "mnist-mlp"),
        backends=BACKENDS,
        devices=("cpu",),
        bench=r"^bench_(import|training)\.",
        timeout=600,
        # the tasks' own quick profiles (5 and 2 epochs), with targets calibrated on them
        task_profiles={"digits-mlp": "quick", "mnist-mlp": "quick"},
    ),
    Profile(
        name="standard",
        description="every CPU-sized task with short schedules in every mode (eager, "
                    "compiled, max-autotune, bf16): a few hours on 2 cores",
        tasks=("digits-mlp", "mnist-mlp", "mnist-cnn", "cifar10-resnet", "imdb-embed",
               "imdb-cnn", "imdb-lstm", "imdb-transformer", "movielens-mf", CROSS_VALIDATED),
        backends=BACKENDS,
        devices=("cpu",),
        bench=r"^bench_(import|training|tuning|overhead|serving)\.",
        modes=CPU_MODES,
        timeout=1800,
        overrides={"mnist-cnn": {"epochs": 3}, "imdb-embed": {"epochs": 5},
                   "imdb-cnn": {"epochs": 2}, "digits-mlp": {"epochs": 10}},
        task_profiles={"cifar10-resnet": "cpu", "imdb-lstm": "cpu", "imdb-transformer": "cpu"},
        serving_tasks=("mnist-mlp", "mnist-cnn", "imdb-embed", "movielens-mf"),
    ),
    Profile(
        name="full",
        description="every task with its full schedule on the GPU, on every backend (Keras on "
                    "TensorFlow, JAX and PyTorch) in every mode (sklearn baselines: n/a)",
        tasks=ALL_TASKS,
        backends=(*BACKENDS, *KERAS_BACKENDS),
        devices=("cuda",),
        bench=r"^bench_",
        modes=GPU_MODES,
        timeout=7200,
        tuning_tasks=("mnist-mlp", "movielens-mf"),
        tuners=("random", "hyperopt-tpe", "optuna-tpe", "optuna-cmaes"),
        budget_trials=20,
        overhead_trials=300,
        serving_tasks=("mnist-mlp", "mnist-cnn", "cifar10-resnet", "imdb-embed",
                       "movielens-mf"),
    ),
    Profile(
        name="smoke",
        description="the tests' profile: digits-mlp on torch and sklearn, 2 epochs; "
                    "3 random trials of the synthetic objective",
        tasks=("digits-mlp",),
        backends=("torch", "sklearn"),
        devices=("cpu",),
        bench=r"^bench_(import|training|tuning|serving)\.",
        timeout=300,
        overrides={"digits-mlp": {"epochs": 2}},
        tuning_tasks=("synthetic",),
        tuners=("random",),
        budget_trials=3,
        overhead_trials=20,
        serving_tasks=("digits-mlp",),
        serving_backends=("torch",),
        serving_runtimes=("native",),
    ),
)})


def get_profile(name: str) -> Profile:
    return lookup(PROFILES, name, "benchmark profile")


def current_profile() -> Profile:
    """The profile named by $TRAINSMART_BENCH_PROFILE (default: quick)."""
    return get_profile(os.environ.get(ENV_PROFILE) or DEFAULT_PROFILE)
