"""Accuracy, macro precision/recall/F1, RMSE and MAE in plain numpy."""

from __future__ import annotations

import numpy as np


def classification_metrics(y_true: np.ndarray, proba: np.ndarray) -> dict[str, float]:
    y_true = np.asarray(y_true).astype(np.int64).ravel()
    pred = np.asarray(proba).argmax(axis=1)
    n = proba.shape[1]
    cm = np.bincount(y_true * n + pred, minlength=n * n).reshape(n, n)
    tp = np.diag(cm).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(cm.sum(0) > 0, tp / cm.sum(0), 0.0)
        recall = np.where(cm.sum(1) > 0, tp / cm.sum(1), 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    present = cm.sum(1) > 0  # macro over classes that occur in y_true
    return {
        "accuracy": float(tp.sum() / max(1, len(y_true))),
        "precision_macro": float(precision[present].mean()),
        "recall_macro": float(recall[present].mean()),
        "f1_macro": float(f1[present].mean()),
    }


def regression_metrics(y_true: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    err = np.asarray(pred, np.float64).ravel() - np.asarray(y_true, np.float64).ravel()
    return {"rmse": float(np.sqrt(np.mean(err**2))), "mae": float(np.mean(np.abs(err)))}


def evaluate(is_classification: bool, y_true: np.ndarray, out: np.ndarray) -> dict[str, float]:
    if is_classification:
        return classification_metrics(y_true, out)
    return regression_metrics(y_true, out)
