"""A user task: an MLP on scikit-learn's bundled breast-cancer data (569 rows, 30 features).

    trainsmart tasks examples/breast_cancer_task.py:TASK
    trainsmart check task examples/breast_cancer_task.py:TASK
    trainsmart run --task examples/breast_cancer_task.py:TASK \
        --backend torch,keras-tf,keras-jax,keras-torch,sklearn --mode eager,compiled --seeds 3
    trainsmart tune --task examples/breast_cancer_task.py:TASK --tuner random,optuna-tpe

One Keras 3 model runs unchanged on TensorFlow, JAX and PyTorch; the PyTorch module is the
same network with the same initialization (Glorot-uniform kernels, zero biases), so the
suite's comparison of the backends compares frameworks, not models. The suite compiles and
trains both (Adam, the loss from the metric, its batches and order).
"""

from __future__ import annotations

import numpy as np

from trainsmart_bench.space import Categorical, Float, SearchSpace
from trainsmart_bench.tasks.user import UserTask


def data() -> dict[str, np.ndarray]:
    """A stratified 80/20 split (seed 0); features standardized with the training rows."""
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split

    x, y = load_breast_cancer(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=0,
                                                        stratify=y)
    mean, std = x_train.mean(axis=0), x_train.std(axis=0)
    return {"x_train": ((x_train - mean) / std).astype(np.float32), "y_train": y_train,
            "x_test": ((x_test - mean) / std).astype(np.float32), "y_test": y_test}


def keras_model(task, info):
    """Input -> Dense(hidden, relu) -> Dropout -> Dense(classes): logits."""
    import keras

    init = {"kernel_initializer": "glorot_uniform", "bias_initializer": "zeros"}
    inputs = keras.Input(shape=info.input_shape)
    h = keras.layers.Dense(int(task["hidden"]), activation="relu", **init)(inputs)
    h = keras.layers.Dropout(info.dropout)(h)
    return keras.Model(inputs, keras.layers.Dense(info.n_outputs, **init)(h))


def torch_model(task, info):
    """The same network as ``keras_model``, initialized the same way."""
    from torch import nn

    hidden = int(task["hidden"])
    net = nn.Sequential(nn.Linear(info.input_shape[0], hidden), nn.ReLU(),
                        nn.Dropout(info.dropout), nn.Linear(hidden, info.n_outputs))
    for layer in net:
        if isinstance(layer, nn.Linear):
            nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)
    return net


def sklearn_model(task, info):
    """The linear baseline: L2-regularized logistic regression."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=1.0, max_iter=1000)


TASK = UserTask(
    name="breast-cancer-mlp",
    description="30-h-2 MLP on scikit-learn's breast-cancer data (bundled, no download)",
    data=data,
    metric="accuracy",
    target=0.95,
    defaults={"lr": 3e-3, "batch_size": 32, "epochs": 20, "hidden": 32, "dropout": 0.1,
              "weight_decay": 0.0, "patience": 0},
    space=SearchSpace({"lr": Float(1e-4, 1e-1, log=True), "hidden": Categorical((8, 32, 128)),
                       "dropout": Float(0.0, 0.5)}),
    keras=keras_model,
    torch=torch_model,
    sklearn=sklearn_model,
)
