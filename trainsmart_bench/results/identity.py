"""What makes two results the same result: an identity, its digest, and what differs.

A run's identity holds everything that determines its numbers: task, profile, the fully
resolved hyperparameters, the dataset checksum, backend and framework versions, execution
settings (device, threads, cores, mode) and the suite's version. Resume reuses a record only
when the digest matches; a study refuses a results folder holding one with other settings.
Both use this module, so "same settings" means one thing everywhere.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

SEED_FIELDS = ("seed", "study_seed")  # what varies between repeats of one configuration


def canonical(fields: Mapping[str, Any]) -> str:
    """A stable text form: sorted keys, JSON types only (tuples become lists)."""
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)


def digest(fields: Mapping[str, Any]) -> str:
    """The identity's digest (sha256 of the canonical form), 16 hex digits."""
    return hashlib.sha256(canonical(fields).encode()).hexdigest()[:16]


def config_digest(fields: Mapping[str, Any]) -> str:
    """The digest without the seed and the protocol's fold index: the same for every repeat
    (seed) and every fold of one configuration."""
    out = {k: v for k, v in fields.items() if k not in SEED_FIELDS}
    if isinstance(out.get("protocol"), Mapping):
        out["protocol"] = {k: v for k, v in out["protocol"].items() if k != "fold"}
    return digest(out)


def _flat(fields: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in fields.items():
        name = f"{prefix}{k}"
        if isinstance(v, Mapping) and v:
            out.update(_flat(v, name + "."))
        else:
            out[name] = v
    return out


def differences(old: Mapping[str, Any], new: Mapping[str, Any], limit: int = 6) -> list[str]:
    """``key: old -> new`` for every field that differs (nested keys dotted), at most
    ``limit`` of them and a count of the rest."""
    a, b = _flat(json.loads(canonical(old))), _flat(json.loads(canonical(new)))
    out = [f"{k}: {a.get(k, '(none)')!s} -> {b.get(k, '(none)')!s}"
           for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
    return out[:limit] + ([f"... and {len(out) - limit} more"] if len(out) > limit else [])
