"""The environment record: software versions, hardware, the suite's commit. No framework import."""

from __future__ import annotations

import functools
import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

LIBRARIES = (
    "trainsmart-bench", "numpy", "scikit-learn", "torch", "tensorflow", "tensorflow-cpu",
    "keras", "jax", "hyperopt", "optuna", "ray", "asv",
)


def package_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def gpus() -> list[dict[str, Any]]:
    """NVIDIA GPUs through NVML (nvidia-ml-py), if it and a driver are present."""
    try:
        import pynvml  # type: ignore[import-not-found]
    except ImportError:
        return []
    try:
        pynvml.nvmlInit()
    except Exception:  # noqa: BLE001 - no driver: no GPU to report
        return []
    try:
        driver = pynvml.nvmlSystemGetDriverVersion()
        cuda = pynvml.nvmlSystemGetCudaDriverVersion()
        out = []
        for i in range(pynvml.nvmlDeviceGetCount()):
            h = pynvml.nvmlDeviceGetHandleByIndex(i)
            out.append({
                "index": i,
                "name": _text(pynvml.nvmlDeviceGetName(h)),
                "memory_bytes": int(pynvml.nvmlDeviceGetMemoryInfo(h).total),
                "driver": _text(driver),
                "cuda_driver": f"{cuda // 1000}.{cuda % 1000 // 10}",
            })
        return out
    finally:
        pynvml.nvmlShutdown()


def _text(v: Any) -> str:
    return v.decode() if isinstance(v, bytes) else str(v)


@functools.lru_cache(maxsize=1)
def git_commit() -> str | None:
    root = Path(__file__).resolve().parent.parent
    if not (root / ".git").exists():
        return None
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
            timeout=5, check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, timeout=5,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return out + ("-dirty" if dirty else "")


def default_threads() -> int:
    """Intra-op threads of a run when none are asked for: the machine's physical cores."""
    import psutil

    return psutil.cpu_count(logical=False) or os.cpu_count() or 1


# Every thread pool a training process may start reads one of these before it starts.
THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
               "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")


def thread_env(threads: int) -> dict[str, str]:
    """The environment variables that give a child process ``threads`` threads per pool.

    Set before the child starts, so OpenMP, MKL, OpenBLAS and TensorFlow size their pools
    from them; the backend then also sets its framework's own count (``Backend.setup``)."""
    n = str(int(threads))
    return {name: n for name in THREAD_VARS}


def thread_pools() -> dict[str, Any]:
    """The thread pools in effect in this process, as threadpoolctl sees them (and the
    frameworks say), for the record: what a run trained with, not what was asked for."""
    out: dict[str, Any] = {"env": {k: os.environ[k] for k in THREAD_VARS if k in os.environ}}
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        out["pools"] = None
    else:
        out["pools"] = sorted({(p.get("internal_api", "?"), int(p.get("num_threads", 0)))
                               for p in threadpool_info()})
    if sys.modules.get("torch") is not None:  # None: blocked (keras_jax, keras_torch)
        torch = sys.modules["torch"]
        out["torch"] = {"intra": torch.get_num_threads(),
                        "inter": torch.get_num_interop_threads()}
    if sys.modules.get("tensorflow") is not None:
        tf = sys.modules["tensorflow"]
        out["tensorflow"] = {"intra": tf.config.threading.get_intra_op_parallelism_threads(),
                             "inter": tf.config.threading.get_inter_op_parallelism_threads()}
    return out


def environment() -> dict[str, Any]:
    import psutil

    return {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.node(),
        "cpu": cpu_model(),
        "cpu_physical_cores": psutil.cpu_count(logical=False),
        "cpu_logical_cores": psutil.cpu_count(logical=True),
        "memory_bytes": psutil.virtual_memory().total,
        "gpus": gpus(),
        "libraries": {n: v for n in LIBRARIES if (v := package_version(n))},
        "commit": git_commit(),
        "env_vars": {k: os.environ[k] for k in ("OMP_NUM_THREADS", "CUDA_VISIBLE_DEVICES",
                                                "KERAS_BACKEND") if k in os.environ},
    }
