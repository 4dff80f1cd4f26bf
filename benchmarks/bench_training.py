"""Training benchmarks: quality, throughput, time to target, start-up, compile time, memory.

Each class reads one metric of the same training runs (one per task x backend x device x mode);
an unsupported cell or a metric that does not apply shows as n/a, with the reason.
"""

from trainsmart_bench import bench

from .common import TrainingMetric


class Accuracy(TrainingMetric):
    metric = "accuracy"

    def track_accuracy(self, run_dir, task, backend, device, mode):
        return self.value

    track_accuracy.unit = bench.unit("accuracy")


class RMSE(TrainingMetric):
    metric = "rmse"

    def track_rmse(self, run_dir, task, backend, device, mode):
        return self.value

    track_rmse.unit = bench.unit("rmse")


class TrainThroughput(TrainingMetric):
    metric = "train_throughput"

    def track_train_throughput(self, run_dir, task, backend, device, mode):
        return self.value

    track_train_throughput.unit = bench.unit("train_throughput")


class InferenceThroughput(TrainingMetric):
    metric = "inference_throughput"

    def track_inference_throughput(self, run_dir, task, backend, device, mode):
        return self.value

    track_inference_throughput.unit = bench.unit("inference_throughput")


class TimeToTarget(TrainingMetric):
    metric = "time_to_target"

    def track_time_to_target(self, run_dir, task, backend, device, mode):
        return self.value

    track_time_to_target.unit = bench.unit("time_to_target")


class StartupTime(TrainingMetric):
    metric = "startup_time"

    def track_startup_time(self, run_dir, task, backend, device, mode):
        return self.value

    track_startup_time.unit = bench.unit("startup_time")


class CompileTime(TrainingMetric):
    metric = "compile_time"

    def track_compile_time(self, run_dir, task, backend, device, mode):
        return self.value

    track_compile_time.unit = bench.unit("compile_time")


class PeakHostMemory(TrainingMetric):
    metric = "peak_host_memory"

    def track_peak_host_memory(self, run_dir, task, backend, device, mode):
        return self.value

    track_peak_host_memory.unit = bench.unit("peak_host_memory")


class PeakDeviceMemory(TrainingMetric):
    metric = "peak_device_memory"

    def track_peak_device_memory(self, run_dir, task, backend, device, mode):
        return self.value

    track_peak_device_memory.unit = bench.unit("peak_device_memory")
