"""Image augmentation for NHWC batches: random crop, horizontal flip, small random rotation.

Vectorized in numpy over a whole epoch, every random draw from the generator passed in (the
training loop's), so one seed gives every backend the same augmented epoch. A task declares
what it uses (``TaskSpec.augment``, e.g. ``{"crop_pad": 4, "flip": True, "rotate": 15}``);
the ``augment`` hyperparameter switches it: ``"default"`` applies the declaration, ``"none"``
trains on the plain images (``--set augment=none``). Being a hyperparameter, the choice is
part of a run's identity.

* crop: zero-pad ``crop_pad`` pixels on every side, cut a random window of the original size;
* flip: mirror left-right with probability 1/2;
* rotate: turn each image by an angle drawn uniformly from [-rotate, +rotate] degrees about
  its centre, bilinear interpolation, zeros where the source falls outside the image (the
  same fill as the crop's padding; on normalized images zero is the mean colour).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from trainsmart_bench.errors import ConfigError
from trainsmart_bench.tasks.hyperparams import AUGMENT_CHOICES, AUGMENT_DEFAULT, AUGMENT_OFF
from trainsmart_bench.tasks.spec import ResolvedTask

ROTATE_CHUNK = 2048  # images rotated at once: bounds the index and weight arrays' memory
OPTIONS = ("crop_pad", "flip", "rotate")


def options(task: ResolvedTask) -> Mapping[str, Any]:
    """The augmentation a run applies: the task's declaration, or nothing when switched off."""
    choice = task.get("augment", AUGMENT_DEFAULT if task.spec.augment else AUGMENT_OFF)
    if choice not in AUGMENT_CHOICES:
        raise ConfigError(f"augment={choice!r}: choose one of {', '.join(AUGMENT_CHOICES)}")
    declared = dict(task.spec.augment)
    unknown = set(declared) - set(OPTIONS)
    if unknown:
        raise ConfigError(f"task {task.spec.name!r}: unknown augmentation {sorted(unknown)} "
                          f"(have: {', '.join(OPTIONS)})")
    return declared if choice == AUGMENT_DEFAULT else {}


def augment(x: np.ndarray, rng: np.random.Generator, crop_pad: int = 0, flip: bool = False,
            rotate: float = 0.0) -> np.ndarray:
    """Crop, then flip, then rotate a batch of NHWC images; returns a new array (x is kept)."""
    n, h, w, _ = x.shape
    out = x
    if crop_pad:
        p = int(crop_pad)
        padded = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))
        dy = rng.integers(0, 2 * p + 1, n)
        dx = rng.integers(0, 2 * p + 1, n)
        rows = dy[:, None] + np.arange(h)[None, :]
        cols = dx[:, None] + np.arange(w)[None, :]
        out = padded[np.arange(n)[:, None, None], rows[:, :, None], cols[:, None, :]]
    if flip:
        mask = rng.random(n) < 0.5
        out = out.copy() if out is x else out
        out[mask] = out[mask, :, ::-1]
    if rotate:
        angles = np.deg2rad(rng.uniform(-float(rotate), float(rotate), n))
        out = rotate_images(out, angles)
    return out.copy() if out is x else out


def rotate_images(x: np.ndarray, angles: np.ndarray) -> np.ndarray:
    """Each image of NHWC ``x`` turned by its angle (radians, counter-clockwise as displayed)
    about its centre; bilinear, zeros outside. ``rotate_images(x, [pi/2])`` is ``np.rot90``."""
    out = np.empty_like(x)
    for start in range(0, len(x), ROTATE_CHUNK):
        end = start + ROTATE_CHUNK
        out[start:end] = _rotate_chunk(x[start:end], angles[start:end])
    return out


def _rotate_chunk(x: np.ndarray, angles: np.ndarray) -> np.ndarray:
    n, h, w, _ = x.shape
    cy, cx = (h - 1) / 2.0, (w - 1) / 2.0
    dy, dx = np.meshgrid(np.arange(h) - cy, np.arange(w) - cx, indexing="ij")
    cos, sin = np.cos(angles)[:, None, None], np.sin(angles)[:, None, None]
    # where each output pixel comes from: the inverse rotation of its offset from the centre
    sy = cos * dy + sin * dx + cy
    sx = cos * dx - sin * dy + cx
    y0, x0 = np.floor(sy), np.floor(sx)
    wy, wx = (sy - y0).astype(np.float32), (sx - x0).astype(np.float32)
    # one pixel of zeros around every image: out-of-range corners clip onto it
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    rows = np.arange(n)[:, None, None]
    acc = np.zeros(x.shape, np.float32)
    for oy, ox, weight in ((0, 0, (1 - wy) * (1 - wx)), (0, 1, (1 - wy) * wx),
                           (1, 0, wy * (1 - wx)), (1, 1, wy * wx)):
        iy = np.clip(y0 + oy + 1, 0, h + 1).astype(np.intp)
        ix = np.clip(x0 + ox + 1, 0, w + 1).astype(np.intp)
        acc += weight[..., None] * padded[rows, iy, ix]
    return acc.astype(x.dtype, copy=False)
