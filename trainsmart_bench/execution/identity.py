"""A cell's identity, worked out in the parent before anything trains (no framework import):
the resolved hyperparameters, the dataset checksum, the framework versions installed, the
execution settings and the suite's version. See ``results.identity``."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from trainsmart_bench import __version__
from trainsmart_bench.env import package_version
from trainsmart_bench.registry import BACKEND_DISTRIBUTIONS


def framework_versions(backend: str) -> dict[str, str | None]:
    """Installed versions of the distributions behind ``backend`` (metadata only)."""
    out: dict[str, str | None] = {}
    for dist in BACKEND_DISTRIBUTIONS.get(backend, ()):
        names = (dist,) if isinstance(dist, str) else dist
        found = next(((n, v) for n in names if (v := package_version(n))), (names[0], None))
        out[found[0]] = found[1]
    return out


@lru_cache(maxsize=32)
def dataset_checksum(dataset: str, data_dir: str | None) -> str | None:
    """The checksum of the installed copy (its manifest), or None where it is not installed."""
    from trainsmart_bench.datasets import get_loader
    from trainsmart_bench.errors import DataError

    try:
        manifest = get_loader(dataset, data_dir).manifest()
    except (DataError, KeyError, OSError):
        return None
    return None if manifest is None else manifest.get("checksum")


def run_identity(task: str, profile: str | None, params: Mapping[str, Any], backend: str,
                 device: str, seed: int, *, threads: int, mode: str = "eager",
                 cpus: tuple[int, ...] | None = None, data_dir: str | None = None,
                 protocol: Mapping[str, Any] | None = None,
                 target: float | None = None) -> dict[str, Any]:
    """The fields that determine a run's result (raises ConfigError for a bad config);
    ``target`` pins the validation target instead of the task's current one."""
    from trainsmart_bench.tasks import resolve_task

    spec = resolve_task(task)
    resolved = spec.resolve(profile, **params)
    return {
        "task": task, "profile": profile, "params": dict(resolved.params),
        "target": resolved.target if target is None else float(target),
        "dataset": {"name": spec.dataset, "checksum": dataset_checksum(spec.dataset, data_dir)},
        "backend": backend, "frameworks": framework_versions(backend),
        "device": device, "threads": int(threads), "cpus": list(cpus) if cpus else None,
        "mode": mode, "protocol": dict(protocol) if protocol else None,
        "suite_version": __version__, "seed": int(seed),
        **({"task_plugin": spec.plugin.identity()} if spec.plugin is not None else {}),
    }
