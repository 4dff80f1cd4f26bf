"""The scikit-learn baselines: what they accept, one fit per run, texts found by token row."""

from __future__ import annotations

import numpy as np
import pytest

from tests.backends.backend_cases import make_backend, tiny_task
from trainsmart_bench.backends.base import TaskData
from trainsmart_bench.tasks import get_task


@pytest.fixture
def backend():
    return make_backend("sklearn")


def _digits_like(n: int = 120) -> TaskData:
    """Linearly separable 8x8 'images': the class sets one pixel high."""
    rng = np.random.default_rng(0)
    y = np.arange(n) % 10
    x = rng.normal(0, 0.1, (n, 8, 8, 1)).astype(np.float32)
    x.reshape(n, -1)[np.arange(n), y * 3] += 3.0
    return TaskData(x, y, x[:30], y[:30], x[30:60], y[30:60], 10, {}, dataset="digits")


def _reviews(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, list[str]]:
    y = rng.integers(0, 2, n).astype(np.int64)
    words = [("great", "wonderful", "superb"), ("awful", "boring", "terrible")]
    texts = [f"the film was {' '.join(rng.choice(words[c], 2))} really" for c in y]
    x = rng.integers(1, 1000, (n, 12)).astype(np.int32)  # stand-in token rows, all distinct
    return x, y, texts


def _imdb_like(with_texts: bool = True) -> TaskData:
    rng = np.random.default_rng(1)
    (xt, yt, tt), (xv, yv, tv), (xs, ys, ts) = (_reviews(n, rng) for n in (60, 20, 20))
    extras = {"num_words": 1000, "maxlen": 12}
    if with_texts:
        extras.update(texts_train=tt, texts_val=tv, texts_test=ts)
    return TaskData(xt, yt, xv, yv, xs, ys, 2, extras, dataset="imdb")


@pytest.mark.parametrize("task_name", ["cifar10-resnet", "movielens-mf"])
def test_rejects_tasks_without_a_linear_baseline(backend, task_name):
    with pytest.raises(NotImplementedError):
        backend.check(get_task(task_name).resolve(), "cpu")


def test_cpu_only(backend):
    assert not backend.device_available("cuda")
    with pytest.raises(NotImplementedError, match="CPU"):
        backend.check(get_task("digits-mlp").resolve(), "cuda")


def test_pixels_fit_once(backend):
    task, data = get_task("digits-mlp").resolve(), _digits_like()
    backend.check(task, "cpu")
    state = backend.build(task, data)
    assert backend.param_count(state) == 65 * 10
    loss = backend.train_epoch(state, data.x_train, data.y_train, 32)
    assert np.isfinite(loss)
    weights = backend.get_weights(state)
    assert [w.shape for w in weights] == [(64, 10), (10,)]
    # a second "epoch" refits nothing and reports the same loss
    assert backend.train_epoch(state, data.x_train[::-1], data.y_train[::-1], 32) == loss
    proba = backend.predict(state, data.x_test, 1024)
    assert proba.shape == (30, 10) and proba.dtype == np.float32
    assert (proba.argmax(1) == data.y_test).mean() == 1.0
    backend.set_weights(state, [np.zeros_like(w) for w in weights])
    np.testing.assert_allclose(backend.predict(state, data.x_test, 1024), 0.1, rtol=1e-6)


def test_text_needs_raw_texts(backend):
    with pytest.raises(NotImplementedError, match="needs raw texts"):
        backend.build(tiny_task("embed-pool"), _imdb_like(with_texts=False))


def test_text_fits_tfidf_and_finds_texts_by_row(backend):
    task, data = get_task("imdb-embed").resolve(), _imdb_like()
    state = backend.build(task, data)
    assert backend.param_count(state) == state.n_features + 1  # binary: one column
    order = np.random.default_rng(2).permutation(len(data.x_train))
    loss = backend.train_epoch(state, data.x_train[order], data.y_train[order], 128)
    assert np.isfinite(loss)
    for x, y in ((data.x_val, data.y_val), (data.x_test[:7], data.y_test[:7])):
        proba = backend.predict(state, x, 1024)
        assert proba.shape == (len(x), 2)
        assert (proba.argmax(1) == y).mean() == 1.0
    with pytest.raises(ValueError, match="not all from one"):
        backend.predict(state, data.x_val + 5000, 1024)
