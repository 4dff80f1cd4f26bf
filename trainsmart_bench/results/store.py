"""A directory of one JSON file per run record, each written once, when its run ends."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

from trainsmart_bench.jsonfile import atomic_write_json
from trainsmart_bench.results.records import RunRecord


class RecordStore:
    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        return self.root / f"{key}.json"

    def has(self, key: str) -> bool:
        return self.path(key).is_file()

    def read(self, key: str) -> RunRecord:
        return RunRecord.from_dict(json.loads(self.path(key).read_text()))

    def write(self, record: RunRecord) -> Path:
        return atomic_write_json(self.path(record.key), record.to_dict())

    def __iter__(self) -> Iterator[RunRecord]:
        for path in sorted(self.root.glob("*.json")):
            d = json.loads(path.read_text())
            if d.get("kind", "run") == "run":
                yield RunRecord.from_dict(d)
