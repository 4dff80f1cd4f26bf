"""A small optimizer in Bayesmark's form: random start, then a (1+1) local search.

It runs under Bayesmark's own harness (``python optimizer.py ...``) and, unchanged, under
trainsmart: ``trainsmart tune --tuner bayesmark:examples/bayesmark_optimizer``.

The first ``n_init`` suggestions are uniform on each parameter's warped scale (log where the
``api_config`` says log). After that every suggestion perturbs the best point seen so far:
each real or int coordinate moves by Gaussian noise of ``step`` (a fraction of its warped
range), each bool or cat is redrawn with probability ``step``. The step grows after an
improvement and shrinks otherwise (the 1/5 success rule). A failed evaluation arrives as
``inf`` and never becomes the best.
"""

import numpy as np
from bayesmark.abstract_optimizer import AbstractOptimizer
from bayesmark.experiment import experiment_main


class LocalSearch(AbstractOptimizer):
    primary_import = None  # numpy only; Bayesmark then reports version "x.x.x"

    def __init__(self, api_config, n_init=8, step=0.25):
        AbstractOptimizer.__init__(self, api_config)
        self.n_init, self.step = int(n_init), float(step)
        # seeded from the global stream, which the harness seeds per study
        self.random = np.random.RandomState(np.random.randint(2**31 - 1))
        self.best_x, self.best_y, self.seen = None, np.inf, 0

    def _bounds(self, conf):
        if "values" in conf:
            lo, hi = min(conf["values"]), max(conf["values"])
        else:
            lo, hi = conf["range"]
        warp = np.log if conf.get("space") == "log" else (lambda v: v)
        return warp(lo), warp(hi)

    def _value(self, conf, w):
        """A point on the warped scale back in the parameter's own type and values."""
        lo, hi = self._bounds(conf)
        w = min(hi, max(lo, w))
        v = float(np.exp(w)) if conf.get("space") == "log" else float(w)
        if "values" in conf:
            values = np.asarray(conf["values"])
            v = values[np.argmin(np.abs(values - v))].item()
        if conf["type"] == "int":
            v = int(round(v))
        return v

    def _draw(self, conf, around=None):
        if conf["type"] == "bool":
            keep = around is not None and self.random.rand() > self.step
            return around if keep else bool(self.random.rand() < 0.5)
        if conf["type"] == "cat":
            keep = around is not None and self.random.rand() > self.step
            return around if keep else conf["values"][self.random.randint(len(conf["values"]))]
        lo, hi = self._bounds(conf)
        if around is None:
            return self._value(conf, self.random.uniform(lo, hi))
        w = np.log(around) if conf.get("space") == "log" else around
        return self._value(conf, w + self.random.normal(0.0, self.step * (hi - lo)))

    def suggest(self, n_suggestions=1):
        out = []
        for _ in range(n_suggestions):
            start = self.best_x is None or self.seen < self.n_init
            out.append({k: self._draw(c, None if start else self.best_x[k])
                        for k, c in sorted(self.api_config.items())})
        return out

    def observe(self, X, y):
        for x, value in zip(X, y):
            self.seen += 1
            improved = np.isfinite(value) and value < self.best_y
            if improved:
                self.best_x, self.best_y = dict(x), float(value)
            if self.seen > self.n_init:  # 1/5 rule: grow on success, shrink on failure
                self.step = min(0.5, self.step * 1.5) if improved else max(
                    0.01, self.step * 1.5 ** -0.25)


if __name__ == "__main__":
    experiment_main(LocalSearch)
