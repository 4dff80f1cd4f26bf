"""Gathering one training batch from the epoch order, as the backends do (no shuffled copy)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

BATCH = 128
ROWS, SHAPE = 60_000, (28, 28, 1)  # MNIST's training split as the backends get it


@pytest.fixture(scope="module")
def epoch():
    rng = np.random.default_rng(0)
    x = rng.random((ROWS, *SHAPE), dtype=np.float32)
    y = rng.integers(0, 10, ROWS).astype(np.int64)
    order = rng.permutation(ROWS)
    return x, y, [order[i:i + BATCH] for i in range(0, ROWS, BATCH)]


def batches(rows):
    """Each call gathers the next batch of the epoch: realistic cache misses, not one batch."""
    return itertools.cycle(rows).__next__


def test_gather_numpy(benchmark, epoch):
    x, y, rows = epoch
    next_rows = batches(rows)

    def gather():
        b = next_rows()
        return x[b], y[b]

    xb, yb = benchmark(gather)
    assert xb.shape == (BATCH, *SHAPE) and xb.dtype == np.float32 and len(yb) == BATCH


@pytest.mark.parametrize("how", ["index_select", "indexing"])
def test_gather_torch(benchmark, epoch, how):
    torch = pytest.importorskip("torch")
    x, y, rows = epoch
    xs, ys = torch.from_numpy(x), torch.from_numpy(y)
    next_rows = batches([torch.from_numpy(r) for r in rows])

    def index_select():
        b = next_rows()
        return torch.index_select(xs, 0, b), torch.index_select(ys, 0, b)

    def indexing():  # what the torch backend writes: xs[idx[start:end]]
        b = next_rows()
        return xs[b], ys[b]

    xb, yb = benchmark(index_select if how == "index_select" else indexing)
    assert tuple(xb.shape) == (BATCH, *SHAPE) and len(yb) == BATCH
