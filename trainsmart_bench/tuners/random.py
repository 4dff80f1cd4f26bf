"""Dependency-free references: random search (numpy) and a shuffled, refining grid.

Both ignore observed values, so a failed trial changes nothing. Each suggestion is a pure
function of (seed, trial index), which makes a resumed study propose exactly what an
uninterrupted one would have: ``restore`` only advances the index.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from trainsmart_bench.space import Direction, SearchSpace
from trainsmart_bench.tuners.base import Config, Tuner, config_key


class RandomTuner(Tuner):
    """Independent draws from ``SearchSpace.sample`` (log-uniform where a parameter says log)."""

    name: ClassVar[str] = "random"
    primary_import: ClassVar[str] = "numpy"

    def __init__(self, space: SearchSpace, direction: Direction | str, seed: int = 0,
                 max_epochs: int | None = None, pruner: str | None = None) -> None:
        super().__init__(space, direction, seed, max_epochs, pruner)
        self._index = 0

    def _draw(self, index: int) -> Config:
        return self.space.sample(np.random.default_rng([self.seed, index]))

    def _propose(self) -> tuple[Config, Any]:
        config = self.cast(self._draw(self._index))
        self._index += 1
        return config, None

    def observe(self, configs: Sequence[Mapping[str, Any]],
                values: Sequence[float | None]) -> None:
        for config in configs:
            if self._pop(config) is None:  # observed without being suggested: skip its draw
                self._index += 1

    def restore(self, config, value, curve=(), pruned=False) -> None:
        self._index += 1


class GridTuner(Tuner):
    """Every point of ``SearchSpace.grid(k)`` in a seeded random order, k = 3, 5, 9, 17, ...

    When a grid is used up the next, finer one follows (its points that were already tried are
    left out), so any budget gets distinct configs while the space has them; once a finer grid
    would exceed ``max_grid_size`` points, the finest grid is cycled again.
    """

    name: ClassVar[str] = "grid"
    primary_import: ClassVar[str] = "numpy"
    max_grid_size: ClassVar[int] = 20_000

    def __init__(self, space: SearchSpace, direction: Direction | str, seed: int = 0,
                 max_epochs: int | None = None, pruner: str | None = None) -> None:
        super().__init__(space, direction, seed, max_epochs, pruner)
        self._rng = np.random.default_rng(seed)
        self._points = 3
        self._seen: set[tuple] = set()
        self._queue: list[Config] = []
        self._index = 0

    def _grid_size(self, points: int) -> int:
        return int(np.prod([len(p.grid(points)) for p in self.space.params.values()]))

    def _refill(self) -> None:
        while not self._queue:
            grid = [self.cast(c) for c in self.space.grid(self._points)]
            fresh = [c for c in grid if config_key(c) not in self._seen]
            finer = 2 * self._points - 1
            can_refine = self._grid_size(finer) <= self.max_grid_size
            if not fresh and not can_refine:
                self._seen.clear()  # every point of the finest grid was tried: start over
                fresh = grid
            self._queue = [fresh[i] for i in self._rng.permutation(len(fresh))]
            self._seen.update(config_key(c) for c in fresh)
            if can_refine:
                self._points = finer

    def _next(self) -> Config:
        self._refill()
        self._index += 1
        return self._queue.pop(0)

    def _propose(self) -> tuple[Config, Any]:
        return self._next(), None

    def observe(self, configs: Sequence[Mapping[str, Any]],
                values: Sequence[float | None]) -> None:
        for config in configs:
            if self._pop(config) is None:
                self._next()

    def restore(self, config, value, curve=(), pruned=False) -> None:
        self._next()  # replays the same sequence, so the grid continues where it stopped
