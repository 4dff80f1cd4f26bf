"""Loading a dataset from its parsed-array cache: what every run does before it trains."""

from __future__ import annotations

import pytest

from trainsmart_bench.datasets import get_loader


@pytest.mark.parametrize("name", ["mnist", "cifar10"])
def test_parsed_cache_load(benchmark, installed_dataset, name):
    loader = get_loader(name, installed_dataset(name))
    ds = benchmark(loader.load)
    assert len(ds["x_train"]) == 60_000 if name == "mnist" else 50_000
