"""A directory of one JSON file per run record, each written once, when its run ends.

A record's file is named by its cell and its identity (``<cell key>__<identity>.json``), so a
run with other settings gets a file of its own and never overwrites another.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

from trainsmart_bench.jsonfile import atomic_write_json
from trainsmart_bench.results.records import RunRecord, SchemaError


class RecordStore:
    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.problems: list[str] = []  # files skipped by the last read, with the reason

    def path(self, record: RunRecord) -> Path:
        suffix = f"__{record.identity[:10]}" if record.identity else ""
        return self.root / f"{record.key}{suffix}.json"

    def write(self, record: RunRecord) -> Path:
        return atomic_write_json(self.path(record), record.to_dict())

    def __iter__(self) -> Iterator[RunRecord]:
        """Every readable run record; unreadable files are skipped and listed in problems."""
        self.problems = []
        for path in sorted(self.root.glob("*.json")):
            try:
                d = json.loads(path.read_text())
                if isinstance(d, dict) and d.get("kind", "run") == "run":
                    yield RunRecord.from_dict(d)
            except (OSError, ValueError, TypeError, KeyError, SchemaError) as exc:
                self.problems.append(f"{path}: {type(exc).__name__}: {exc}")

    def by_identity(self) -> dict[str, RunRecord]:
        return {r.identity: r for r in self}
