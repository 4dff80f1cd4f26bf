"""scikit-learn baselines: multinomial logistic regression on pixels or on IMDB TF-IDF, and
the bias-only rating baseline (mean + user and item biases, ``sklearn_ratings``) on MovieLens.

A reference point for the neural backends, not a competitor in speed per epoch:
* epochs are meaningless for a full-batch solver: ``single_fit = True`` tells the trainer to run
  one "epoch", and a repeated ``train_epoch`` returns the first fit's loss without refitting;
  ``batch_size`` and the optimizer hyperparameters are ignored (C and max_iter are fixed below);
* pixels (MNIST, digits): flattened, standardized with train statistics, then L-BFGS;
* IMDB: TF-IDF on the raw review texts (word uni+bigrams, vocabulary from the training texts,
  fitted in ``build``), which ``training.data.prepare`` puts in ``extras`` for this backend only.
  The trainer passes token arrays; their rows are mapped back to texts by content;
* MovieLens: ridge regression on one-hot users and items (see ``sklearn_ratings``); its
  state is the ``BiasBaseline`` itself, and the loss is the training MSE;
* CPU only; ``threads`` limits the BLAS/OpenMP pools through threadpoolctl.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from trainsmart_bench.backends import user_models
from trainsmart_bench.backends.base import Backend, TaskData
from trainsmart_bench.backends.sklearn_ratings import BiasBaseline
from trainsmart_bench.mode import EAGER, Mode
from trainsmart_bench.tasks.spec import ResolvedTask

PIXEL_DATASETS = ("mnist", "digits")
TEXT_DATASETS = ("imdb",)
RATING_DATASETS = ("ml-100k", "ml-latest-small")
SPLITS = ("train", "val", "test")


@dataclass
class SklearnState:
    model: Pipeline
    n_classes: int
    n_features: int
    texts: _TextLookup | None = None  # IMDB: token rows -> TF-IDF features
    loss: float | None = None  # training log-loss of the one fit


class SklearnBackend(Backend):
    name: ClassVar[str] = "sklearn"
    framework: ClassVar[str] = "sklearn"
    single_fit: ClassVar[bool] = True  # read by the trainer: one fit, not epochs
    C: ClassVar[float] = 1.0
    text_C: ClassVar[float] = 4.0  # TF-IDF features are sparse and unit-norm: weaker penalty
    max_iter: ClassVar[int] = 300

    def __init__(self) -> None:
        self.seed = 0

    def check(self, task: ResolvedTask, device: str) -> None:
        if device != "cpu":
            raise NotImplementedError("scikit-learn runs on the CPU only")
        if user_models.is_user(task):
            user_models.builder(task, "sklearn")  # none: a recorded skip
            return
        if task.spec.loss == "mse" and task.spec.dataset in RATING_DATASETS:
            return  # the bias-only baseline
        if not task.spec.is_classification:
            raise NotImplementedError(f"{task.spec.name}: no logistic-regression baseline for "
                                      f"a {task.spec.loss} task")
        if task.spec.dataset not in PIXEL_DATASETS + TEXT_DATASETS:
            raise NotImplementedError(
                f"{task.spec.name}: logistic regression on raw {task.spec.dataset} inputs is "
                f"not a meaningful baseline (have: {PIXEL_DATASETS + TEXT_DATASETS})")

    def setup(self, device: str, threads: int, seed: int, mode: Mode = EAGER) -> None:
        threadpool_limits(limits=int(threads))  # kept for the life of the process
        self.seed = int(seed)

    def version(self) -> str:
        return sklearn.__version__

    def build(self, task: ResolvedTask, data: TaskData) -> Any:
        self.check(task, "cpu")
        if user_models.is_user(task):
            est = user_models.build(task, data, "sklearn", object, "an estimator")
            for method in ("fit", "predict_proba" if task.spec.is_classification else "predict"):
                if not callable(getattr(est, method, None)):
                    raise TypeError(f"user task {task.spec.name!r}: its sklearn= factory returned "
                                    f"{type(est).__name__}, which has no {method}()")
            return UserEstimator(est, int(data.n_outputs), task.spec.is_classification)
        if task.spec.dataset in RATING_DATASETS:
            ex = data.extras
            return BiasBaseline(ex["n_users"], ex["n_items"], ex.get("mean"))
        n_classes = int(data.n_outputs)
        if task.spec.dataset in TEXT_DATASETS:
            texts = _TextLookup(data)
            lr = LogisticRegression(C=self.text_C, max_iter=self.max_iter,
                                    random_state=self.seed)
            return SklearnState(make_pipeline(lr), n_classes, texts.n_features, texts)
        lr = LogisticRegression(C=self.C, max_iter=self.max_iter, random_state=self.seed)
        return SklearnState(make_pipeline(StandardScaler(), lr), n_classes,
                            math.prod(data.input_shape))

    def train_epoch(self, state: SklearnState, x: np.ndarray, y: np.ndarray,
                    batch_size: int, order: np.ndarray | None = None) -> float:
        # a full-batch solver: the row order does not matter
        if isinstance(state, (BiasBaseline, UserEstimator)):
            return state.fit(x, y)
        if state.loss is not None:  # one fit per run; later "epochs" change nothing
            return state.loss
        features = self._features(state, x)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            state.model.fit(features, y)
        state.loss = float(log_loss(y, self._proba(state, features),
                                    labels=np.arange(state.n_classes)))
        return state.loss

    def predict(self, state: SklearnState, x: np.ndarray, batch_size: int) -> np.ndarray:
        if isinstance(state, (BiasBaseline, UserEstimator)):
            return state.predict(x)
        return self._proba(state, self._features(state, x))

    @staticmethod
    def _features(state: SklearnState, x: np.ndarray) -> Any:
        if state.texts is not None:
            return state.texts.features(x)
        return np.asarray(x, np.float32).reshape(len(x), -1)

    @staticmethod
    def _proba(state: SklearnState, features: Any) -> np.ndarray:
        """(N, n_classes) even when a class was absent from the training labels."""
        out = np.zeros((features.shape[0], state.n_classes), np.float32)
        out[:, _lr(state).classes_] = state.model.predict_proba(features)
        return out

    def _shapes(self, state: SklearnState) -> tuple[tuple[int, int], tuple[int]]:
        k = 1 if state.n_classes == 2 else state.n_classes  # sklearn: one column when binary
        return (state.n_features, k), (k,)

    model_format: ClassVar[str] = "joblib"  # scikit-learn's documented persistence

    def save_model(self, state: Any, path: Any) -> None:
        import joblib

        if isinstance(state, SklearnState) and state.texts is not None:
            raise NotImplementedError(
                "the TF-IDF baseline reads each review's raw text, looked up from the task's "
                "splits by its token row: it is not a model that serves token rows")
        joblib.dump(state, path)

    def load_model(self, path: Any, task: ResolvedTask, data: TaskData) -> Any:
        """The fitted estimator as it was saved (joblib unpickles: load only models this
        suite saved, which ``serving`` checks against their recorded digest first)."""
        import joblib

        return joblib.load(path)

    def param_count(self, state: SklearnState) -> int | None:
        if isinstance(state, UserEstimator):
            return state.param_count()
        if isinstance(state, BiasBaseline):
            return state.n_params
        (f, k), _ = self._shapes(state)
        return (f + 1) * k

    def get_weights(self, state: SklearnState) -> list[np.ndarray]:
        """[kernel (features, classes), bias]; zeros before the fit. Ratings: [b_user, b_item].
        A user estimator: none (one fit, nothing to restore)."""
        if isinstance(state, UserEstimator):
            return state.get_weights()
        if isinstance(state, BiasBaseline):
            return state.get_weights()
        lr = _lr(state)
        if not hasattr(lr, "coef_"):
            kernel, bias = self._shapes(state)
            return [np.zeros(kernel, np.float32), np.zeros(bias, np.float32)]
        return [lr.coef_.T.copy(), lr.intercept_.copy()]

    def set_weights(self, state: SklearnState, weights: list[np.ndarray]) -> None:
        if isinstance(state, UserEstimator):
            return
        if isinstance(state, BiasBaseline):
            state.set_weights(weights)
            return
        lr = _lr(state)
        if not hasattr(lr, "coef_"):
            raise RuntimeError("set_weights needs a fitted model (its scaler/vocabulary)")
        kernel, bias = weights
        if kernel.shape != lr.coef_.T.shape or bias.shape != lr.intercept_.shape:
            raise ValueError(f"expected shapes {lr.coef_.T.shape} and {lr.intercept_.shape}")
        lr.coef_, lr.intercept_ = np.array(kernel.T), np.array(bias)


class UserEstimator:
    """A user task's estimator: one ``fit`` on the flattened training rows; probabilities in
    the task's class order (a class absent from the training labels gets 0)."""

    def __init__(self, estimator: Any, n_outputs: int, classification: bool) -> None:
        self.estimator, self.n_outputs, self.classification = estimator, n_outputs, classification
        self.loss: float | None = None

    def fit(self, x: np.ndarray, y: np.ndarray) -> float:
        if self.loss is None:  # one fit per run; later "epochs" change nothing
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                self.estimator.fit(_flat(x), y)
            p = self.predict(x)
            self.loss = (float(log_loss(y, p, labels=np.arange(self.n_outputs)))
                         if self.classification else float(np.mean((p - y) ** 2)))
        return self.loss

    def predict(self, x: np.ndarray) -> np.ndarray:
        if not self.classification:
            return np.asarray(self.estimator.predict(_flat(x)), np.float32).reshape(len(x))
        out = np.zeros((len(x), self.n_outputs), np.float32)
        out[:, np.asarray(self.estimator.classes_, int)] = self.estimator.predict_proba(_flat(x))
        return out

    def param_count(self) -> int | None:
        """Sizes of the fitted array attributes (coef_, coefs_, intercept_, ...); None before
        the fit, or for an estimator with none (a forest's parameters are not arrays)."""
        total = 0
        for name, v in vars(self.estimator).items():
            if name.endswith("_") and not name.startswith("_"):
                arrays = v if isinstance(v, list) else [v]
                total += sum(a.size for a in arrays if isinstance(a, np.ndarray)
                             and np.issubdtype(a.dtype, np.floating))
        return total or None

    def get_weights(self) -> list[np.ndarray]:
        return []


def _flat(x: np.ndarray) -> np.ndarray:
    return np.asarray(x).reshape(len(x), -1)


def _lr(state: SklearnState) -> LogisticRegression:
    return state.model[-1]


class _TextLookup:
    """Finds the raw text of each token row (rows are matched within one split, by content)."""

    def __init__(self, data: TaskData) -> None:
        self.splits: dict[str, tuple[dict[int, int], list[str]]] = {}
        for split in SPLITS:
            texts = data.extras.get(f"texts_{split}")
            x = getattr(data, f"x_{split}")
            if texts is None:
                raise NotImplementedError(f"needs raw texts (extras['texts_{split}'] is missing)")
            if len(texts) != len(x):
                raise ValueError(f"texts_{split} has {len(texts)} texts for {len(x)} rows")
            index: dict[int, int] = {}
            for i, key in enumerate(_row_keys(x)):
                index.setdefault(key, i)
            self.splits[split] = (index, list(texts))
        self.vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, max_df=0.95,
                                          sublinear_tf=True, dtype=np.float32)
        self.vectorizer.fit(self.splits["train"][1])
        self.n_features = len(self.vectorizer.vocabulary_)

    def texts(self, x: np.ndarray) -> list[str]:
        keys = _row_keys(x)
        for index, texts in self.splits.values():
            rows = [index.get(k) for k in keys]
            if None not in rows:
                return [texts[r] for r in rows]
        raise ValueError("these token rows are not all from one of the task's train/val/test "
                         "splits, so their raw texts are unknown")

    def features(self, x: np.ndarray) -> Any:
        return self.vectorizer.transform(self.texts(x))


def _row_keys(x: np.ndarray) -> list[int]:
    x = np.ascontiguousarray(x)
    return [hash(row.tobytes()) for row in x]
