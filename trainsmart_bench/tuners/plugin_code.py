"""What loading a tuner plugin needs, shared by the loader (``tuners.plugins``) and the
bridges (``tuners.optuna``, ``tuners.bayesmark``): where its code is and its digest, importing
a file or module with errors that show their traceback's tail, the contract a class must have,
and the ``name(key=JSON, ...)`` option syntax."""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from importlib import metadata
from importlib.machinery import PathFinder
from pathlib import Path
from typing import Any

from trainsmart_bench.errors import ConfigError
from trainsmart_bench.registry import TUNER_ENTRY_POINTS

# what the study loop calls on a tuner (a class that does not subclass Tuner needs them all)
CONTRACT = ("suggest", "observe", "report", "restore", "trial_id", "library_version",
            "primary_import", "supports_pruning")


@dataclass(frozen=True)
class PluginSource:
    """Where a plugin tuner's code is and a digest of it (part of a study's identity)."""

    spec: str
    kind: str  # path, module, entry-point, optuna, bayesmark
    location: str  # the file, module or folder
    digest: str  # sha256 of the code: file bytes, or distribution name, version and RECORD

    def identity(self) -> dict[str, str]:
        return asdict(self)


def error_tail(exc: BaseException, lines: int = 6) -> str:
    """The last lines of an exception's traceback: where a plugin's import failed."""
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return "\n".join(text.rstrip().splitlines()[-lines:])


def file_digest(*paths: Path) -> str:
    h = hashlib.sha256()
    for p in paths:
        h.update(p.name.encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def distribution_digest(dist: metadata.Distribution) -> str:
    """Name, version and the RECORD (every installed file's hash) of a distribution."""
    record = dist.read_text("RECORD") or "\n".join(map(str, dist.files or ()))
    text = f"{dist.metadata['Name']}\0{dist.version}\0{record}"
    return hashlib.sha256(text.encode()).hexdigest()


def _distribution_of(module: str) -> metadata.Distribution | None:
    names = metadata.packages_distributions().get(module.split(".")[0]) or []
    try:
        return metadata.distribution(names[0]) if names else None
    except metadata.PackageNotFoundError:
        return None


def module_file(module: str) -> Path | None:
    """The source file of ``module``, found without running any package's ``__init__``."""
    path, spec, parts = None, None, module.split(".")
    for i in range(len(parts)):
        spec = PathFinder.find_spec(".".join(parts[:i + 1]), path)
        if spec is None:
            return None
        path = spec.submodule_search_locations
    return Path(spec.origin) if spec and spec.origin and spec.has_location else None


def module_digest(module: str) -> tuple[str, str]:
    """(location, digest) of an importable module: its file's bytes, and its distribution's
    name, version and RECORD when one installed it (an editable install's RECORD omits the
    source, hence the bytes too)."""
    parts = []
    origin = module_file(module)
    if origin is not None and origin.is_file():
        parts.append(file_digest(origin))
    dist = _distribution_of(module)
    if dist is not None:
        parts.append(distribution_digest(dist))
    if not parts:
        raise ConfigError(f"tuner plugin module {module!r} cannot be found on sys.path "
                          f"(install its package, or add its folder to PYTHONPATH)")
    return str(origin or module), hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _entry_point(name: str) -> metadata.EntryPoint:
    eps = [ep for ep in metadata.entry_points(group=TUNER_ENTRY_POINTS) if ep.name == name]
    if not eps:
        raise ConfigError(f"no entry point {name!r} in group {TUNER_ENTRY_POINTS!r}")
    return eps[0]


def _plugin_file(text: str) -> Path:
    path = Path(text).expanduser()
    if not path.is_file():
        raise ConfigError(f"tuner plugin file {text!r} does not exist "
                          f"(looked for {path.resolve()})")
    return path.resolve()


@contextmanager
def on_path(folder: Path) -> Iterator[None]:
    """``folder`` first on ``sys.path`` while a plugin file loads (its own imports)."""
    sys.path.insert(0, str(folder))
    try:
        yield
    finally:
        with suppress(ValueError):
            sys.path.remove(str(folder))


def import_file(path: Path, what: str) -> Any:
    """Import a .py file as a module named after its path's hash; errors say where."""
    name = f"trainsmart_plugin_{path.stem}_{hashlib.sha256(str(path).encode()).hexdigest()[:8]}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ConfigError(f"{what}: {path} cannot be imported as a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        with on_path(path.parent):
            spec.loader.exec_module(module)
    except Exception as exc:
        sys.modules.pop(name, None)
        raise ConfigError(f"{what}: importing {path} failed:\n{error_tail(exc)}") from exc
    return module


def import_module(module: str, what: str) -> Any:
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and module.startswith(exc.name):
            raise ConfigError(f"{what}: no module {exc.name!r} (install its package, or add "
                              f"its folder to PYTHONPATH)") from exc
        raise ConfigError(f"{what}: importing {module} failed:\n{error_tail(exc)}") from exc
    except Exception as exc:
        raise ConfigError(f"{what}: importing {module} failed:\n{error_tail(exc)}") from exc


def attribute(module: Any, attr: str, what: str) -> Any:
    try:
        return getattr(module, attr)
    except AttributeError:
        classes = sorted(k for k, v in vars(module).items()
                         if isinstance(v, type) and not k.startswith("_"))
        raise ConfigError(f"{what}: {module.__name__} has no attribute {attr!r} (its "
                          f"classes: {', '.join(classes) or 'none'})") from None


def check_tuner_class(obj: Any, what: str) -> type:
    """``obj`` must be a ``Tuner`` subclass or a class with every method of the contract."""
    from trainsmart_bench.tuners.base import Tuner

    if not isinstance(obj, type):
        raise ConfigError(f"{what}: {obj!r} is not a class; name a subclass of "
                          f"trainsmart_bench.tuners.Tuner")
    if issubclass(obj, Tuner):
        return obj
    gone = [m for m in CONTRACT if not hasattr(obj, m)]
    if gone:
        hint = (" (a Bayesmark optimizer? load its folder with --tuner bayesmark:DIR)"
                if hasattr(obj, "suggest") and hasattr(obj, "observe") else "")
        raise ConfigError(f"{what}: {obj.__qualname__} is not a Tuner: it lacks "
                          f"{', '.join(gone)}; subclass trainsmart_bench.tuners.Tuner{hint}")
    return obj


def split_top(text: str, sep: str = ",") -> list[str]:
    """``text`` split at ``sep`` outside brackets and JSON strings."""
    out, depth, quoted, start = [], 0, False, 0
    for i, ch in enumerate(text):
        if ch == '"' and (i == 0 or text[i - 1] != "\\"):
            quoted = not quoted
        elif not quoted and ch in "([{":
            depth += 1
        elif not quoted and ch in ")]}":
            depth -= 1
        elif not quoted and depth == 0 and ch == sep:
            out.append(text[start:i])
            start = i + 1
    return [*out, text[start:]]


def parse_call(text: str, what: str) -> tuple[str, dict[str, Any]]:
    """``path.to.Class(key=JSON,...)`` -> (``path.to.Class``, options); values are JSON
    (``5``, ``true``, ``"name"``, ``[1, 2]``)."""
    import json

    path, paren, rest = text.partition("(")
    if not paren:
        return text, {}
    if not rest.endswith(")"):
        raise ConfigError(f"{what}: options go in parentheses at the end, e.g. "
                          f"optuna:optuna.samplers.TPESampler(n_startup_trials=5)")
    options: dict[str, Any] = {}
    for item in split_top(rest[:-1]):
        if not item.strip():
            continue
        key, eq, value = item.partition("=")
        if not eq or not key.strip().isidentifier():
            raise ConfigError(f"{what}: option {item!r} is not key=JSON")
        try:
            options[key.strip()] = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{what}: option {key.strip()}={value} is not JSON ({exc}); "
                              f"a string needs double quotes") from None
    return path, options
