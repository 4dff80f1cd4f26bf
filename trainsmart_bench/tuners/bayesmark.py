"""Bayesmark optimizers as they are: ``--tuner bayesmark:DIR[:NAME]``.

A Bayesmark optimizer folder holds ``optimizer.py`` (an ``AbstractOptimizer`` subclass with
``suggest(n_suggestions)`` and ``observe(X, y)``) and optionally ``config.json`` mapping names
to ``[file, kwargs]``. ``NAME`` picks an entry of ``config.json`` (or, with none, a file
``NAME.py``); without it the folder's only entry, else ``optimizer.py``. ``bayesmark:builtin:NAME``
is the installed ``bayesmark`` package's own ``builtin_opt`` folder (names from its
``builtin_opt/config.py``, e.g. ``HyperOpt``).

Loading without Bayesmark's harness. The files run unchanged; while one is imported:

* ``bayesmark.abstract_optimizer`` is the installed package's when it imports, else a
  stand-in with the same contract (``api_config``, ``primary_import``, ``get_version``,
  abstract ``suggest``/``observe``);
* ``bayesmark.experiment`` is always a stand-in whose ``experiment_main`` raises: the real
  module is Bayesmark's harness (sklearn problems, xarray, ``load_boston``, which current
  scikit-learn removed), the part our study loop replaces; files call it only under
  ``if __name__ == "__main__"``;
* any other ``bayesmark.*`` module (``np_util``, ``space``) must come from the installed
  package (``pip install bayesmark==0.0.8 --no-deps``); one that fails to import (its
  ``space`` on numpy 2) fails the load with its error.

The stand-ins leave ``sys.modules`` when the import ends. The class is the file's
``opt_wrapper`` (as in Bayesmark's ``builtin_opt``), else its one ``AbstractOptimizer``
subclass, built as Bayesmark's experiment builds it: ``Class(api_config, **kwargs)``.

Seeds: like Bayesmark's experiment, which seeds the global ``random`` and ``numpy.random``
streams before a study, the optimizer sees those streams seeded from the study seed; they are
swapped in around each of its calls, so studies in one process do not share them.

Values: Bayesmark minimizes, so ``observe`` gets the loss (the value, negated for a task that
maximizes); a failed trial is observed as ``inf``, as Bayesmark's experiment does when an
evaluation crashes. Resume replays: a fresh optimizer is asked again (the same seed gives the
same suggestions) and told the recorded values; a recorded config it does not re-suggest is
observed as it is, which an optimizer that only accepts its own suggestions refuses.
"""

from __future__ import annotations

import json
import math
import random
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar

from trainsmart_bench.errors import ConfigError
from trainsmart_bench.space import Direction, SearchSpace
from trainsmart_bench.tuners.base import Config, Tuner, config_key, derived_seed, is_failure
from trainsmart_bench.tuners.bayesmark_space import api_config, from_suggestion, to_suggestion
from trainsmart_bench.tuners.plugin_code import PluginSource, file_digest, import_file

STANDIN = "trainsmart_bench.tuners.bayesmark (stand-in)"


class AbstractOptimizer:
    """The stand-in for ``bayesmark.abstract_optimizer.AbstractOptimizer`` (same contract)."""

    primary_import: str | None = None

    def __init__(self, api_config: Mapping[str, Any], **kwargs: Any) -> None:
        self.api_config = api_config

    @classmethod
    def get_version(cls) -> str:
        from importlib.metadata import version

        return "x.x.x" if cls.primary_import is None else version(cls.primary_import)

    def suggest(self, n_suggestions: int) -> list[dict[str, Any]]:
        raise NotImplementedError

    def observe(self, X: Sequence[Mapping[str, Any]], y: Sequence[float]) -> None:
        raise NotImplementedError


def experiment_main(opt_class: Any, args: Any = None) -> None:
    """The stand-in for Bayesmark's harness entry point."""
    raise RuntimeError("bayesmark's experiment_main is not available here: run this "
                       "optimizer with trainsmart tune --tuner bayesmark:DIR")


def _standin(name: str, **attrs: Any) -> ModuleType:
    module = ModuleType(name, f"Stand-in from {STANDIN}")
    module.__dict__.update(attrs)
    return module


@contextmanager
def bayesmark_imports() -> Iterator[None]:
    """``sys.modules`` while an optimizer file imports (see the module docstring)."""
    added = {}
    try:
        import bayesmark  # noqa: F401 - the installed package, if any
    except ImportError:
        package = _standin("bayesmark")
        package.__path__ = []  # a package with no other submodules
        added["bayesmark"] = package
    try:
        import bayesmark.abstract_optimizer  # noqa: F401
    except ImportError:
        added["bayesmark.abstract_optimizer"] = _standin(
            "bayesmark.abstract_optimizer", AbstractOptimizer=AbstractOptimizer)
    if "bayesmark.experiment" not in sys.modules:
        added["bayesmark.experiment"] = _standin("bayesmark.experiment",
                                                 experiment_main=experiment_main)
    before = {name: sys.modules[name] for name in added if name in sys.modules}
    sys.modules.update(added)
    try:
        yield
    finally:
        for name, module in added.items():
            if sys.modules.get(name) is module:
                del sys.modules[name]
        sys.modules.update(before)


def parse_spec(spec: str) -> tuple[str, str | None]:
    """(DIR, NAME or None) of ``bayesmark:DIR[:NAME]``."""
    rest = spec.partition(":")[2]
    folder, colon, name = rest.rpartition(":")
    if colon and folder and "/" not in name:
        return folder, name
    return rest, None


def _builtin() -> tuple[Path, dict[str, Any]]:
    from trainsmart_bench.tuners.plugin_code import error_tail

    try:
        from bayesmark.builtin_opt.config import CONFIG
    except Exception as exc:
        raise ConfigError(f"bayesmark:builtin needs the bayesmark package (pip install "
                          f"bayesmark==0.0.8 --no-deps):\n{error_tail(exc, 2)}") from exc
    import bayesmark.builtin_opt as pkg

    return Path(pkg.__file__).parent, dict(CONFIG)


def resolve(spec: str) -> tuple[Path, dict[str, Any], list[Path]]:
    """(optimizer file, kwargs, the files that make the optimizer: digest input)."""
    where, name = parse_spec(spec)
    if where == "builtin":
        folder, table = _builtin()
        config = None
    else:
        folder = Path(where).expanduser().resolve()
        if not folder.is_dir():
            raise ConfigError(f"tuner {spec!r}: {where} is not a folder (a Bayesmark optimizer "
                              f"folder holds optimizer.py and optionally config.json)")
        config = folder / "config.json"
        table = json.loads(config.read_text()) if config.is_file() else {}
    if name is None and len(table) == 1:
        name = next(iter(table))
    if name is not None and name in table:
        entry = table[name]
        if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[1], dict)):
            raise ConfigError(f"tuner {spec!r}: config entry {name!r} is not [file, kwargs]")
        file, kwargs = folder / entry[0], dict(entry[1])
    elif name is not None and (folder / f"{name}.py").is_file():
        file, kwargs = folder / f"{name}.py", {}
    elif name is None and (folder / "optimizer.py").is_file():
        file, kwargs = folder / "optimizer.py", {}
    else:
        has = ", ".join(table) or "none"
        raise ConfigError(f"tuner {spec!r}: no optimizer {name or 'optimizer.py'!r} in "
                          f"{folder} (config names: {has})")
    if not file.is_file():
        raise ConfigError(f"tuner {spec!r}: {file} does not exist")
    digest_files = [file, *([config] if config is not None and config.is_file() else [])]
    return file, kwargs, digest_files


def optimizer_class(module: ModuleType, what: str) -> type:
    found = getattr(module, "opt_wrapper", None)
    if found is None:
        bases = [m.AbstractOptimizer for n, m in sys.modules.items()
                 if n == "bayesmark.abstract_optimizer" and hasattr(m, "AbstractOptimizer")]
        bases.append(AbstractOptimizer)
        found = [v for v in vars(module).values() if isinstance(v, type)
                 and v.__module__ == module.__name__ and issubclass(v, tuple(bases))]
        if len(found) != 1:
            raise ConfigError(f"{what}: {module.__file__} defines {len(found)} AbstractOptimizer "
                              f"subclasses; define one, or set opt_wrapper = YourClass")
        found = found[0]
    if not (isinstance(found, type) and callable(getattr(found, "suggest", None))
            and callable(getattr(found, "observe", None))):
        raise ConfigError(f"{what}: {found!r} has no suggest/observe; subclass "
                          f"bayesmark.abstract_optimizer.AbstractOptimizer")
    return found


def describe_folder(spec: str) -> PluginSource:
    file, kwargs, files = resolve(spec)
    return PluginSource(spec, "bayesmark", str(file), file_digest(*files))


def bayesmark_tuner(spec: str) -> type[BayesmarkTuner]:
    """A ``BayesmarkTuner`` class bound to the folder's optimizer (imported here)."""
    file, kwargs, _ = resolve(spec)
    with bayesmark_imports():
        module = import_file(file, f"tuner {spec!r}")
    cls = optimizer_class(module, f"tuner {spec!r}")
    return type("BayesmarkTuner", (BayesmarkTuner,), {
        "name": spec, "optimizer": cls, "kwargs": kwargs,
        "primary_import": getattr(cls, "primary_import", None) or "bayesmark"})


class GlobalStreams:
    """The global ``random`` and ``numpy.random`` state one optimizer sees, seeded once and
    swapped in around each call."""

    def __init__(self, seed: int) -> None:
        import numpy as np

        self._np = np.random.RandomState(derived_seed(seed, 0) % 2**32).get_state()
        self._py = random.Random(derived_seed(seed, 1)).getstate()
        self._saved: list[tuple[Any, Any]] = []

    def __enter__(self) -> GlobalStreams:
        import numpy as np

        self._saved.append((np.random.get_state(), random.getstate()))
        np.random.set_state(self._np)
        random.setstate(self._py)
        return self

    def __exit__(self, *exc: Any) -> None:
        import numpy as np

        self._np, self._py = np.random.get_state(), random.getstate()
        np_state, py_state = self._saved.pop()
        np.random.set_state(np_state)
        random.setstate(py_state)


class BayesmarkTuner(Tuner):
    """A Bayesmark ``AbstractOptimizer`` behind our suggest/observe contract (see above)."""

    optimizer: ClassVar[type] = AbstractOptimizer
    kwargs: ClassVar[dict[str, Any]] = {}

    def __init__(self, space: SearchSpace, direction: Direction | str, seed: int = 0,
                 max_epochs: int | None = None, pruner: str | None = None) -> None:
        super().__init__(space, direction, seed, max_epochs, pruner)
        self.api_config = api_config(space)
        self._streams = GlobalStreams(self.seed)
        with self._streams:
            self._opt = type(self).optimizer(self.api_config, **type(self).kwargs)

    @classmethod
    def library_version(cls) -> str | None:
        get = getattr(cls.optimizer, "get_version", None)
        try:
            return str(get()) if get else super().library_version()
        except Exception:  # noqa: BLE001 - its primary_import is not an installed distribution
            return super().library_version()

    def _ask(self, n: int) -> list[dict[str, Any]]:
        with self._streams:
            raw = self._opt.suggest(n)
        if not (isinstance(raw, list) and len(raw) == n and all(isinstance(r, Mapping)
                                                               for r in raw)):
            raise ConfigError(f"{type(self).name}: suggest({n}) returned {raw!r}, not a list of "
                              f"{n} dicts")
        return raw

    def suggest(self, n: int = 1) -> list[Config]:
        out = []
        for raw in self._ask(n):
            config = from_suggestion(self.space, raw)
            self._register(config, dict(raw))
            out.append(config)
        return out

    def _propose(self) -> tuple[Config, Any]:  # suggest() asks for the whole batch at once
        raise NotImplementedError

    def _tell(self, raws: list[dict[str, Any]], values: Sequence[float | None]) -> None:
        y = [math.inf if is_failure(v) else self.loss(v) for v in values]
        with self._streams:
            self._opt.observe(raws, y)

    def observe(self, configs: Sequence[Mapping[str, Any]],
                values: Sequence[float | None]) -> None:
        raws, told = [], []
        for config, value in zip(configs, values, strict=True):
            entry = self._pop(config)
            if entry is None:
                self.restore(config, value)
            else:
                raws.append(entry[1])
                told.append(value)
        if raws:
            self._tell(raws, told)

    def restore(self, config: Mapping[str, Any], value: float | None,
                curve: Sequence[float] = (), pruned: bool = False) -> None:
        (raw,) = self._ask(1)
        if config_key(from_suggestion(self.space, raw)) != config_key(config):
            raw = to_suggestion(self.space, config)  # not what it proposes now: told as is
        try:
            self._tell([raw], [value])
        except Exception as exc:
            raise ConfigError(f"{type(self).name} cannot resume: replayed, it suggests other "
                              f"configs than the recorded ones and refuses {dict(config)} "
                              f"({type(exc).__name__}: {exc}); rerun with --no-resume") from exc
