"""Execution: one process runner (spawn, timeout, kill, per-epoch channel), the matrix of
benchmark cells, and the one Ray adapter. Runs, tuning trials and the asv suite all use it."""

from __future__ import annotations

from trainsmart_bench.execution.matrix import Cell, run_cell, run_matrix
from trainsmart_bench.execution.process import DEFAULT_TIMEOUT, run_unit

__all__ = ["DEFAULT_TIMEOUT", "Cell", "run_cell", "run_matrix", "run_unit"]
