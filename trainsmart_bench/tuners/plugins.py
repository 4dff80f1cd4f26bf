"""Tuners from outside the suite: a spec names a class, the loader finds, checks and digests it.

Specs (``registry.plugin_kind`` parses them without importing anything):

* ``path/to/file.py:Class`` - the file is imported as a module of its own (its folder on
  ``sys.path`` while it loads, so it can import its neighbours);
* ``package.module:Class`` - imported from ``sys.path`` (an installed package, or
  ``PYTHONPATH``);
* an entry point name in the group ``trainsmart_bench.tuners`` of an installed distribution;
* the bridges ``optuna:<sampler import path>(key=JSON,...)`` (``tuners.optuna``) and
  ``bayesmark:DIR[:NAME]`` (``tuners.bayesmark``).

Loading a plugin runs its code. Only the commands that run studies load one; the digest that
goes into a study's identity (``describe``) reads files and package metadata, never imports.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

from trainsmart_bench.errors import ConfigError
from trainsmart_bench.registry import plugin_kind
from trainsmart_bench.tuners.plugin_code import (  # noqa: F401 - re-exported
    CONTRACT,
    PluginSource,
    _distribution_of,
    _entry_point,
    _plugin_file,
    attribute,
    check_tuner_class,
    distribution_digest,
    error_tail,
    file_digest,
    import_file,
    import_module,
    module_digest,
    module_file,
    on_path,
    parse_call,
    split_top,
)


def describe(spec: str) -> PluginSource:
    """Where a plugin's code is and its digest, without importing it."""
    kind = plugin_kind(spec)
    if kind == "path":
        path = _plugin_file(spec.rpartition(":")[0])
        return PluginSource(spec, kind, str(path), file_digest(path))
    if kind == "module":
        return PluginSource(spec, kind, *module_digest(spec.rpartition(":")[0]))
    if kind == "entry-point":
        ep = _entry_point(spec)
        where, digest = module_digest(ep.module)
        if ep.dist is not None:
            digest = hashlib.sha256(f"{digest}\0{distribution_digest(ep.dist)}".encode())\
                .hexdigest()
        return PluginSource(spec, kind, f"{ep.value} ({where})", digest)
    if kind == "optuna":
        from trainsmart_bench.tuners.optuna import describe_sampler

        return describe_sampler(spec)
    if kind == "bayesmark":
        from trainsmart_bench.tuners.bayesmark import describe_folder

        return describe_folder(spec)
    raise ConfigError(f"{spec!r} is not a tuner plugin spec")


@lru_cache(maxsize=64)
def load_tuner_class(spec: str) -> type:
    """The tuner class a plugin spec (without ``+pruner``) names; a ``ConfigError`` says
    what is wrong (missing file, failed import with its error tail, missing attribute,
    not a tuner)."""
    kind = plugin_kind(spec)
    what = f"tuner plugin {spec!r}"
    if kind == "optuna":
        from trainsmart_bench.tuners.optuna import sampler_tuner

        return sampler_tuner(spec)
    if kind == "bayesmark":
        from trainsmart_bench.tuners.bayesmark import bayesmark_tuner

        return bayesmark_tuner(spec)
    if kind == "entry-point":
        ep = _entry_point(spec)
        try:
            obj = ep.load()
        except Exception as exc:
            raise ConfigError(f"{what}: loading entry point {ep.value} failed:\n"
                              f"{error_tail(exc)}") from exc
        return check_tuner_class(obj, what)
    where, _, attr = spec.rpartition(":")
    if kind == "path":
        module = import_file(_plugin_file(where), what)
    elif kind == "module":
        module = import_module(where, what)
    else:
        raise ConfigError(f"{what} is not a plugin spec")
    return check_tuner_class(attribute(module, attr, what), what)
