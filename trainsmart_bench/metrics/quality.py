"""Quality metrics: accuracy and RMSE per epoch (numpy), and on the test split also macro
precision/recall/F1 (``sklearn.metrics``) and MAE."""

from __future__ import annotations

import numpy as np


def classification_metrics(y_true: np.ndarray, proba: np.ndarray,
                           full: bool = True) -> dict[str, float]:
    y_true = np.asarray(y_true).astype(np.int64).ravel()
    pred = np.asarray(proba).argmax(axis=1)
    out = {"accuracy": float(np.mean(pred == y_true)) if len(y_true) else 0.0}
    if full:
        from sklearn.metrics import precision_recall_fscore_support

        p, r, f, _ = precision_recall_fscore_support(y_true, pred, average="macro",
                                                     zero_division=0)
        out.update(precision_macro=float(p), recall_macro=float(r), f1_macro=float(f))
    return out


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
