"""Accuracy first: a runtime's predictions on the whole test split against the trained
model's own (saved with it), before any of its speed is measured.

A runtime passes when its predictions agree with the trained model's within the tolerance
below, and its test metric, recomputed from them, is the trained model's within
``METRIC_TOLERANCE``. A runtime that fails is still measured, but every view marks it and
no speed of it is ranked (the modes view's rule: a speedup is gated by accuracy).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from trainsmart_bench.metrics.quality import evaluate

# classification: the share of test rows whose predicted class is the trained model's
MIN_AGREEMENT = 0.999
# regression: the largest difference of one prediction, in the target's unit (ratings)
MAX_ABS_DIFF = 1e-3
METRIC_TOLERANCE = 1e-3  # |test metric (runtime) - test metric (trained)|
GATE_BATCH = 1024


def predict_all(predict: Callable[[np.ndarray], np.ndarray], x: np.ndarray,
                batch: int = GATE_BATCH) -> np.ndarray:
    """The runtime's predictions for every row, in batches (the last one shorter)."""
    return np.concatenate([np.asarray(predict(x[i:i + batch]))
                           for i in range(0, len(x), batch)])


def check(out: np.ndarray, trained: np.ndarray, y: np.ndarray, classification: bool,
          metric: str) -> dict[str, Any]:
    """The gate's verdict and the figures it rests on."""
    out = np.asarray(out, np.float64).reshape(trained.shape)
    trained = np.asarray(trained, np.float64)
    scores = evaluate(classification, y, out)
    mine = evaluate(classification, y, trained)
    verdict: dict[str, Any] = {
        "max_abs_diff": float(np.max(np.abs(out - trained))) if len(out) else 0.0,
        "metric": metric, "test_metric": float(scores[metric]),
        "trained_test_metric": float(mine[metric]), "rows": int(len(out)),
    }
    verdict["metric_diff"] = abs(verdict["test_metric"] - verdict["trained_test_metric"])
    why = []
    if classification:
        agreement = float(np.mean(out.argmax(axis=1) == trained.argmax(axis=1)))
        verdict["agreement"] = agreement
        verdict["tolerance"] = {"min_agreement": MIN_AGREEMENT, "metric": METRIC_TOLERANCE}
        if agreement < MIN_AGREEMENT:
            why.append(f"predicted classes agree on {agreement:.4%} of test rows "
                       f"(< {MIN_AGREEMENT:.1%})")
    else:
        verdict["tolerance"] = {"max_abs_diff": MAX_ABS_DIFF, "metric": METRIC_TOLERANCE}
        if verdict["max_abs_diff"] > MAX_ABS_DIFF:
            why.append(f"a prediction differs by {verdict['max_abs_diff']:.3g} "
                       f"(> {MAX_ABS_DIFF:g})")
    if verdict["metric_diff"] > METRIC_TOLERANCE:
        why.append(f"test {metric} {verdict['test_metric']:.4f} against the trained model's "
                   f"{verdict['trained_test_metric']:.4f}")
    verdict["passed"], verdict["why"] = not why, "; ".join(why) or None
    return verdict
