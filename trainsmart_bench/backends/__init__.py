"""Framework adapters. Each backend lives in its own module (torch, keras, sklearn) and imports
its framework at that module's top; resolve one by name with ``registry.resolve("backend", name)``.
This package itself imports no framework."""

from __future__ import annotations

from trainsmart_bench.backends.base import Backend, TaskData

__all__ = ["Backend", "TaskData"]
