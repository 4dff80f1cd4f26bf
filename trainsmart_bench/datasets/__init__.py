"""Datasets: one loader per dataset behind DatasetLoader, found through the registry."""

from __future__ import annotations

from trainsmart_bench.datasets.base import Dataset, DatasetLoader
from trainsmart_bench.datasets.cache import data_dir
from trainsmart_bench.registry import names, resolve

__all__ = ["Dataset", "DatasetLoader", "data_dir", "get_loader", "load", "names", "register"]

# Loaders made at run time: a user task's data ("plugin:<task>"), registered when its task loads.
_REGISTERED: dict[str, DatasetLoader] = {}


def register(loader: DatasetLoader) -> None:
    _REGISTERED[loader.name] = loader


def get_loader(name: str, data_dir: str | None = None) -> DatasetLoader:
    if name in _REGISTERED:
        return _REGISTERED[name]
    return resolve("dataset", name)(data_dir)


def load(name: str, data_dir: str | None = None) -> Dataset:
    return get_loader(name, data_dir).load()
