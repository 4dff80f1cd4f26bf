"""Every built-in task's model has the same parameter count in torch and Keras, at real shapes."""

from __future__ import annotations

import numpy as np
import pytest

from tests.backends.backend_cases import make_backend
from trainsmart_bench.backends.arch import arch_for, expected_param_count
from trainsmart_bench.backends.base import TaskData
from trainsmart_bench.tasks import get_task

# input shape, outputs, extras per dataset (MovieLens: the latest-small user/item counts)
SHAPES = {
    "mnist": ((28, 28, 1), 10, {}),
    "digits": ((8, 8, 1), 10, {}),
    "cifar10": ((32, 32, 3), 10, {}),
    "imdb": ((256,), 2, {"num_words": 20000}),
    "ml-latest-small": ((2,), 1, {"n_users": 610, "n_items": 9724, "mean": 3.5}),
}
# parameters + BN moving statistics (resnet: 2,240 and 672 of them are moving statistics)
EXPECTED = {
    ("mnist-mlp", None): 52_650,  # 784-64-32-10, as the Keras example
    ("mnist-cnn", None): 34_826,  # the Keras mnist_convnet example
    ("cifar10-resnet", None): 698_858,
    ("cifar10-resnet", "cpu"): 78_714,
    ("imdb-embed", None): 640_562,
    ("imdb-cnn", None): 1_300_674,
    ("movielens-mf", None): 1_043_734,
    ("digits-mlp", None): 2_410,
    # embedding 1,280,000 + BiLSTM 2 x 4 x 64 x (64 + 64 + 1) + dense 129 x 2
    ("imdb-lstm", None): 1_346_306,
    ("imdb-lstm", "cpu"): 656_770,
    # embeddings 1,280,000 + positions 256 x 64 + 2 blocks of 33,472 + final norm + dense
    ("imdb-transformer", None): 1_363_586,
    ("imdb-transformer", "cpu"): 661_314,
}


def _data(dataset: str, maxlen: int | None = None) -> TaskData:
    shape, n_out, extras = SHAPES[dataset]
    shape = (maxlen,) if maxlen else shape  # a task's maxlen hyperparameter sets the length
    x, y = np.zeros((2, *shape), np.float32), np.zeros(2, np.int64)
    return TaskData(x, y, x, y, x, y, n_out, extras)


@pytest.fixture(scope="module")
def backends():
    return make_backend("torch"), make_backend("keras")


@pytest.mark.parametrize(("task_name", "profile"), list(EXPECTED))
def test_param_counts_match(backends, task_name, profile):
    spec = get_task(task_name)
    task = spec.resolve(profile)
    data = _data(spec.dataset, task.get("maxlen"))
    counts = {b.name: b.param_count(b.build(task, data)) for b in backends}
    assert counts == {"torch": EXPECTED[task_name, profile], "keras": EXPECTED[task_name, profile]}
    assert expected_param_count(arch_for(task, data)) == EXPECTED[task_name, profile]


@pytest.mark.parametrize("task_name", ["imdb-lstm", "imdb-transformer"])
def test_sequence_models_agree_with_the_frameworks_own_counts(backends, task_name):
    """Keras' count_params and torch's trainable parameters (torch's frozen zero b_hh of the
    LSTM aside, which Keras folds into its one bias) against the exchanged arrays."""
    torch_b, keras_b = backends
    task = get_task(task_name).resolve("cpu")
    data = _data("imdb", task.get("maxlen"))
    expected = EXPECTED[task_name, "cpu"]
    assert keras_b.build(task, data).model.count_params() == expected
    module = torch_b.build(task, data).model
    assert sum(p.numel() for p in module.parameters() if p.requires_grad) == expected


def test_keras_agrees_with_its_own_count(backends):
    _, keras_b = backends
    spec = get_task("cifar10-resnet")
    state = keras_b.build(spec.resolve(), _data("cifar10"))
    assert state.model.count_params() == 698_858
    non_trainable = sum(int(np.prod(w.shape)) for w in state.model.non_trainable_weights)
    assert non_trainable == 2_240
