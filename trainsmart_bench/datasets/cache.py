"""Where datasets live: ``--data-dir`` > ``TRAINSMART_DATA_DIR`` > the user's cache directory."""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "TRAINSMART_DATA_DIR"


def data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    if explicit:
        return Path(explicit).expanduser().resolve()
    if env := os.environ.get(ENV_VAR):
        return Path(env).expanduser().resolve()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("trainsmart-bench", appauthor=False)) / "datasets"


def shared_datasets_dir() -> Path | None:
    """``../shared/datasets`` beside a checkout (offline copies for tests and CI), if present."""
    if env := os.environ.get("TRAINSMART_SHARED_DATASETS"):
        p = Path(env)
        return p if p.is_dir() else None
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent / "shared" / "datasets"
        if candidate.is_dir():
            return candidate
    return None
