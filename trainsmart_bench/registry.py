"""One entry per adapter name (backends, tuners, datasets), resolved lazily so that nothing
heavy loads at import time; tuner names with their pruners, and plugin specs."""

from __future__ import annotations

import hashlib
import importlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType, ModuleType
from typing import Any, TypeVar

from trainsmart_bench.errors import ConfigError, MissingDependency


@dataclass(frozen=True)
class Entry:
    """One adapter name: where its class is (``module:attr``, imported only when asked for),
    the pip extra that installs what it needs ("" = the core install), the distributions
    whose versions make its numbers (part of a run's identity; a tuple of alternatives where
    one of several provides the module) and the modules it imports (found, not imported, to
    say what is missing). Built-ins are written here; plugins produce the same entry."""

    name: str
    target: str
    extra: str = ""
    distributions: tuple[str | tuple[str, ...], ...] = ()
    modules: tuple[str, ...] = ()


def _entries(*entries: Entry) -> Mapping[str, Entry]:
    return MappingProxyType({e.name: e for e in entries})


_TF = ("keras", ("tensorflow", "tensorflow-cpu"))
BACKEND_ENTRIES: Mapping[str, Entry] = _entries(
    Entry("torch", "trainsmart_bench.backends.torch:TorchBackend", "torch", ("torch",),
          ("torch",)),
    Entry("keras", "trainsmart_bench.backends.keras_tf:KerasBackend", "tf", _TF,  # = keras-tf
          ("tensorflow", "keras")),
    Entry("keras-tf", "trainsmart_bench.backends.keras_tf:KerasTFBackend", "tf", _TF,
          ("tensorflow", "keras")),
    Entry("keras-jax", "trainsmart_bench.backends.keras_jax:KerasJaxBackend", "jax",
          ("keras", "jax", "jaxlib"), ("jax", "keras")),
    Entry("keras-torch", "trainsmart_bench.backends.keras_torch:KerasTorchBackend",
          "keras-torch", ("keras", "torch"), ("torch", "keras")),
    Entry("sklearn", "trainsmart_bench.backends.sklearn:SklearnBackend", "",
          ("scikit-learn",), ("sklearn",)),
)

TUNER_ENTRIES: Mapping[str, Entry] = _entries(  # samplers; a pruner is named after a "+"
    Entry("random", "trainsmart_bench.tuners.random:RandomTuner"),
    Entry("grid", "trainsmart_bench.tuners.random:GridTuner"),
    Entry("hyperopt-tpe", "trainsmart_bench.tuners.hyperopt:HyperoptTPE", "hyperopt",
          ("hyperopt",), ("hyperopt",)),
    Entry("hyperopt-random", "trainsmart_bench.tuners.hyperopt:HyperoptRandom", "hyperopt",
          ("hyperopt",), ("hyperopt",)),
    Entry("optuna-tpe", "trainsmart_bench.tuners.optuna:OptunaTPE", "optuna", ("optuna",),
          ("optuna",)),
    Entry("optuna-random", "trainsmart_bench.tuners.optuna:OptunaRandom", "optuna",
          ("optuna",), ("optuna",)),
    Entry("optuna-cmaes", "trainsmart_bench.tuners.optuna:OptunaCmaEs", "optuna",
          ("optuna", "cmaes"), ("optuna", "cmaes")),
    Entry("ray-random", "trainsmart_bench.tuners.ray_tune:RayRandom", "ray", ("ray",),
          ("ray",)),
    Entry("ray-optuna", "trainsmart_bench.tuners.ray_tune:RayOptuna", "ray",
          ("ray", "optuna"), ("ray", "optuna")),
    Entry("ray-hyperopt", "trainsmart_bench.tuners.ray_tune:RayHyperopt", "ray",
          ("ray", "hyperopt"), ("ray", "hyperopt")),
)

DATASET_ENTRIES: Mapping[str, Entry] = _entries(
    Entry("mnist", "trainsmart_bench.datasets.mnist:MNIST"),
    Entry("cifar10", "trainsmart_bench.datasets.cifar10:CIFAR10"),
    Entry("imdb", "trainsmart_bench.datasets.imdb:IMDB"),
    Entry("ml-100k", "trainsmart_bench.datasets.movielens:ML100K"),
    Entry("ml-latest-small", "trainsmart_bench.datasets.movielens:MLLatestSmall"),
    Entry("digits", "trainsmart_bench.datasets.digits:Digits", "", ("scikit-learn",),
          ("sklearn",)),
)

def _view(entries: Mapping[str, Entry], field: str) -> Mapping[str, Any]:
    """A read-only view of the entries by the one field a caller wants."""
    return MappingProxyType({n: getattr(e, field) for n, e in entries.items()})


DATASETS: Mapping[str, str] = _view(DATASET_ENTRIES, "target")
BACKENDS: Mapping[str, str] = _view(BACKEND_ENTRIES, "target")
BACKEND_EXTRAS: Mapping[str, str] = _view(BACKEND_ENTRIES, "extra")
BACKEND_DISTRIBUTIONS: Mapping[str, tuple[str | tuple[str, ...], ...]] = _view(
    BACKEND_ENTRIES, "distributions")
TUNERS: Mapping[str, str] = _view(TUNER_ENTRIES, "target")

# The pruners (Optuna) and trial schedulers (Ray Tune) each sampler can be combined with, as
# ``<sampler>+<pruner>``; the plain sampler name prunes nothing.
OPTUNA_PRUNERS = ("median", "sha", "hyperband")
RAY_SCHEDULERS = ("asha",)
TUNER_PRUNERS: Mapping[str, tuple[str, ...]] = {
    "optuna-tpe": OPTUNA_PRUNERS, "optuna-random": OPTUNA_PRUNERS,
    "optuna-cmaes": OPTUNA_PRUNERS, "ray-random": RAY_SCHEDULERS,
    "ray-optuna": RAY_SCHEDULERS, "ray-hyperopt": RAY_SCHEDULERS,
}
# Other spellings accepted on input; records hold the canonical name.
TUNER_ALIASES: Mapping[str, str] = {"ray-asha": "ray-random+asha"}
# What the names meant before pruners were named (records without a "pruner" field): every
# optuna-* tuner carried Optuna's MedianPruner, and ray-asha was random search + ASHA.
LEGACY_TUNERS: Mapping[str, str] = {
    "optuna-tpe": "optuna-tpe+median", "optuna-random": "optuna-random+median",
    "optuna-cmaes": "optuna-cmaes+median", "ray-asha": "ray-random+asha",
}


# Tuners from outside the suite (``tuners.plugins`` loads them): ``path/to/file.py:Class``,
# ``package.module:Class``, an entry point of this group, or a bridge, ``optuna:<sampler path>``
# and ``bayesmark:DIR[:NAME]``. Parsing a name here never imports a plugin.
TUNER_ENTRY_POINTS = "trainsmart_bench.tuners"
TUNER_BRIDGES = ("optuna", "bayesmark")


@lru_cache(maxsize=1)
def tuner_entry_points() -> tuple[str, ...]:
    """Names of the installed entry points in ``TUNER_ENTRY_POINTS`` (metadata only)."""
    from importlib.metadata import entry_points

    return tuple(sorted({ep.name for ep in entry_points(group=TUNER_ENTRY_POINTS)}))


def tuner_names() -> list[str]:
    """Every tuner name: each sampler, then each of its pruned variants; installed plugins."""
    out = []
    for base in sorted(TUNERS):
        out += [base, *(f"{base}+{p}" for p in TUNER_PRUNERS.get(base, ()))]
    return out + [n for n in tuner_entry_points() if n not in TUNERS]


def plugin_kind(spec: str) -> str | None:
    """How a tuner spec (without its ``+pruner``) is found: "optuna" or "bayesmark" (the
    bridges), "path" (a .py file), "module", "entry-point"; None for anything else."""
    prefix, colon, rest = spec.partition(":")
    if colon and prefix in TUNER_BRIDGES and rest:
        return prefix
    where, colon, attr = spec.rpartition(":")
    if colon and where and attr.isidentifier():
        return "path" if where.endswith(".py") or "/" in where else "module"
    return "entry-point" if spec in tuner_entry_points() and spec not in TUNERS else None


def _split_plugin(name: str) -> tuple[str, str | None] | None:
    """(spec, pruner) of a plugin tuner name, or None: a trailing ``+word`` names a pruner."""
    base, plus, pruner = name.rpartition("+")
    if not (plus and re.fullmatch(r"[a-z][a-z0-9_-]*", pruner) and plugin_kind(base)):
        base, pruner = name, ""
    return (base, pruner or None) if plugin_kind(base) else None


def split_tuner(name: str) -> tuple[str, str | None]:
    """(sampler, pruner or None) of a tuner name, its aliases resolved; an unknown name is an
    error that lists the valid ones. A plugin's pruner is checked when its class loads."""
    canonical = TUNER_ALIASES.get(name, name)
    base, plus, pruner = canonical.partition("+")
    if base in TUNERS and (not plus or pruner in TUNER_PRUNERS.get(base, ())):
        return base, pruner or None
    plugin = _split_plugin(canonical)
    if plugin is not None:
        return plugin
    raise UnknownNameError(f"unknown tuner {name!r}; choose one of: {', '.join(tuner_names())}"
                           f" (also: {', '.join(TUNER_ALIASES)}), or a plugin: "
                           f"path/to/file.py:Class, package.module:Class, "
                           f"optuna:optuna.samplers.<Sampler>, bayesmark:DIR[:NAME]")


def canonical_tuner(name: str) -> str:
    base, pruner = split_tuner(name)
    return f"{base}+{pruner}" if pruner else base


def tuner_slug(name: str) -> str:
    """The tuner's part of a study id (a directory name): a built-in's name, or a plugin's
    kind and last path part made file-name safe, with a hash of the whole name."""
    base, pruner = split_tuner(name)
    if base in TUNERS:
        return name
    kind = plugin_kind(base)
    tail = base.split(":", 1)[1] if kind in TUNER_BRIDGES else base
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", tail.rstrip("/").rsplit("/", 1)[-1]).strip("-")
    plus = f"+{pruner}" if pruner else ""
    return f"{kind}-{safe[:40]}-{hashlib.sha256(name.encode()).hexdigest()[:8]}{plus}"


ENTRIES: Mapping[str, Mapping[str, Entry]] = {
    "dataset": DATASET_ENTRIES,
    "backend": BACKEND_ENTRIES,
    "tuner": TUNER_ENTRIES,
}
KINDS: Mapping[str, Mapping[str, str]] = {"dataset": DATASETS, "backend": BACKENDS,
                                          "tuner": TUNERS}


def entry(kind: str, name: str) -> Entry:
    """The entry of a built-in adapter, or an error that lists the names there are."""
    return lookup(dict(sorted(ENTRIES[kind].items())), name, kind)


def missing_modules(kind: str, name: str) -> list[str]:
    """The modules ``name`` imports that are not installed here (found, not imported)."""
    import importlib.util

    return [m for m in entry(kind, name).modules if importlib.util.find_spec(m) is None]


class UnknownNameError(ConfigError, KeyError):
    """A name that is not in a registry; the message lists the valid names."""

    def __str__(self) -> str:  # KeyError quotes its argument; we want a plain sentence
        return str(self.args[0])


T = TypeVar("T")


def lookup(table: Mapping[str, T], name: str, what: str) -> T:
    """``table[name]``, or an error that lists the names there are."""
    try:
        return table[name]
    except KeyError:
        raise UnknownNameError(
            f"unknown {what} {name!r}; choose one of: {', '.join(table)}") from None


def resolve(kind: str, name: str) -> Any:
    """Import and return the object registered as ``name`` under ``kind``."""
    module_name, _, attr = entry(kind, name).target.partition(":")
    return getattr(importlib.import_module(module_name), attr)


def names(kind: str) -> list[str]:
    return tuner_names() if kind == "tuner" else sorted(KINDS[kind])


def install_hint(extra: str) -> str:
    """The pip command that installs an extra ("" = the core package)."""
    return f"pip install 'trainsmart-bench[{extra}]'" if extra else "pip install trainsmart-bench"


def require(module: str, extra: str, what: str = "this feature",
            pip: str | None = None) -> ModuleType:
    """Import ``module``, or raise ``MissingDependency`` naming the extra that installs it.

    Like optuna's ``try_import``: an optional library loads only when something asks for it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        alt = f" (or: pip install {pip})" if pip else ""
        raise MissingDependency(
            f"{what} needs the {module!r} package, which could not be imported ({exc}); "
            f"install it with: {install_hint(extra)}{alt}"
        ) from exc
