"""Resident-memory high-water mark of this process."""

from __future__ import annotations

import sys


def peak_host_memory() -> int:
    """Peak resident set size of the current process, in bytes (ru_maxrss)."""
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)
