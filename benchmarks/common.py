"""The base of the training benchmarks: grid, timeout, per-run memo and skip rule.

The grid is task x backend x device x mode of the profile in $TRAINSMART_BENCH_PROFILE (default
quick).
``setup_cache`` is defined here once, so asv runs it once for every subclass; it returns the
memo directory where each cell's single training run is kept (see trainsmart_bench.bench).
"""

from trainsmart_bench import bench
from trainsmart_bench.bench import serving


class SharedRuns:
    """One ``setup_cache`` for every class below it (asv keys it by the function): the
    training runs, and the models they keep, are shared by training and serving metrics."""

    def setup_cache(self):
        return bench.start_run()


class TrainingMetric(SharedRuns):
    """One metric of a training run, over the profile's task x backend x device x mode."""

    params = bench.params()
    param_names = bench.PARAM_NAMES
    timeout = bench.timeout()
    rounds = 1
    metric = ""

    def setup(self, run_dir, task, backend, device, mode):
        self.value = bench.metric_value(run_dir, self.metric, task, backend, device, mode)


class ServingMetric(SharedRuns):
    """One metric of a cell's trained model served by a runtime (task x backend x runtime)."""

    params = serving.params()
    param_names = serving.PARAM_NAMES
    timeout = 3600
    rounds = 1
    metric = ""

    def setup(self, run_dir, task, backend, runtime):
        self.value = serving.serving_value(run_dir, self.metric, task, backend, runtime)
