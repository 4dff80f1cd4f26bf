"""Finding user tasks: ``path/to/file.py:NAME``, ``package.module:NAME`` or the name of an
entry point in group ``trainsmart_bench.tasks``; each loads to a ``UserTask``.

Loading a plugin runs its code, like importing it. Each loaded task is registered under its
own name in this process (and its data as dataset ``plugin:<name>``), with where it came from
and a digest of its code: the file's bytes, the module's file, or the installed
distribution's name, version and file hashes. A unit's spec carries the plugin's spec, so a
child process or a Ray node loads the same code (it must be importable there). Nothing that
reads records (report, compare, site) loads a plugin.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
import traceback
from importlib import metadata
from pathlib import Path
from typing import Any

from trainsmart_bench.errors import ConfigError

GROUP = "trainsmart_bench.tasks"
_LOADED: dict[str, Any] = {}  # task name -> TaskSpec
_BY_SPEC: dict[str, str] = {}  # spec as given or canonical -> task name


def looks_like_spec(text: str) -> bool:
    """``file.py:NAME`` or ``module:NAME`` (a built-in or entry-point name has no colon)."""
    return ":" in text and not text.startswith("plugin:")


def loaded(name: str) -> Any | None:
    return _LOADED.get(name)


def load(text: str) -> Any:
    """The ``TaskSpec`` a plugin spec names (loaded once per process)."""
    if text in _BY_SPEC:
        return _LOADED[_BY_SPEC[text]]
    if text.startswith("entry:"):
        spec = _from_entry_point(text.partition(":")[2])
    else:
        where, _, attr = text.rpartition(":")
        if not where or not attr:
            raise ConfigError(f"task {text!r}: write path/to/file.py:NAME or package.module:NAME")
        spec = _from_file(where, attr) if where.endswith(".py") or "/" in where else \
            _from_module(where, attr)
    return _register(text, spec)


def entry_points() -> dict[str, Any]:
    """Installed task plugins by entry-point name (nothing is loaded)."""
    return {ep.name: ep for ep in metadata.entry_points(group=GROUP)}


def find(name: str) -> Any | None:
    """A loaded task, or one an entry point of that name provides (loaded now)."""
    if name in _LOADED:
        return _LOADED[name]
    if name in entry_points():
        return load(f"entry:{name}")
    return None


def _register(text: str, spec: Any) -> Any:
    from trainsmart_bench import datasets
    from trainsmart_bench.datasets.arrays import ArraysLoader
    from trainsmart_bench.tasks.builtin import TASKS

    if spec.name in {t.name for t in TASKS} or spec.name == "synthetic":
        raise ConfigError(f"user task {spec.name!r} ({spec.plugin.source}) has the name of a "
                          "built-in task; give it another name")
    old = _LOADED.get(spec.name)
    if old is not None and old.plugin.task is spec.plugin.task:  # the same code, named twice
        _BY_SPEC[text] = spec.name
        return old
    if old is not None and old.plugin.spec != spec.plugin.spec:
        raise ConfigError(f"two user tasks are named {spec.name!r}: {old.plugin.source} and "
                          f"{spec.plugin.source}; rename one")
    _LOADED[spec.name] = spec
    _BY_SPEC[text] = _BY_SPEC[spec.plugin.spec] = spec.name
    datasets.register(ArraysLoader(spec.dataset, spec.plugin.task.data, spec.is_classification))
    return spec


def _code(task: Any, spec: str, source: str, digest: str, what: str) -> Any:
    from trainsmart_bench.tasks.user import UserCode, UserTask, to_spec

    if not isinstance(task, UserTask):
        raise ConfigError(f"{what} is a {type(task).__name__}, not a "
                          "trainsmart_bench.tasks.user.UserTask")
    return to_spec(task, UserCode(spec, source, digest, task))


def _import_error(what: str, exc: BaseException) -> ConfigError:
    tail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)[-3:]).rstrip()
    return ConfigError(f"{what} failed to import ({type(exc).__name__}: {exc}); the end of its "
                       f"traceback:\n{tail}")


def _attr(module: Any, attr: str, what: str) -> Any:
    from trainsmart_bench.tasks.user import UserTask

    if not hasattr(module, attr):
        have = sorted(k for k, v in vars(module).items() if isinstance(v, UserTask))
        raise ConfigError(f"{what} has no {attr!r}" + (f"; its user tasks: {', '.join(have)}"
                                                       if have else "; it defines no UserTask"))
    return getattr(module, attr)


def _from_file(path: str, attr: str) -> Any:
    file = Path(path).expanduser().resolve()
    what = f"task file {path}"
    if not file.is_file():
        raise ConfigError(f"{what}: no such file (from {Path.cwd()}); a run on a Ray node "
                          "loads the task from the same path there, so the file must exist on "
                          "every node (or install it as a package with an entry point)")
    code = file.read_bytes()
    digest = hashlib.sha256(code).hexdigest()
    name = f"trainsmart_user_task_{digest[:16]}"
    module = sys.modules.get(name)
    if module is None:
        loader_spec = importlib.util.spec_from_file_location(name, file)
        module = importlib.util.module_from_spec(loader_spec)
        sys.path.insert(0, str(file.parent))  # its own helpers beside it import too
        try:
            loader_spec.loader.exec_module(module)
        except Exception as exc:  # noqa: BLE001 - the user's code
            raise _import_error(what, exc) from exc
        finally:
            sys.path.remove(str(file.parent))
        sys.modules[name] = module
    return _code(_attr(module, attr, what), f"{file}:{attr}", f"file {file}", digest,
                 f"{path}:{attr}")


def _from_module(module_name: str, attr: str) -> Any:
    what = f"module {module_name}"
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # noqa: BLE001 - the user's code
        raise _import_error(what, exc) from exc
    file = getattr(module, "__file__", None)
    digest = hashlib.sha256(Path(file).read_bytes()).hexdigest() if file else _dist_digest(
        module_name.partition(".")[0])
    return _code(_attr(module, attr, what), f"{module_name}:{attr}", f"module {module_name}",
                 digest, f"{module_name}:{attr}")


def _dist_digest(dist_name: str) -> str:
    """An installed distribution's name, version and the hashes of its files (RECORD)."""
    try:
        dist = metadata.distribution(dist_name)
    except metadata.PackageNotFoundError:
        return "unknown"
    h = hashlib.sha256(f"{dist.metadata['Name']}\0{dist.version}\0".encode())
    for f in sorted(dist.files or [], key=str):
        h.update(f"{f}\0{f.hash.value if f.hash else ''}\0".encode())
    return h.hexdigest()


def _from_entry_point(name: str) -> Any:
    ep = entry_points().get(name)
    if ep is None:
        raise ConfigError(f"no installed task plugin named {name!r} (entry point group {GROUP})")
    what = f"entry point {name} ({ep.value})"
    try:
        task = ep.load()
    except Exception as exc:  # noqa: BLE001 - the user's code
        raise _import_error(what, exc) from exc
    dist = ep.dist.metadata["Name"] if ep.dist else ep.value.partition(".")[0]
    version = ep.dist.version if ep.dist else "?"
    return _code(task, f"entry:{name}", f"entry point {name} of {dist} {version}",
                 _dist_digest(dist), what)
