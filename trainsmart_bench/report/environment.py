"""What the runs ran on, and whether the runs being compared ran on the same thing.

Reads the ``env`` block of run records (see ``trainsmart_bench.env.environment`` plus the
runner's ``dataset`` and ``framework_version``) and the ``started`` timestamps.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

# Attributes that must agree for a comparison to be fair; the prefix is enough to match.
WATCHED = ("library ", "framework ", "dataset ", "cpu", "cores", "gpu", "python", "commit")


# A run that started while other work kept this share of the cores busy (the half second
# before it) was measured on a shared machine: its clocks are not to be trusted.
BUSY_FRACTION = 0.5
BUSY = "busy when runs started"


@dataclass(frozen=True)
class EnvSummary:
    values: dict[str, Counter[str]]  # attribute -> value -> number of runs
    first: str
    last: str
    runs: int

    def differing(self) -> list[str]:
        """Watched attributes that take more than one value across the runs."""
        return [k for k, v in self.values.items() if len(v) > 1 and k.startswith(WATCHED)]

    def busy_runs(self) -> int:
        """Runs that started on a machine already loaded by other work."""
        return self.values.get("machine load", Counter()).get(BUSY, 0)


def _gpu_names(gpus: Any) -> str:
    if not isinstance(gpus, list) or not gpus:
        return "none"
    names = [str(g.get("name", "?")) if isinstance(g, Mapping) else str(g) for g in gpus]
    counts = Counter(names)
    return ", ".join(f"{n}\u00d7{c}" if c > 1 else n for n, c in sorted(counts.items()))


def _gpu_driver(gpus: Any) -> str | None:
    if not isinstance(gpus, list) or not gpus or not isinstance(gpus[0], Mapping):
        return None
    g = gpus[0]
    return f"driver {g.get('driver', '?')}, CUDA {g.get('cuda_driver', '?')}"


def _attributes(backend: str, env: Mapping[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key in ("python", "platform", "machine", "cpu"):
        if env.get(key) is not None:
            out[key] = str(env[key])
    if env.get("cpu_physical_cores") is not None or env.get("cpu_logical_cores") is not None:
        out["cores"] = (f"{env.get('cpu_physical_cores', '?')} physical / "
                        f"{env.get('cpu_logical_cores', '?')} logical")
    if isinstance(env.get("memory_bytes"), (int, float)):
        out["memory"] = f"{env['memory_bytes'] / 2**30:.1f} GiB"
    if "gpus" in env:
        out["gpu"] = _gpu_names(env["gpus"])
        if (driver := _gpu_driver(env["gpus"])) is not None:
            out["gpu driver"] = driver
    out["commit"] = str(env.get("commit") or "unknown")
    busy = env.get("cpu_busy_before")
    if isinstance(busy, (int, float)):
        out["machine load"] = BUSY if busy >= BUSY_FRACTION else "quiet"
    if env.get("framework_version"):
        out[f"framework {backend}"] = str(env["framework_version"])
    libs = env.get("libraries")
    if isinstance(libs, Mapping):
        out.update({f"library {k}": str(v) for k, v in libs.items()})
    data = env.get("dataset")
    if isinstance(data, Mapping) and data.get("name"):
        out[f"dataset {data['name']} checksum"] = str(data.get("checksum") or "unknown")
    vars_ = env.get("env_vars")
    if isinstance(vars_, Mapping):
        out.update({f"env {k}": str(v) for k, v in vars_.items()})
    return out


def summarize(records: Iterable[Any]) -> EnvSummary:
    """Records are RunRecords (or anything with backend, env and started attributes)."""
    values: dict[str, Counter[str]] = {}
    dates: list[str] = []
    n = 0
    for r in records:
        n += 1
        env = r.env if isinstance(r.env, Mapping) else {}
        for k, v in _attributes(str(r.backend), env).items():
            values.setdefault(k, Counter())[v] += 1
        if isinstance(r.started, str) and r.started:
            dates.append(r.started)
    order = sorted(values, key=lambda k: (k.startswith(("library ", "env ")), k))
    return EnvSummary({k: values[k] for k in order}, min(dates, default=""),
                      max(dates, default=""), n)


def cross_differences(a: EnvSummary, b: EnvSummary) -> list[tuple[str, str, str]]:
    """(attribute, values in a, values in b) for watched attributes that differ between sets."""
    out = []
    for key in sorted(set(a.values) | set(b.values)):
        if not key.startswith(WATCHED):
            continue
        va, vb = set(a.values.get(key, ())), set(b.values.get(key, ()))
        if va != vb:
            out.append((key, ", ".join(sorted(va)) or "\u2014", ", ".join(sorted(vb)) or "\u2014"))
    return out
