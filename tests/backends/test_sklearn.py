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


def test_rejects_tasks_without_a_linear_baseline(backend):
    with pytest.raises(NotImplementedError):
        backend.check(get_task("cifar10-resnet").resolve(), "cpu")


@pytest.mark.parametrize("task_name", ["movielens-mf", "movielens-100k-mf", "imdb-lstm",
                                       "imdb-transformer"])
def test_every_rating_and_text_task_has_a_baseline(backend, task_name):
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


# -- the bias-only rating baseline -----------------------------------------------------------


def _ratings(n_users: int = 30, n_items: int = 40, n: int = 900, seed: int = 0):
    """Ratings = 3.5 + user bias + item bias + noise; returns (x, y, true biases)."""
    rng = np.random.default_rng(seed)
    bu, bi = rng.normal(0, 0.5, n_users), rng.normal(0, 0.7, n_items)
    pairs = rng.choice(n_users * n_items, n, replace=False)
    x = np.stack([pairs // n_items, pairs % n_items], axis=1).astype(np.int32)
    y = (3.5 + bu[x[:, 0]] + bi[x[:, 1]] + rng.normal(0, 0.3, n)).astype(np.float32)
    return x, y, bu, bi


def _ratings_data(extras_mean: bool = True) -> TaskData:
    x, y, _, _ = _ratings()
    tr, va, te = slice(0, 600), slice(600, 750), slice(750, 900)
    extras = {"n_users": 31, "n_items": 41}  # one user and one item never rated
    if extras_mean:
        extras["mean"] = float(y[tr].mean())
    return TaskData(x[tr], y[tr], x[va], y[va], x[te], y[te], 1, extras, dataset="ml-100k")


def test_bias_baseline_solves_the_regularized_least_squares_exactly(backend):
    """The biases are the minimum of sum (r - mu - b_u - b_i)^2 + 15 |b_u|^2 + 10 |b_i|^2,
    here found by a dense solve of its normal equations."""
    data = _ratings_data()
    task = get_task("movielens-100k-mf").resolve()
    state = backend.build(task, data)
    loss = backend.train_epoch(state, data.x_train, data.y_train, 256)
    bu, bi = backend.get_weights(state)
    assert bu.shape == (31,) and bi.shape == (41,)
    assert backend.param_count(state) == 31 + 41
    x, r = data.x_train, data.y_train.astype(np.float64) - data.extras["mean"]
    a = np.zeros((len(x), 72))
    a[np.arange(len(x)), x[:, 0]] = 1.0
    a[np.arange(len(x)), 31 + x[:, 1]] = 1.0
    reg = np.diag(np.r_[np.full(31, 15.0), np.full(41, 10.0)])
    exact = np.linalg.solve(a.T @ a + reg, a.T @ r)
    np.testing.assert_allclose(np.r_[bu, bi], exact, atol=1e-5)
    assert bu[30] == 0.0 and bi[40] == 0.0  # never rated: no bias
    pred = data.extras["mean"] + exact[x[:, 0]] + exact[31 + x[:, 1]]
    assert loss == pytest.approx(np.mean((pred - data.y_train) ** 2), rel=1e-5)
    # one fit per run: a second "epoch" changes nothing
    assert backend.train_epoch(state, data.x_train[::-1], data.y_train[::-1], 256) == loss


def test_bias_baseline_beats_the_mean_and_approaches_the_noise(backend):
    data = _ratings_data()
    state = backend.build(get_task("movielens-mf").resolve(), data)
    backend.train_epoch(state, data.x_train, data.y_train, 256)
    pred = backend.predict(state, data.x_test, 1024)
    assert pred.shape == (len(data.x_test),) and pred.dtype == np.float32
    rmse = float(np.sqrt(np.mean((pred - data.y_test) ** 2)))
    mean_rmse = float(np.sqrt(np.mean((data.extras["mean"] - data.y_test) ** 2)))
    assert rmse < 0.7 * mean_rmse
    assert rmse < 0.5  # noise 0.3; biases estimated from ~20 ratings each, shrunk
    unseen = np.array([[30, 0], [0, 40], [30, 40]], np.int32)
    bu, bi = backend.get_weights(state)
    np.testing.assert_allclose(backend.predict(state, unseen, 8),
                               data.extras["mean"] + np.array([bi[0], bu[0], 0.0]), rtol=1e-6)


def test_bias_baseline_weights_round_trip(backend):
    data = _ratings_data(extras_mean=False)  # without the mean in extras: the fit's own
    state = backend.build(get_task("movielens-mf").resolve(), data)
    backend.train_epoch(state, data.x_train, data.y_train, 256)
    assert state.mean == pytest.approx(float(data.y_train.mean()))
    saved, before = backend.get_weights(state), backend.predict(state, data.x_val, 8)
    backend.set_weights(state, [np.zeros_like(w) for w in saved])
    np.testing.assert_allclose(backend.predict(state, data.x_val, 8), state.mean, rtol=1e-6)
    backend.set_weights(state, saved)
    np.testing.assert_array_equal(backend.predict(state, data.x_val, 8), before)
    with pytest.raises(ValueError):
        backend.set_weights(state, saved[:1])


def test_bias_baseline_trains_through_the_loop_and_records_rmse_and_mae(backend):
    from trainsmart_bench.training.loop import train

    data = _ratings_data()
    result = train(backend, get_task("movielens-100k-mf").resolve(), data, seed=0)
    assert result.metrics["epochs_trained"] == 1
    assert 0 < result.metrics["rmse"] < 0.5 and 0 < result.metrics["mae"] < result.metrics["rmse"]
    assert result.metrics["param_count"] == 72


@pytest.mark.parametrize(("task_name", "dataset"), [("movielens-100k-mf", "ml-100k"),
                                                    ("movielens-mf", "ml-latest-small")])
def test_bias_baseline_runs_on_format_faithful_movielens_copies(backend, tmp_path, monkeypatch,
                                                                task_name, dataset):
    """Through the real preparation (ml-100k: the official u1 fold) on the tiny fixtures."""
    from tests.datasets.dataset_builders import write_latest, write_ml100k
    from trainsmart_bench.datasets import get_loader
    from trainsmart_bench.training.data import prepare
    from trainsmart_bench.training.loop import train

    write = write_ml100k if dataset == "ml-100k" else write_latest
    loader = get_loader(dataset, str(tmp_path / "data"))
    monkeypatch.setattr(type(loader), "expected", None)  # the fixtures are tiny
    loader.import_(write(tmp_path / "src"))
    task = get_task(task_name).resolve()
    data = prepare(task, str(tmp_path / "data"), backend="sklearn")
    result = train(backend, task, data, seed=0)
    assert np.isfinite(result.metrics["rmse"]) and np.isfinite(result.metrics["mae"])
    assert result.metrics["param_count"] == data.extras["n_users"] + data.extras["n_items"]
