"""The suite's own overhead: its training throughput on mnist-mlp against a minimal hand-written
loop (PyTorch) and a plain ``model.fit`` (Keras) on the same arrays. Target: ratio >= 0.95."""

from trainsmart_bench import bench
from trainsmart_bench.training import reference


class FrameworkOverhead:
    params = (["torch", "keras"],)
    param_names = ["framework"]
    timeout = 3600

    def setup_cache(self):
        results = {}
        for framework in self.params[0]:
            try:
                results[framework] = reference.compare_isolated(framework)
            except RuntimeError as exc:
                results[framework] = {"error": str(exc)}
        return results

    def setup(self, results, framework):
        if "error" in results[framework]:
            raise NotImplementedError(results[framework]["error"].splitlines()[0])

    def track_suite_over_reference(self, results, framework):
        return results[framework]["ratio"]

    track_suite_over_reference.unit = "ratio"

    def track_reference_throughput(self, results, framework):
        return results[framework]["reference"]

    track_reference_throughput.unit = "samples/s"


class WholeUnit:
    """A whole digits-mlp command in a fresh interpreter, cold against warm starts."""

    params = (list(bench.WHOLE_UNIT_BACKENDS), list(bench.STARTS))
    param_names = ["backend", "start"]
    repeat = 3
    number = 1
    timeout = 900

    def timeraw_run(self, backend, start):
        return bench.whole_unit_code("run", start, backend)

    def timeraw_study_10_trials(self, backend, start):
        return bench.whole_unit_code("study", start, backend)
