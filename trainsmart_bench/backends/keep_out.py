"""Keep a framework out of a process: after ``keep_out("tensorflow", "jax")`` importing them
fails with ModuleNotFoundError, as in an environment where they are not installed.

The Keras backends on JAX and PyTorch use it: Keras seeds TensorFlow whenever it can import it
and imports JAX for a checkpoint callback, which would load both into a run that uses neither
and count them in its start-up and memory. The finder answers with a spec whose loader refuses
(``importlib.util.find_spec`` still returns a spec without an origin, which torch's dynamo
reads), and ``sys.modules`` keeps no entry: other libraries look frameworks up there directly
(scipy's array-API helpers read ``sys.modules["jax"].Array``) and must find them absent, not a
``None``. A framework imported before stays usable; the backend's ``check`` refuses such a
process.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from importlib.abc import Loader, MetaPathFinder
from importlib.machinery import ModuleSpec
from types import ModuleType


class _Refuse(Loader):
    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        raise ModuleNotFoundError(f"{spec.name} is kept out of this process (a Keras run on "
                                  "another backend)", name=spec.name)

    def exec_module(self, module: ModuleType) -> None:  # never reached
        raise ModuleNotFoundError(module.__name__, name=module.__name__)


class _KeptOut(MetaPathFinder):
    def __init__(self, names: frozenset[str]) -> None:
        self.names = names

    def find_spec(self, fullname: str, path: Sequence[str] | None = None,
                  target: ModuleType | None = None) -> ModuleSpec | None:
        if fullname.partition(".")[0] in self.names:
            return ModuleSpec(fullname, _Refuse())
        return None


def keep_out(*names: str) -> None:
    """Refuse every later import of these top-level packages (those not imported yet)."""
    todo = frozenset(n for n in names if n not in sys.modules)
    if todo:
        sys.meta_path.insert(0, _KeptOut(todo))
