"""One training run per benchmark cell, shared by every asv process that reads a metric of it.

asv runs each ``track_*`` method in a fresh process. The first process that needs a cell runs
the training (in a process of its own, through the runner, so its memory is measured apart) and
writes the record to a file; the others read that file. The memo directory lives as long as one
asv run (it is asv's ``setup_cache`` directory), so a new run always trains afresh.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from trainsmart_bench.execution.matrix import Cell, run_cell
from trainsmart_bench.jsonfile import atomic_write_json
from trainsmart_bench.results.records import RunRecord
from trainsmart_bench.results.store import RecordStore

RunFn = Callable[..., RunRecord]


def memo_key(cell: Cell, params: Mapping[str, Any]) -> str:
    """The cell's record key plus a digest of the hyperparameter overrides it ran with."""
    digest = hashlib.sha256(json.dumps(dict(params), sort_keys=True).encode()).hexdigest()
    return f"{cell.key}__{digest[:10]}"


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive lock, so that parallel asv processes do not train the same cell twice."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


class RunMemo:
    """A directory of one JSON record per (cell, overrides); ``export`` also gets every record."""

    def __init__(self, root: str | Path, export: str | Path | None = None,
                 run: RunFn | None = None) -> None:
        self.root = Path(root)
        self.export = RecordStore(export) if export else None
        self._run = run

    def path(self, cell: Cell, params: Mapping[str, Any]) -> Path:
        return self.root / f"{memo_key(cell, params)}.json"

    def record(self, cell: Cell, params: Mapping[str, Any], **run_kwargs: Any) -> RunRecord:
        """The cell's record: read from the memo, or trained now (once) and written to it."""
        path = self.path(cell, params)
        with locked(path.with_suffix(".lock")):
            if path.is_file():
                return RunRecord.from_dict(json.loads(path.read_text()))
            record = (self._run or run_cell)(cell, params=dict(params), **run_kwargs)
            atomic_write_json(path, record.to_dict())
            if self.export is not None:
                self.export.write(record)
            return record
