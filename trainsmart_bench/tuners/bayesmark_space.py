"""Our ``SearchSpace`` as Bayesmark's ``api_config``, and Bayesmark suggestions back.

``api_config`` maps each parameter to ``{"type": real|int|bool|cat, "space": linear|log,
"range": (low, high)}`` or, for a fixed set of values, ``{"type": ..., "values": [...]}``:

* ``Float(low, high, log)`` -> ``real`` on ``log`` or ``linear`` over ``range``;
* ``Int(low, high, log)`` -> ``int`` likewise (``high`` inclusive in both);
* ``Categorical`` of ``False`` and ``True`` -> ``bool``; of ints only -> ``int`` with those
  ``values``, of numbers -> ``real`` with ``values`` (Bayesmark's way to say "one of these
  numbers", and what its optimizers round to); anything else -> ``cat`` with string labels
  (``str`` of each choice, ``repr`` where two would read alike).

Back: numpy scalars become Python ones, an integral float of an ``int`` parameter an ``int``,
a label its choice, and a float a hair outside its range (``exp(log(high))``) is clipped. Any
other value is left as the optimizer said, so the study's validation records it as an invalid
suggestion. ``logit`` is never produced: our ``Float`` has no logit scale.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trainsmart_bench.space import Categorical, Float, Int, SearchSpace
from trainsmart_bench.tuners.base import clip_round_off


def _labels(choices: tuple[Any, ...]) -> list[str]:
    labels = [str(c) for c in choices]
    if len(set(labels)) < len(labels):
        labels = [repr(c) for c in choices]
    return labels


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _categorical(p: Categorical) -> dict[str, Any]:
    c = p.choices
    if set(c) == {False, True} and all(isinstance(v, bool) for v in c):
        return {"type": "bool"}
    if all(_is_number(v) for v in c):
        kind = "int" if all(isinstance(v, int) for v in c) else "real"
        return {"type": kind, "space": "linear", "values": sorted(c)}
    return {"type": "cat", "values": _labels(c)}


def api_config(space: SearchSpace) -> dict[str, dict[str, Any]]:
    """Bayesmark's ``api_config`` of ``space`` (fresh dicts: an optimizer may keep them)."""
    out: dict[str, dict[str, Any]] = {}
    for name, p in space.params.items():
        if isinstance(p, Categorical):
            out[name] = _categorical(p)
        else:
            out[name] = {"type": "real" if isinstance(p, Float) else "int",
                         "space": "log" if p.log else "linear",
                         "range": (p.low, p.high)}
    return out


def _plain(v: Any) -> Any:
    return v.item() if hasattr(v, "item") and not isinstance(v, (str, bytes)) else v


def from_suggestion(space: SearchSpace, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Our config of a Bayesmark suggestion (missing or extra keys left for validation)."""
    out: dict[str, Any] = {}
    order = [*(k for k in space.params if k in raw), *(k for k in raw if k not in space.params)]
    for name in order:  # the space's order, as every tuner gives it
        p, v = space.params.get(name), _plain(raw[name])
        if isinstance(p, Categorical) and _categorical(p)["type"] == "cat":
            v = dict(zip(_labels(p.choices), p.choices)).get(v, v)
        elif isinstance(p, Categorical) and _categorical(p)["type"] == "bool":
            v = bool(v) if v in (0, 1) else v
        elif isinstance(p, (Int, Categorical)) and isinstance(v, float) and v.is_integer():
            v = int(v) if isinstance(p, Int) or any(c == v and isinstance(c, int)
                                                    for c in p.choices) else v
        elif isinstance(p, Float) and _is_number(v):
            v = clip_round_off(p, float(v))
        out[name] = v
    return out


def to_suggestion(space: SearchSpace, config: Mapping[str, Any]) -> dict[str, Any]:
    """The Bayesmark form of one of our configs (a recorded trial, replayed on resume)."""
    out: dict[str, Any] = {}
    for name, v in config.items():
        p = space.params.get(name)
        if isinstance(p, Categorical) and _categorical(p)["type"] == "cat":
            v = dict(zip(p.choices, _labels(p.choices))).get(v, v)
        out[name] = v
    return out
