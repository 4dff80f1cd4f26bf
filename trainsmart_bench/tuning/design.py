"""Which configurations a tuning table trains: a space-filling design over a search space.

``design(space, n, seed)`` returns the first ``n`` configurations of one fixed sequence, so a
table extended from 200 to 400 configurations holds the same first 200 it would have held:

1. the 3-point grid of the space (``SearchSpace.grid(3)``: low, middle, high of every numeric
   parameter on its own scale, every categorical choice), in a seeded order, when it has at
   most ``MAX_GRID`` points (the grid tuner's first suggestions are then recorded exactly);
   a larger grid is left out;
2. then a scrambled Sobol sequence (``scipy.stats.qmc.Sobol``, seeded) in the unit cube, one
   dimension per parameter, each mapped through its parameter's scale (``to_value``).

Repeated configurations (a Sobol point that lands on a grid point) are skipped. A table built
without the grid (``trainsmart table build --no-grid``) is the Sobol sequence alone.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from trainsmart_bench.space import Categorical, Float, Param, SearchSpace
from trainsmart_bench.tuners.base import config_key

GRID_POINTS = 3
MAX_GRID = 128


def to_value(p: Param, u: float) -> Any:
    """A point of [0, 1) mapped through the parameter's scale (log where it says log)."""
    u = min(max(float(u), 0.0), 1.0 - 1e-12)
    if isinstance(p, Categorical):
        return p.choices[int(u * len(p.choices))]
    if isinstance(p, Float):
        if p.log:
            return float(math.exp(math.log(p.low) + u * (math.log(p.high) - math.log(p.low))))
        return float(p.low + u * (p.high - p.low))
    if p.log:  # Int: equal mass per unit of log(value), as Int.sample draws
        v = math.exp(math.log(p.low) + u * (math.log(p.high + 1) - math.log(p.low)))
        return int(min(p.high, max(p.low, math.floor(v))))
    return int(min(p.high, p.low + math.floor(u * (p.high - p.low + 1))))


def grid_part(space: SearchSpace, seed: int) -> list[dict[str, Any]]:
    grid = space.grid(GRID_POINTS)
    if len(grid) > MAX_GRID:
        return []
    order = np.random.default_rng([seed, 1]).permutation(len(grid))
    return [grid[i] for i in order]


def sobol_part(space: SearchSpace, n: int, seed: int) -> list[dict[str, Any]]:
    from scipy.stats import qmc

    params = list(space.params.items())
    sampler = qmc.Sobol(d=len(params), scramble=True, seed=np.random.default_rng([seed, 2]))
    with warnings.catch_warnings():  # balance properties want a power of two; any n is fine
        warnings.simplefilter("ignore", UserWarning)
        points = sampler.random(n)
    return [{name: to_value(p, u) for (name, p), u in zip(params, row)} for row in points]


def design(space: SearchSpace, n: int, seed: int = 0, grid: bool = True
           ) -> list[dict[str, Any]]:
    """The first ``n`` distinct configurations of the table's design (see the module);
    ``grid=False`` leaves the grid out (a table too small for it to be a minor part)."""
    out: list[dict[str, Any]] = []
    seen: set[tuple] = set()
    budget = n
    first = grid_part(space, seed) if grid else []
    while len(out) < n:
        out, seen = [], set()
        for c in [*first, *sobol_part(space, budget, seed)]:
            key = config_key(c)
            if key not in seen:
                seen.add(key)
                out.append(space.validate(c))
            if len(out) == n:
                break
        if budget > 64 * n:  # a tiny discrete space cannot give n distinct configurations
            break
        budget *= 2
    return out
