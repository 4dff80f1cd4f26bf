"""Quality metrics (numpy), clocks and memory high-water marks."""

from trainsmart_bench.metrics.quality import classification_metrics, regression_metrics
from trainsmart_bench.metrics.resources import peak_host_memory

__all__ = ["classification_metrics", "peak_host_memory", "regression_metrics"]
