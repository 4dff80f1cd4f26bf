"""The training loop, owned by us so every backend gets the same data order, clocks and metrics.

Runs inside the child process of one run (``training.child``). Timings:
* ``import_s``: importing the framework adapter; ``data_s``: loading task arrays (excluded);
* ``build_s``: building model and optimizer; ``epoch_s``: per-epoch training, device-synchronized;
* ``time_to_target``: build + training + evaluation wall time until validation first meets
  the target (evaluation included, data loading and framework import excluded);
* warm-up: the first epoch carries tracing/compilation; throughput uses epochs 2..N and
  ``startup_time`` = import + build + (first epoch - median steady epoch);
* after training, ``inference_s`` (the test set's warm-up and timed pass), ``test_metrics_s``
  and ``bootstrap_s`` (the test metric's interval): each phase of a run is in its record
  (``results.phases``);
* ``compile_time``: what the first epoch and the first evaluation took beyond the median of
  the later ones (graph capture and compilation of the training and inference steps, cold),
  reported apart from the steady-state throughput, like the compiler dashboard's compilation
  latency. Recorded in every mode: eager has its warm-up too (Keras traces a tf.function).

A non-finite training loss or validation score stops the run as ``diverged``: it gets no test
scores, and its ``error`` says at which epoch (the child records it as a failed run).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from trainsmart_bench.backends.base import Backend, TaskData
from trainsmart_bench.metrics.quality import evaluate
from trainsmart_bench.results.unit import EpochFn, EpochReport, StopReason
from trainsmart_bench.tasks.spec import ResolvedTask
from trainsmart_bench.training.augment import augment, options

EpochCallback = EpochFn  # after each epoch: its report (value: the validation objective) -> go on?


@dataclass
class TrainResult:
    metrics: dict[str, float | None] = field(default_factory=dict)
    curve: list[dict[str, float]] = field(default_factory=list)
    timings: dict[str, Any] = field(default_factory=dict)
    reached_target: bool = False
    stopped_by: StopReason = StopReason.EPOCHS
    error: str | None = None  # why the run failed (a diverged loss); None when it did not
    state: Any = None  # the trained model (kept for ``--save-model``; never serialized)
    test_out: np.ndarray | None = None  # its predictions on the test split


def objective(task: ResolvedTask, scores: dict[str, float]) -> float:
    return scores[task.spec.metric]


def train(
    backend: Backend,
    task: ResolvedTask,
    data: TaskData,
    seed: int,
    on_epoch: EpochCallback | None = None,
    import_s: float = 0.0,
    epoch_test: bool = False,
) -> TrainResult:
    """Train one run. ``epoch_test`` (tuning-table builds only) also scores the test split
    after every epoch, outside every clock above, into the curve as ``test_<metric>`` with its
    seconds as ``test_s``; the model and the data order are untouched, so the run is the same."""
    res = TrainResult(timings={"import_s": import_s})
    spec = task.spec
    augmentation = options(task)  # {} when the task has none or augment=none
    t0 = time.perf_counter()
    state = res.state = backend.build(task, data)
    backend.synchronize()
    res.timings["build_s"] = time.perf_counter() - t0
    res.metrics["param_count"] = backend.param_count(state)
    epochs = 1 if backend.single_fit else int(task["epochs"])
    batch = int(task["batch_size"])
    patience = int(task.get("patience", 0) or 0)
    rng = np.random.default_rng(seed)
    best, best_epoch, best_weights = None, 0, None
    wall = res.timings["build_s"]  # time-to-target counts from the start of the build
    backend.reset_peak_device_memory()
    for epoch in range(1, epochs + 1):
        order = rng.permutation(len(data.x_train))
        ta = time.perf_counter()
        x, y, feed = data.x_train, data.y_train, order
        if augmentation:  # augmented copies of the epoch's rows, already in order
            x, y, feed = augment(x[order], rng, **augmentation), y[order], None
        tb = time.perf_counter()
        loss = backend.train_epoch(state, x, y, batch, feed)
        backend.synchronize()
        tc = time.perf_counter()
        val = evaluate(spec.is_classification, data.y_val,
                       backend.predict(state, data.x_val, 1024), full=False)
        backend.synchronize()
        td = time.perf_counter()
        wall += td - ta
        value = objective(task, val)
        res.curve.append({"epoch": epoch, "loss": float(loss), f"val_{spec.metric}": value,
                          "prep_s": tb - ta, "epoch_s": tc - tb, "eval_s": td - tc,
                          "wall_s": wall})
        if epoch_test:
            res.curve[-1].update(_epoch_test(backend, state, task, data))
        if not (np.isfinite(loss) and np.isfinite(value)):
            res.stopped_by = StopReason.DIVERGED
            res.error = (f"diverged at epoch {epoch}: training loss {float(loss)}, "
                         f"validation {spec.metric} {value}")
            break
        if not res.reached_target and not spec.direction.better(task.target, value):
            res.reached_target = True
            res.metrics["time_to_target"] = wall
            res.timings["target_epoch"] = epoch
        if best is None or spec.direction.better(value, best):
            best, best_epoch = value, epoch
            if patience:
                best_weights = backend.get_weights(state)
        report = EpochReport(epoch, float(value), loss=float(loss), epochs=epochs,
                             elapsed_s=wall)
        if on_epoch is not None and not on_epoch(report):
            res.stopped_by = StopReason.PRUNED
            break
        if patience and epoch - best_epoch >= patience:
            res.stopped_by = StopReason.EARLY_STOPPING
            break
    if best_weights is not None and best_epoch != len(res.curve):
        backend.set_weights(state, best_weights)
    res.metrics["best_val"] = best
    res.metrics["epochs_trained"] = len(res.curve)
    res.timings["best_epoch"] = best_epoch
    _throughput(res, len(data.x_train))
    if res.stopped_by is not StopReason.DIVERGED:  # a diverged model's test scores mislead
        _test(backend, state, task, data, res)
    res.metrics["peak_device_memory"] = backend.peak_device_memory()
    return res


def _throughput(res: TrainResult, n: int) -> None:
    times = [c["epoch_s"] + c["prep_s"] for c in res.curve]
    res.timings["epoch_s"] = times
    res.timings["first_epoch_s"] = times[0] if times else None
    steady = times[1:]
    res.timings["warmup_excluded"] = bool(steady)
    use = steady or times
    res.metrics["train_throughput"] = n * len(use) / sum(use) if use else None
    res.metrics["train_time"] = sum(times)
    if len(steady) >= 2:  # spread of steady epochs: a noisy machine shows here
        res.metrics["epoch_time_cv"] = float(np.std(steady) / np.mean(steady))
    overhead = max(0.0, times[0] - float(np.median(steady))) if steady else 0.0
    res.timings["warmup_overhead_s"] = overhead
    startup = res.timings.get("import_s", 0.0) + res.timings["build_s"] + overhead
    res.metrics["startup_time"] = startup
    evals = [c["eval_s"] for c in res.curve]
    if steady:
        eval_overhead = max(0.0, evals[0] - float(np.median(evals[1:])))
        res.metrics["compile_time"] = overhead + eval_overhead


def _epoch_test(backend: Backend, state: Any, task: ResolvedTask, data: TaskData
                ) -> dict[str, float]:
    t = time.perf_counter()
    scores = evaluate(task.spec.is_classification, data.y_test,
                      backend.predict(state, data.x_test, 1024), full=False)
    backend.synchronize()
    return {f"test_{task.spec.metric}": objective(task, scores), "test_s": time.perf_counter() - t}


def _test(backend: Backend, state: Any, task: ResolvedTask, data: TaskData, res) -> None:
    t0 = time.perf_counter()
    n, tail = len(data.x_test), len(data.x_test) % 1024
    backend.predict(state, data.x_test[:1024], 1024)  # warm-up: traces the inference path,
    if tail:  # for the last, shorter batch too (a compiler specializes on shapes)
        backend.predict(state, data.x_test[n - tail:], 1024)
    backend.synchronize()
    t = time.perf_counter()
    out = backend.predict(state, data.x_test, 1024)
    backend.synchronize()
    t1 = time.perf_counter()
    dt = t1 - t
    res.metrics["inference_throughput"] = len(data.x_test) / dt if dt > 0 else None
    res.metrics.update(evaluate(task.spec.is_classification, data.y_test, out))
    res.test_out = out
    t2 = time.perf_counter()
    res.metrics.update(bootstrap_test_metric(task.spec.is_classification, data.y_test, out))
    res.metrics["test_samples"] = len(data.y_test)
    res.timings.update(inference_s=t1 - t0, test_metrics_s=t2 - t1,
                       bootstrap_s=time.perf_counter() - t2)


def bootstrap_test_metric(is_classification: bool, y: np.ndarray,
                          out: np.ndarray) -> dict[str, float]:
    """The 95% bootstrap interval of the test metric from the test predictions themselves
    (test examples resampled): how much of a difference is test-set noise, apart from the
    seed-to-seed interval."""
    from trainsmart_bench.results.stats import bootstrap_interval

    if len(y) < 2:
        return {}
    if is_classification:
        correct = (np.asarray(out).argmax(axis=1) == np.asarray(y).ravel()).astype(np.float64)
        low, high = bootstrap_interval(correct, "mean")
        return {"accuracy_test_low": low, "accuracy_test_high": high}
    err = (np.asarray(out, np.float64).ravel() - np.asarray(y, np.float64).ravel()) ** 2
    low, high = bootstrap_interval(err, "root_mean")
    return {"rmse_test_low": low, "rmse_test_high": high}
