"""The embedded digits dataset, and the shared validation split."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from trainsmart_bench.datasets import get_loader
from trainsmart_bench.datasets.digits import Digits
from trainsmart_bench.datasets.splits import validation_split
from trainsmart_bench.errors import ConfigError, DataError

# -- digits -----------------------------------------------------------------------------------


def test_digits_load_needs_no_fetch_and_keeps_only_its_split(data_dir):
    loader = get_loader("digits", str(data_dir))
    assert isinstance(loader, Digits) and loader.is_ready()
    ds = loader.load()
    assert ds.source == "embedded"
    assert ds["x_train"].shape == (1347, 8, 8) and ds["x_test"].shape == (450, 8, 8)
    assert ds["x_train"].dtype == np.uint8 and int(ds["x_train"].max()) == 16
    assert sorted(np.unique(ds["y_test"]).tolist()) == list(range(10))
    assert [p.name for p in data_dir.rglob("*") if p.is_file()] == [loader.split_cache().name]
    assert Digits(data_dir).load().checksum == ds.checksum


def test_a_kept_digits_split_loads_without_scikit_learn(data_dir):
    """The second run of a digits task does not import scikit-learn (about a second)."""
    first = Digits(data_dir).load()
    code = ("import sys; from trainsmart_bench.datasets.digits import Digits; "
            f"ds = Digits({str(data_dir)!r}).load(); "
            "print(ds.checksum, any(m.split('.')[0] == 'sklearn' for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == [first.checksum, "False"]


def test_a_tampered_digits_split_is_rebuilt(data_dir):
    loader = Digits(data_dir)
    good = loader.load()
    with np.load(loader.split_cache()) as f:
        arrays = {k: f[k] for k in f.files}
    arrays["y_test"] = (arrays["y_test"] + 1) % 10  # labels changed, digest kept
    np.savez(loader.split_cache(), **arrays)
    assert Digits(data_dir).load().checksum == good.checksum
    loader.split_cache().write_bytes(b"not an npz")
    assert Digits(data_dir).load().checksum == good.checksum


def test_digits_split_is_stratified_and_deterministic(data_dir):
    a, b = Digits(data_dir).load(), Digits(data_dir).load()
    assert a.checksum == b.checksum and len(a.checksum) == 64
    for key in a.arrays:
        np.testing.assert_array_equal(a[key], b[key])
    train = np.bincount(a["y_train"], minlength=10) / len(a["y_train"])
    test = np.bincount(a["y_test"], minlength=10) / len(a["y_test"])
    assert np.abs(train - test).max() < 0.01


def test_digits_fetch_verify_info_and_import(data_dir):
    loader = Digits(data_dir)
    for manifest in (loader.fetch(progress=False), loader.verify(), loader.require()):
        assert manifest["source"] == "embedded"
        assert manifest["checksum"] == loader.load().checksum
        assert manifest["summary"]["test"]["count"] == 450
    with pytest.raises(DataError, match="embedded"):
        loader.import_(data_dir)


# -- validation split -------------------------------------------------------------------------


def test_validation_split_from_a_count():
    train, val = validation_split(100, 0.1, seed=0)
    assert len(val) == 10 and len(train) == 90
    assert np.intersect1d(train, val).size == 0
    np.testing.assert_array_equal(np.union1d(train, val), np.arange(100))
    assert (np.diff(train) > 0).all() and (np.diff(val) > 0).all()
    assert train.dtype == np.int64 and val.dtype == np.int64
    np.testing.assert_array_equal(validation_split(100, 0.1, seed=0)[1], val)
    assert not np.array_equal(validation_split(100, 0.1, seed=1)[1], val)


def test_validation_split_is_stratified():
    labels = np.repeat([0, 1, 2], [50, 30, 20])[np.random.default_rng(3).permutation(100)]
    train, val = validation_split(labels, 0.2, seed=0)
    assert np.bincount(labels[val]).tolist() == [10, 6, 4]
    assert np.intersect1d(train, val).size == 0 and len(train) + len(val) == 100
    np.testing.assert_array_equal(validation_split(labels, 0.2, seed=0)[1], val)


def test_validation_split_rounding_keeps_the_total():
    labels = np.array(["a"] * 7 + ["b"] * 7 + ["c"] * 7)  # 21 rows, 10% -> 2 rows
    train, val = validation_split(labels, 0.1, seed=5)
    assert len(val) == 2 and len(train) == 19
    assert np.bincount(np.unique(labels, return_inverse=True)[1][val], minlength=3).max() == 1


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1, 0.001])
def test_validation_split_rejects_bad_fractions(fraction):
    with pytest.raises(ConfigError):
        validation_split(50, fraction)
