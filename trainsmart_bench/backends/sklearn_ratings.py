"""The bias-only rating baseline recommender papers report: global mean + user and item biases.

``r_hat(u, i) = mu + b_u + b_i``, with ``mu`` the mean training rating (the same constant
the neural ``mf`` model adds, ``TaskData.extras["mean"]``) and the biases minimizing

    sum over training ratings (r - mu - b_u - b_i)^2 + REG_USER * sum b_u^2 + REG_ITEM * sum b_i^2,

the objective of Koren's baseline predictors and of Surprise's ``BaselineOnly``, whose ALS
defaults we take (reg_u = 15, reg_i = 10). It is solved as one ridge regression
(``sklearn.linear_model.Ridge``, alpha = 1, no intercept) on one-hot user and item columns
(``scipy.sparse``), each column scaled by 1/sqrt(reg): a coefficient w on a column scaled by s
is the bias b = s * w, and its penalty w^2 = b^2 / s^2 = reg * b^2. Surprise approaches the
same minimum by alternating least squares (10 sweeps); here the solver (conjugate gradients)
runs to a tight tolerance.

A user or item without training ratings keeps bias 0, so its prediction falls back on the
mean. Predictions are not clipped to the rating scale (neither are the neural models').
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from sklearn.linear_model import Ridge

REG_USER = 15.0
REG_ITEM = 10.0
TOL = 1e-10  # conjugate-gradient tolerance: the biases agree with a direct solve to ~1e-6


class BiasBaseline:
    """The model and its state for the scikit-learn backend (one fit per run)."""

    def __init__(self, n_users: int, n_items: int, mean: float | None = None,
                 reg_user: float = REG_USER, reg_item: float = REG_ITEM) -> None:
        self.n_users, self.n_items = int(n_users), int(n_items)
        self.mean = mean
        self.scale = np.concatenate([np.full(self.n_users, 1.0 / np.sqrt(reg_user)),
                                     np.full(self.n_items, 1.0 / np.sqrt(reg_item))])
        self.user_bias = np.zeros(self.n_users, np.float32)
        self.item_bias = np.zeros(self.n_items, np.float32)
        self.loss: float | None = None  # training MSE of the one fit

    @property
    def n_params(self) -> int:
        return self.n_users + self.n_items

    def design(self, x: np.ndarray) -> sparse.csr_matrix:
        """(N, n_users + n_items): the scaled one-hot columns of each (user, item) row."""
        x = np.asarray(x)
        n = len(x)
        cols = np.stack([x[:, 0], self.n_users + x[:, 1]], axis=1).ravel()
        vals = self.scale[cols]
        rows = np.repeat(np.arange(n), 2)
        return sparse.csr_matrix((vals, (rows, cols)), shape=(n, self.n_params))

    def fit(self, x: np.ndarray, y: np.ndarray) -> float:
        """Fit once; a second call returns the first fit's training MSE."""
        if self.loss is not None:
            return self.loss
        y = np.asarray(y, np.float64)
        if self.mean is None:
            self.mean = float(y.mean())
        ridge = Ridge(alpha=1.0, fit_intercept=False, solver="sparse_cg", tol=TOL)
        ridge.fit(self.design(x), y - self.mean)
        biases = ridge.coef_ * self.scale
        self.user_bias = biases[: self.n_users].astype(np.float32)
        self.item_bias = biases[self.n_users:].astype(np.float32)
        self.loss = float(np.mean((self.predict(x) - y) ** 2))
        return self.loss

    def predict(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        mean = 0.0 if self.mean is None else self.mean
        out = mean + self.user_bias[x[:, 0]] + self.item_bias[x[:, 1]]
        return out.astype(np.float32)

    def get_weights(self) -> list[np.ndarray]:
        return [self.user_bias.copy(), self.item_bias.copy()]

    def set_weights(self, weights: list[np.ndarray]) -> None:
        if len(weights) != 2:
            raise ValueError(f"expected 2 arrays (user and item biases), got {len(weights)}")
        user, item = (np.asarray(w, np.float32) for w in weights)
        if user.shape != self.user_bias.shape or item.shape != self.item_bias.shape:
            raise ValueError(f"expected shapes {self.user_bias.shape} and {self.item_bias.shape}")
        self.user_bias, self.item_bias = user.copy(), item.copy()
