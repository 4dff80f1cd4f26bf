"""Evaluation protocols: how a task's data is cut into runs, one mechanism for every task.

* ``holdout`` (the default): the task's own train/test split, one run per seed;
* ``kfold:K``: K-fold cross-validation on the training data, one run per fold: fold i is the
  run's held-out (test) split, the rest is its training data, from which the usual validation
  split is carved (stratified for classes). The official test split is not used, so a
  cross-validated score never touches it. For ``movielens-100k-mf`` the folds are the five
  official u1..u5 (K must be 5);
* ``walk-forward:K`` (ratings only): ratings ordered by time, cut into K + 1 windows of equal
  count; window i is tested on by a model trained on every window before it (expanding), the
  way recommenders are validated against the future rather than a shuffle.

A fold is part of a run's identity (``Fold.identity``) and of its cell; results over the folds
of one configuration are summarized like seeds are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from trainsmart_bench.errors import ConfigError

KINDS = ("holdout", "kfold", "walk-forward")
RATINGS = ("ml-100k", "ml-latest-small")
FOLD_SEED = 0  # every seed, backend and tuner sees the same folds


@dataclass(frozen=True)
class Fold:
    kind: str
    k: int
    index: int  # 1..k

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.k}/{self.index}"

    def identity(self) -> dict[str, Any]:
        return {"name": self.kind, "k": self.k, "fold": self.index}

    @classmethod
    def from_label(cls, label: str | None) -> Fold | None:
        """``kfold:5/2`` -> Fold("kfold", 5, 2); None -> None."""
        if not label:
            return None
        kind, _, rest = label.partition(":")
        k, _, index = rest.partition("/")
        return cls(kind, int(k), int(index))


def parse(text: str | None) -> tuple[str, int]:
    """``kfold:5`` -> ("kfold", 5); None or ``holdout`` -> ("holdout", 1)."""
    if not text or text == "holdout":
        return "holdout", 1
    kind, _, k = text.partition(":")
    if kind not in KINDS[1:] or not k.isdigit():
        raise ConfigError(f"--protocol {text!r}: use holdout, kfold:K or walk-forward:K "
                          f"(e.g. kfold:5)")
    if not 2 <= int(k) <= 20:
        raise ConfigError(f"--protocol {text!r}: K must be between 2 and 20")
    return kind, int(k)


def folds(text: str | None, task: Any) -> list[Fold | None]:
    """The folds a protocol makes of ``task`` (a TaskSpec): ``[None]`` for holdout."""
    kind, k = parse(text)
    if kind == "holdout":
        return [None]
    if kind == "walk-forward" and task.dataset not in RATINGS:
        raise ConfigError(f"--protocol {text}: walk-forward needs timestamps; {task.name} is "
                          f"not a ratings task (use kfold:K)")
    if kind == "kfold" and task.data.get("split") == "official" and k != 5:
        raise ConfigError(f"--protocol {text}: {task.name} uses ml-100k's five official "
                          f"folds u1..u5; use kfold:5")
    return [Fold(kind, k, i) for i in range(1, k + 1)]


def kfold_indices(n: int, fold: Fold, labels: np.ndarray | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
    """(train, held-out) row indices of one fold; stratified where labels are given."""
    from sklearn.model_selection import KFold, StratifiedKFold

    if labels is not None:
        splitter = StratifiedKFold(fold.k, shuffle=True, random_state=FOLD_SEED)
        parts = list(splitter.split(np.zeros(n), labels))
    else:
        parts = list(KFold(fold.k, shuffle=True, random_state=FOLD_SEED).split(np.zeros(n)))
    train, held = parts[fold.index - 1]
    return np.sort(train).astype(np.int64), np.sort(held).astype(np.int64)


def walk_forward_indices(timestamps: np.ndarray, fold: Fold) -> tuple[np.ndarray, np.ndarray]:
    """(train, test) of window ``fold.index``: every earlier window trains (expanding)."""
    n = len(timestamps)
    order = np.lexsort((np.arange(n), timestamps))  # by time, ties by row
    edges = np.linspace(0, n, fold.k + 2).round().astype(int)
    train = order[: edges[fold.index]]
    test = order[edges[fold.index]: edges[fold.index + 1]]
    return np.sort(train).astype(np.int64), np.sort(test).astype(np.int64)
