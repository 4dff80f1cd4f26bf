"""The per-fold view of cross-validated and walk-forward runs: each fold's (or time window's)
test metric, averaged over seeds, and the result over all folds.

For k-fold the result is the mean over folds (what cross-validation reports). For walk-forward
ratings it is also the overall RMSE of every window's predictions together,
sqrt(sum n_i rmse_i^2 / sum n_i), since windows hold different numbers of ratings.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from trainsmart_bench.results.records import RunRecord, Status
from trainsmart_bench.results.summary import finite, row_groups


@dataclass(frozen=True)
class FoldView:
    task: str
    run: str  # the row's label and device
    protocol: str  # "kfold:5", "walk-forward:4"
    metric: str
    folds: tuple[tuple[int, float, int], ...]  # (fold, metric mean over seeds, test samples)
    mean: float
    overall: float | None  # walk-forward RMSE over every window's predictions

    @property
    def kind(self) -> str:
        return self.protocol.partition(":")[0]


def fold_views(records: list[RunRecord]) -> list[FoldView]:
    """A view per summary row whose ok runs have folds, in the summary's row order (grouped
    as the summary groups them; no statistics computed)."""
    out = []
    for task, info, key, group in row_groups(records):
        ok = [r for r in group if r.status is Status.OK and r.fold]
        if not ok:
            continue
        metric = info.metric
        by_fold: dict[int, list[RunRecord]] = defaultdict(list)
        for r in ok:
            by_fold[int(r.fold.rpartition("/")[2])].append(r)
        folds = []
        for index, recs in sorted(by_fold.items()):
            values = [v for r in recs if (v := finite(r.value(metric))) is not None]
            n = int(finite(recs[0].value("test_samples")) or 0)
            if values:
                folds.append((index, sum(values) / len(values), n))
        if not folds:
            continue
        protocol = ok[0].fold.rpartition("/")[0]
        mean = sum(v for _, v, _ in folds) / len(folds)
        overall = None
        if metric == "rmse" and all(n for _, _, n in folds):
            overall = math.sqrt(sum(n * v * v for _, v, n in folds) / sum(n for *_, n in folds))
        out.append(FoldView(task, f"{key.label} {key.device}", protocol, metric,
                            tuple(folds), mean, overall))
    return out
