"""A task from the user's own code: ``UserTask``, its data and its models, with the rights of a
built-in task (modes, protocols, records, summary, report, ``tune``, tables, asv, Ray).

A file (or module, or an installed package's entry point in group ``trainsmart_bench.tasks``)
defines one::

    from trainsmart_bench.tasks.user import UserTask

    def data():                      # numpy arrays: labels (int) or ratings/targets (float)
        return {"x_train": ..., "y_train": ..., "x_test": ..., "y_test": ...}

    def keras_model(task, info):     # one Keras 3 model, run unchanged on every Keras backend
        ...                          # returns an uncompiled keras.Model whose output is logits

    def torch_model(task, info):     # a torch.nn.Module returning logits (N, classes) or (N,)
        ...

    TASK = UserTask(name="my-task", data=data, metric="accuracy", target=0.95,
                    defaults={"lr": 1e-3, "batch_size": 64, "epochs": 10},
                    keras=keras_model, torch=torch_model)

and ``trainsmart run --task my_file.py:TASK`` trains it. Each builder is optional: a backend
whose builder is missing records a skip with the reason. ``info`` is a ``ModelInfo`` (input
shape, number of outputs, dropout, the task's hyperparameters); the suite compiles and
trains the model (Adam with its usual constants, the loss from ``metric``), so every backend
trains it alike. ``sklearn`` is a factory ``(task, info) -> estimator`` (one ``fit`` on the
training split, like the built-in baselines).

The validation split is the suite's rule for every task: 10% of the training rows (stratified
for classes, seed 0; ``val_fraction`` changes the share), the test split is never tuned on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from trainsmart_bench.errors import ConfigError
from trainsmart_bench.space import Direction, SearchSpace

METRICS = {"accuracy": ("sparse_categorical_crossentropy", Direction.MAXIMIZE),
           "rmse": ("mse", Direction.MINIMIZE)}
FAMILIES = ("keras", "torch", "sklearn")  # one builder per framework family
REQUIRED = ("lr", "batch_size", "epochs")  # what the training loop reads


@dataclass(frozen=True)
class ModelInfo:
    """What a builder needs to know about the data; hyperparameters are in ``task``."""

    input_shape: tuple[int, ...]
    n_outputs: int  # classes, or 1 for regression
    classification: bool
    dropout: float = 0.0


@dataclass(frozen=True)
class UserTask:
    name: str
    data: Callable[[], Any]  # -> {"x_train", "y_train", "x_test", "y_test"} or a 4-tuple
    metric: str  # "accuracy" (classes) or "rmse" (regression)
    target: float  # validation target (time to target) and test pass/fail
    defaults: Mapping[str, Any]  # at least lr, batch_size, epochs
    space: SearchSpace | None = None  # what tuners search (default: lr, log-uniform)
    keras: Callable[..., Any] | None = None
    torch: Callable[..., Any] | None = None
    sklearn: Callable[..., Any] | None = None
    description: str = ""
    profiles: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    val_fraction: float | None = None
    reference: str = ""

    def check(self) -> None:
        """The declaration's own mistakes, each said with what to do."""
        where = f"user task {self.name!r}"
        if not isinstance(self.name, str) or not self.name or any(c in self.name for c in
                                                                 "/\\:, @"):
            raise ConfigError(f"user task name {self.name!r}: a non-empty name without "
                              "'/', ':', ',', '@' or spaces, e.g. 'wine-mlp'")
        if self.metric not in METRICS:
            raise ConfigError(f"{where}: metric {self.metric!r}; use one of {', '.join(METRICS)}")
        if not callable(self.data):
            raise ConfigError(f"{where}: data must be a function returning the arrays")
        target = self.target
        if isinstance(target, bool) or not isinstance(target, (int, float)) or not (
                (0 < target <= 1) if self.metric == "accuracy" else target > 0):
            allowed = "in (0, 1]" if self.metric == "accuracy" else "a positive RMSE"
            raise ConfigError(f"{where}: target {target!r} is outside the metric's range; "
                              f"give {self.metric} {allowed}")
        missing = [k for k in REQUIRED if k not in self.defaults]
        if missing:
            raise ConfigError(f"{where}: defaults lack {', '.join(missing)} (the training loop "
                              f"reads {', '.join(REQUIRED)})")
        builders = {f: getattr(self, f) for f in FAMILIES}
        if not any(builders.values()):
            raise ConfigError(f"{where}: no model builder; give keras=, torch= or sklearn=")
        for family, b in builders.items():
            if b is not None and not callable(b):
                raise ConfigError(f"{where}: {family}= must be a function (task, info) -> model")
        if self.val_fraction is not None and not 0 < self.val_fraction < 1:
            raise ConfigError(f"{where}: val_fraction must be between 0 and 1")


def default_space(defaults: Mapping[str, Any]) -> SearchSpace:
    from trainsmart_bench.space import Float

    lr = float(defaults["lr"])
    return SearchSpace({"lr": Float(lr / 30, min(lr * 30, 1.0), log=True)})


@dataclass(frozen=True)
class UserCode:
    """Where a user task came from, and the code the backends call (never recorded itself:
    records carry ``spec``, ``source`` and ``digest``)."""

    spec: str  # how to load it again, in another process or on a Ray node
    source: str  # for people: "file /abs/x.py", "module pkg.mod", "entry point dist 1.0"
    digest: str  # of its code: a changed model never reuses old records
    task: UserTask

    def builder(self, family: str) -> Callable[..., Any] | None:
        return getattr(self.task, family)

    def identity(self) -> dict[str, str]:
        return {"spec": self.spec, "digest": self.digest}


def to_spec(user: UserTask, code: UserCode) -> Any:
    """The ``TaskSpec`` of a user task (its dataset: the ``plugin:<name>`` loader)."""
    from trainsmart_bench.tasks.spec import ModelSpec, TaskSpec

    user.check()
    loss, direction = METRICS[user.metric]
    defaults = dict(user.defaults)
    return TaskSpec(
        name=user.name, description=user.description or f"user task from {code.source}",
        dataset=f"plugin:{user.name}", model=ModelSpec("user"), loss=loss, metric=user.metric,
        direction=direction, target=float(user.target), defaults=defaults,
        space=user.space or default_space(defaults),
        data={"val_fraction": user.val_fraction} if user.val_fraction else {},
        profiles=dict(user.profiles), reference=user.reference or code.source, plugin=code)
