"""Quality metrics, in numpy: accuracy and RMSE per epoch, and on the test split also macro
precision/recall/F1 (as ``sklearn.metrics.precision_recall_fscore_support(average="macro",
zero_division=0)`` computes them, without importing scikit-learn into every run) and MAE."""

from __future__ import annotations

import numpy as np


def classification_metrics(y_true: np.ndarray, proba: np.ndarray,
                           full: bool = True) -> dict[str, float]:
    y_true = np.asarray(y_true).astype(np.int64).ravel()
    pred = np.asarray(proba).argmax(axis=1)
    out = {"accuracy": float(np.mean(pred == y_true)) if len(y_true) else 0.0}
    if full:
        out.update(macro_scores(y_true, pred))
    return out


def macro_scores(y_true: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """Unweighted means over every label seen in ``y_true`` or ``pred`` of per-label precision,
    recall and F1; a ratio with a zero denominator counts as 0."""
    labels, index = np.unique(np.concatenate([y_true, pred]), return_inverse=True)
    t, p = index[:len(y_true)], index[len(y_true):]
    k = len(labels)
    tp = np.bincount(t[t == p], minlength=k).astype(np.float64)
    predicted = np.bincount(p, minlength=k).astype(np.float64)
    actual = np.bincount(t, minlength=k).astype(np.float64)

    def ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.divide(a, b, out=np.zeros_like(a), where=b > 0)

    return {"precision_macro": float(ratio(tp, predicted).mean()) if k else 0.0,
            "recall_macro": float(ratio(tp, actual).mean()) if k else 0.0,
            "f1_macro": float(ratio(2 * tp, predicted + actual).mean()) if k else 0.0}


def regression_metrics(y_true: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    err = np.asarray(pred, np.float64).ravel() - np.asarray(y_true, np.float64).ravel()
    return {"rmse": float(np.sqrt(np.mean(err**2))), "mae": float(np.mean(np.abs(err)))}


def evaluate(is_classification: bool, y_true: np.ndarray, out: np.ndarray,
             full: bool = True) -> dict[str, float]:
    """The task's quality metrics; ``full=False`` (each epoch's validation) skips the macro
    averages, which only the test split reports."""
    if is_classification:
        return classification_metrics(y_true, out, full)
    return regression_metrics(y_true, out)
