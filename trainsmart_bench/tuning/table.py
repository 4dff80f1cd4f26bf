"""A tuning table: real training runs of many configurations, queried by tuners in-process.

Like HPOBench's tabular benchmarks, configurations are trained once, for real, and tuners then
query the recorded results; unlike theirs, a table here is built from the suite's own runs
(``tuning.table_build``: each configuration in its own process, with its own identity) and can
be resumed, extended and spot-checked at any time.

File: gzip-compressed JSON (``.json.gz``), ``schema_version`` 1, ``kind`` ``tuning-table``:

* header: task, backend, device, profile, metric, direction; ``space`` (the parameters a
  configuration is made of), ``fidelity`` (``"epochs"`` where the task's space searches epochs,
  else None) and ``max_epochs``; ``fixed`` (what every run trains with: the most epochs, no early
  stopping); ``design`` (seed) and ``replicates`` (every k-th configuration trained with seeds
  0..s-1); ``identity`` (the run identity every entry shares: dataset checksum, framework
  versions, threads, suite version; params and seed vary per entry); ``sessions`` (when each
  build session ran, on which environment, how many runs);
* ``entries``: one per run: ``index`` (the configuration's place in the design), ``seed``,
  ``config``, ``identity`` (the run's identity digest), ``status``, ``error``, per epoch ``val``
  and ``test`` (the task metric on the validation and test split after that epoch) and
  ``epoch_s`` (prep + train + validation seconds), ``startup_s`` (process start to exit, less
  the epochs and the per-epoch test scoring), ``cpu_busy_before``.

Snapping (the one rule for every tuner): a suggestion is answered by the recorded configuration
nearest to it in the normalized space: each numeric parameter mapped to [0, 1] on its own scale
(log-scaled ones in log space), Euclidean distance; categorical values must match exactly (a
mismatch counts 1 per parameter, so it only decides where no recorded configuration matches
them all). The fidelity parameter (epochs) is not snapped: a trial of e epochs reads the first e
epochs of the recorded curve (every run trains ``max_epochs`` with the same data order, so those
are the epochs a shorter run trains).
"""

from __future__ import annotations

import gzip
import json
import math
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from trainsmart_bench.errors import ConfigError
from trainsmart_bench.results.identity import digest
from trainsmart_bench.space import Categorical, Direction, SearchSpace

SCHEMA_VERSION = 1
KIND = "tuning-table"
TARGET_QUANTILE = 0.05  # time-to-target on a table: the value its best 5% of configs reach


@dataclass
class Table:
    header: dict[str, Any]
    entries: list[dict[str, Any]] = field(default_factory=list)
    path: Path | None = None

    # -- file ---------------------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Table:
        path = Path(path)
        try:
            with gzip.open(path, "rt", encoding="utf-8") as fh:
                data = json.load(fh)
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigError(f"{path}: not a readable tuning table ({exc})") from exc
        if data.get("kind") != KIND or data.get("schema_version") != SCHEMA_VERSION:
            raise ConfigError(f"{path}: kind {data.get('kind')!r}, schema "
                              f"{data.get('schema_version')!r}; expected {KIND!r} schema "
                              f"{SCHEMA_VERSION}")
        entries = data.pop("entries")
        return cls(data, entries, path)

    def task(self) -> Any:
        """The table's task; a user task's code is loaded from the spec its runs recorded (so
        only what runs studies or re-trains calls this: reading a table loads nothing)."""
        from trainsmart_bench.tasks import plugins, resolve_task

        plugin = (self.header.get("identity") or {}).get("task_plugin")
        if plugin and plugins.loaded(self.header["task"]) is None:
            plugins.load(plugin["spec"])
        return resolve_task(self.header["task"])

    def save(self, path: str | os.PathLike[str] | None = None) -> Path:
        """Written atomically (temp file, fsync, rename); gzip without a timestamp."""
        path = Path(path or self.path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb",
                                                           mtime=0) as fh:
                fh.write(json.dumps(self.to_dict(), sort_keys=True,
                                    separators=(",", ":")).encode())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self.path, self._digest = path, None
        return path

    def to_dict(self) -> dict[str, Any]:
        return {**self.header, "entries": self.entries}

    @property
    def digest(self) -> str:
        """The digest (16 hex digits) of the content as loaded or last saved: what studies on
        this table record (worked out once, not per query)."""
        if getattr(self, "_digest", None) is None:
            self._digest = digest(self.to_dict())
        return self._digest

    # -- what the table describes ---------------------------------------------------------------
    @property
    def space(self) -> SearchSpace:
        return SearchSpace.from_dict(self.header["space"])

    @property
    def direction(self) -> Direction:
        return Direction(self.header["direction"])

    @property
    def max_epochs(self) -> int:
        return int(self.header["max_epochs"])

    def primary(self) -> list[dict[str, Any]]:
        """One entry per configuration: its seed-0 run, in design order."""
        return sorted((e for e in self.entries if e["seed"] == 0), key=lambda e: e["index"])

    def replicates(self) -> dict[int, list[dict[str, Any]]]:
        """Configurations trained with more than one seed: index -> ok entries."""
        out: dict[int, list[dict[str, Any]]] = {}
        for e in self.entries:
            if e["status"] == "ok":
                out.setdefault(e["index"], []).append(e)
        return {i: es for i, es in out.items() if len(es) > 1}

    def best(self, entry: Mapping[str, Any], epochs: int | None = None) -> float | None:
        """The best validation value within the first ``epochs`` epochs of a run."""
        vals = [v for v in entry["val"][:epochs] if v is not None and math.isfinite(v)]
        if not vals:
            return None
        return max(vals) if self.direction is Direction.MAXIMIZE else min(vals)

    def best_value(self) -> float:
        """The best validation value any configuration reached: regret is measured from it."""
        vals = [b for e in self.primary() if e["status"] == "ok"
                if (b := self.best(e)) is not None]
        if not vals:
            raise ConfigError(f"{self.path}: the table has no successful run")
        return max(vals) if self.direction is Direction.MAXIMIZE else min(vals)

    def quantile(self, q: float) -> float:
        """The value the best ``q`` of the configurations reach (best over epochs): the k-th
        best value, k = ceil(q * configurations), at least 1."""
        vals = [b for e in self.primary() if e["status"] == "ok"
                if (b := self.best(e)) is not None]
        if not vals:
            raise ConfigError(f"{self.path}: the table has no successful run")
        ordered = sorted(vals, reverse=self.direction is Direction.MAXIMIZE)
        return float(ordered[max(1, math.ceil(q * len(ordered))) - 1])

    # -- snapping ---------------------------------------------------------------------------
    def lookup(self, config: Mapping[str, Any]) -> tuple[dict[str, Any], float]:
        """The recorded configuration nearest to ``config`` and its distance (module doc)."""
        index = self._index()
        x, cats = _coordinates(self.space, [config])
        d2 = ((index.x - x) ** 2).sum(axis=1)
        if index.cats.shape[1]:
            d2 = d2 + (index.cats != cats).sum(axis=1).astype(float)
        i = int(np.argmin(d2))
        return index.entries[i], float(math.sqrt(d2[i]))

    def _index(self) -> _Index:
        cached = getattr(self, "_cache", None)
        if cached is None or cached.size != len(self.entries):
            primary = self.primary()
            if not primary:
                raise ConfigError(f"{self.path}: the table holds no configuration")
            x, cats = _coordinates(self.space, [e["config"] for e in primary])
            cached = _Index(len(self.entries), primary, x, cats)
            self._cache = cached
        return cached


@dataclass
class _Index:
    size: int
    entries: list[dict[str, Any]]
    x: np.ndarray  # normalized numeric coordinates, one row per configuration
    cats: np.ndarray  # categorical values as choice indices


def unit(p: Any, v: Any) -> float:
    """A numeric value on [0, 1] on its parameter's scale."""
    if p.log:
        return (math.log(v) - math.log(p.low)) / (math.log(p.high) - math.log(p.low))
    return (float(v) - p.low) / (p.high - p.low)


def _coordinates(space: SearchSpace, configs: list[Mapping[str, Any]]
                 ) -> tuple[np.ndarray, np.ndarray]:
    nums = [(n, p) for n, p in space.params.items() if not isinstance(p, Categorical)]
    cats = [(n, p) for n, p in space.params.items() if isinstance(p, Categorical)]
    x = np.array([[unit(p, c[n]) for n, p in nums] for c in configs], dtype=float)
    k = np.array([[p.choices.index(c[n]) if c[n] in p.choices else -1 for n, p in cats]
                  for c in configs], dtype=int)
    return x.reshape(len(configs), len(nums)), k.reshape(len(configs), len(cats))


def seed_spread(table: Table) -> dict[str, float | None]:
    """How far runs of one configuration differ between seeds, per value the check compares:
    the median over replicated configurations of (max - min) over their seeds."""
    out: dict[str, float | None] = {}
    reps = table.replicates()
    for what in ("final", "best"):
        ranges = []
        for es in reps.values():
            vals = [e["val"][-1] if what == "final" else table.best(e) for e in es]
            if all(v is not None for v in vals):
                ranges.append(max(vals) - min(vals))
        out[what] = float(np.median(ranges)) if ranges else None
    return out
