"""Image augmentation: crop, flip and rotation on NHWC batches, and the ``augment`` switch."""

from __future__ import annotations

import numpy as np
import pytest

from trainsmart_bench.errors import ConfigError
from trainsmart_bench.tasks import get_task
from trainsmart_bench.training.augment import augment, options, rotate_images


def _images(n: int = 64, h: int = 8, w: int = 8, c: int = 3) -> np.ndarray:
    return np.random.default_rng(0).random((n, h, w, c)).astype(np.float32)


def test_crop_and_flip_shapes_and_content():
    x = _images()
    y = augment(x, np.random.default_rng(1), crop_pad=2, flip=True)
    assert y.shape == x.shape and y.dtype == x.dtype
    flipped = augment(x, np.random.default_rng(1), crop_pad=0, flip=True)
    changed = [i for i in range(64) if not np.array_equal(flipped[i], x[i])]
    assert 10 < len(changed) < 54
    assert all(np.array_equal(flipped[i], x[i, :, ::-1]) for i in changed)


def test_the_same_seed_gives_the_same_epoch_and_another_seed_another():
    x = _images()
    spec = {"crop_pad": 2, "flip": True, "rotate": 15}
    a = augment(x, np.random.default_rng(7), **spec)
    b = augment(x, np.random.default_rng(7), **spec)
    c = augment(x, np.random.default_rng(8), **spec)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert a is not x and np.array_equal(x, _images())  # the input is never changed


def test_rotation_keeps_shape_and_dtype_and_moves_pixels():
    x = _images(n=40, h=9, w=11, c=2)
    y = augment(x, np.random.default_rng(3), rotate=15)
    assert y.shape == x.shape and y.dtype == x.dtype
    assert sum(not np.allclose(y[i], x[i]) for i in range(40)) >= 38
    assert np.isfinite(y).all() and y.min() >= 0.0 and y.max() <= 1.0  # convex combinations


def test_zero_angle_is_the_identity():
    x = _images()
    np.testing.assert_array_equal(rotate_images(x, np.zeros(len(x))), x)


def test_quarter_turn_is_rot90_on_a_small_image():
    x = np.arange(2 * 5 * 5 * 2, dtype=np.float32).reshape(2, 5, 5, 2)
    turned = rotate_images(x, np.full(2, np.pi / 2))
    np.testing.assert_allclose(turned, np.rot90(x, k=1, axes=(1, 2)), atol=1e-5)
    back = rotate_images(x, np.full(2, -np.pi / 2))
    np.testing.assert_allclose(back, np.rot90(x, k=-1, axes=(1, 2)), atol=1e-5)


def test_a_small_angle_turns_the_image_about_its_centre():
    """A single bright pixel one step right of the centre moves up (counter-clockwise) by
    sin(angle), spread bilinearly over its neighbours; nothing falls outside."""
    x = np.zeros((1, 9, 9, 1), np.float32)
    x[0, 4, 6, 0] = 1.0  # centre (4, 4), offset (0, +2)
    angle = np.deg2rad(15.0)
    y = rotate_images(x, np.array([angle]))[0, :, :, 0]
    rows, cols = np.indices(y.shape)
    mass = y.sum()
    assert mass == pytest.approx(1.0, abs=0.02)
    centre_row = (rows * y).sum() / mass
    centre_col = (cols * y).sum() / mass
    assert centre_row == pytest.approx(4 - 2 * np.sin(angle), abs=0.05)
    assert centre_col == pytest.approx(4 + 2 * np.cos(angle), abs=0.05)


def test_corners_outside_the_source_are_zero():
    x = np.ones((1, 8, 8, 1), np.float32)
    y = rotate_images(x, np.array([np.deg2rad(30.0)]))[0, :, :, 0]
    assert y[0, 0] == 0.0 and y[7, 7] == 0.0  # corners rotate in from outside
    assert y[4, 4] == pytest.approx(1.0)


def test_rotation_runs_in_chunks_like_one_batch(monkeypatch):
    from trainsmart_bench.training import augment as module

    x, angles = _images(n=10), np.linspace(-0.3, 0.3, 10)
    whole = rotate_images(x, angles)
    monkeypatch.setattr(module, "ROTATE_CHUNK", 3)
    np.testing.assert_array_equal(rotate_images(x, angles), whole)


def test_the_augment_hyperparameter_switches_the_declared_augmentation():
    spec = get_task("cifar10-resnet")
    assert spec.defaults["augment"] == "default"
    assert options(spec.resolve()) == dict(spec.augment)
    assert options(spec.resolve(augment="none")) == {}
    with pytest.raises(ConfigError, match="augment"):
        spec.resolve(augment="off")
    # tasks without augmentation have no switch
    assert "augment" not in get_task("mnist-mlp").defaults
    assert options(get_task("mnist-mlp").resolve()) == {}


def test_the_switch_is_part_of_the_run_parameters():
    spec = get_task("cifar10-resnet")
    assert spec.resolve(augment="none").params["augment"] == "none"
    assert spec.resolve("cpu").params["augment"] == "default"
