"""Tuning benchmarks: per task x tuner, one study (trials in their own processes) whose
best validation value, test value of the best config, tuner time and study time are tracked;
the tuners' own cost per trial on the synthetic objective; and, per tuner, studies on the
committed digits-mlp tuning table (regret and time-to-target, answered from recorded runs)."""

from pathlib import Path

from trainsmart_bench.bench import tuning

from .common import TrainingMetric


class StudyMetric(TrainingMetric):
    """One metric of a study, over the profile's tuning task x tuner."""

    params = tuning.params()
    param_names = ["task", "tuner"]
    timeout = tuning.timeout()

    def setup(self, run_dir, task, tuner):
        self.value = tuning.study_value(run_dir, self.metric, task, tuner)


class BestValue(StudyMetric):
    metric = "best_val"

    def track_best_val(self, run_dir, task, tuner):
        return self.value

    track_best_val.unit = tuning.unit("best_val")


class TestValue(StudyMetric):
    metric = "test_value"

    def track_test_value(self, run_dir, task, tuner):
        return self.value

    track_test_value.unit = tuning.unit("test_value")


class TunerTime(StudyMetric):
    metric = "tuner_time"

    def track_tuner_time(self, run_dir, task, tuner):
        return self.value

    track_tuner_time.unit = tuning.unit("tuner_time")


class StudyTime(StudyMetric):
    metric = "study_time"

    def track_study_time(self, run_dir, task, tuner):
        return self.value

    track_study_time.unit = tuning.unit("study_time")


class TunerOverhead:
    params = tuning.overhead_params()
    param_names = ["tuner"]
    rounds = 1

    def setup(self, tuner):
        self.value = tuning.overhead_per_trial(tuner)

    def track_overhead_per_trial(self, tuner):
        return self.value

    track_overhead_per_trial.unit = "seconds"


TABLE = Path(__file__).resolve().parent / "tables" / "digits-mlp-torch.json.gz"


class TableStudy:
    """Per tuner: median over 10 studies x 50 trials on the digits-mlp tuning table."""

    params = tuning.overhead_params()
    param_names = ["tuner"]
    rounds = 1
    timeout = 1800

    def setup_cache(self):
        return tuning.table_comparisons(self.params[0], TABLE)

    def setup(self, results, tuner):
        self.result = tuning.table_result(results, tuner)

    def track_table_regret(self, results, tuner):
        return self.result["regret"]

    track_table_regret.unit = tuning.table_unit("regret", TABLE)

    def track_table_trials_to_target(self, results, tuner):
        return self.result["trials_to_target"]

    track_table_trials_to_target.unit = tuning.table_unit("trials_to_target", TABLE)

    def track_table_seconds_to_target(self, results, tuner):
        return self.result["seconds_to_target"]

    track_table_seconds_to_target.unit = tuning.table_unit("seconds_to_target", TABLE)
