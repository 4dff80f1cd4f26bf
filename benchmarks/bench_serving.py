"""Serving benchmarks: each cell's trained model per runtime, through MLPerf's LoadGen
(SingleStream's p90 latency, Offline's samples per second; quick settings). The model is the
one the training benchmarks trained (the same memo); a runtime the framework lacks is n/a."""

from trainsmart_bench.bench import serving

from .common import ServingMetric


class P90Latency(ServingMetric):
    metric = "p90_latency"

    def track_p90_latency(self, run_dir, task, backend, runtime):
        return self.value

    track_p90_latency.unit = serving.unit("p90_latency")


class OfflineThroughput(ServingMetric):
    metric = "offline_throughput"

    def track_offline_throughput(self, run_dir, task, backend, runtime):
        return self.value

    track_offline_throughput.unit = serving.unit("offline_throughput")
