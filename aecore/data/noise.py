"""Input corruption for denoising: gaussian noise, salt-and-pepper, masking and block occlusion.

There is one TensorFlow implementation, ``corrupt``, built on TF's *stateless* random ops. The
training step calls it inside a ``tf.function`` with a seed that changes every step, and the UI
calls it from numpy through ``corrupt_images``; so the noise a user previews is exactly the noise
the model was trained on, and the same seed always gives the same corruption.
"""

from __future__ import annotations

import numpy as np

from aecore.errors import AecoreError
from aecore.settings.config import NOISE_KINDS
from aecore.tensorflow_runtime import tf


def _check(kind: str, level: float | tf.Tensor) -> None:
    if kind not in NOISE_KINDS:
        raise AecoreError(f"Unknown noise kind '{kind}'; choose one of: {', '.join(NOISE_KINDS)}.")
    if isinstance(level, (int, float)):
        if not np.isfinite(level) or level < 0:
            raise AecoreError(f"The noise level must be a number of 0 or more (got {level}).")
        if kind != "gaussian" and level > 1:
            raise AecoreError(
                f"For {kind} noise the level is a fraction of pixels and must be at most 1 (got {level})."
            )


def corrupt(images: tf.Tensor, kind: str, level: float | tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """Corrupt a batch of images in [0, 1]; deterministic for a given ``seed``.

    images: float32, shape (batch, H, W, C); any dimension may be dynamic.
    kind: one of ``NOISE_KINDS``:
      ``gaussian``    clip(x + level * N(0, 1), 0, 1), the seed paper's "noise factor";
      ``salt_pepper`` a fraction ``level`` of pixels replaced, half by 0 and half by 1;
      ``masking``     a fraction ``level`` of pixels set to 0;
      ``block``       one square of side round(level * H) (at least 1 px) zeroed per image.
    A "pixel" covers all channels at one position. Level 0 returns ``images`` unchanged.
    seed: int32/int64 tensor of shape [2], as TF's stateless random ops take it.
    """
    _check(kind, level)
    images = tf.convert_to_tensor(images, dtype=tf.float32)
    if images.shape.rank != 4:
        raise AecoreError(f"Images to corrupt must have shape (batch, height, width, channels); got {images.shape}.")
    if isinstance(level, (int, float)) and level == 0:
        return images
    level = tf.cast(level, tf.float32)
    seed = tf.convert_to_tensor(seed)
    shape = tf.shape(images)
    pixel_shape = tf.concat([shape[:3], [1]], axis=0)  # one draw per position, broadcast over channels

    if kind == "gaussian":
        noise = tf.random.stateless_normal(shape, seed=seed, dtype=tf.float32)
        return tf.clip_by_value(images + level * noise, 0.0, 1.0)
    if kind == "salt_pepper":
        # One uniform draw decides both whether a pixel is hit (u < level) and how:
        # u < level/2 gives pepper (0), level/2 <= u < level gives salt (1).
        u = tf.random.stateless_uniform(pixel_shape, seed=seed, dtype=tf.float32)
        salted = tf.where(u < level / 2.0, 0.0, 1.0)
        return tf.where(u < level, salted, images)
    if kind == "masking":
        u = tf.random.stateless_uniform(pixel_shape, seed=seed, dtype=tf.float32)
        return tf.where(u < level, tf.zeros_like(images), images)
    return _block(images, level, seed)


def _block(images: tf.Tensor, level: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """Zero one square per image, placed uniformly at random fully inside the image."""
    shape = tf.shape(images)
    batch, height, width = shape[0], shape[1], shape[2]
    side = tf.cast(tf.round(level * tf.cast(height, tf.float32)), tf.int32)
    side = tf.where(level > 0, tf.maximum(side, 1), 0)
    side = tf.minimum(side, tf.minimum(height, width))
    positions = tf.stack([height - side + 1, width - side + 1])  # number of valid top-left rows / columns
    u = tf.random.stateless_uniform(tf.stack([batch, 2]), seed=seed, dtype=tf.float32)
    corner = tf.minimum(tf.cast(tf.floor(u * tf.cast(positions, tf.float32)), tf.int32), positions - 1)
    top, left = corner[:, 0:1], corner[:, 1:2]  # (batch, 1)
    rows = tf.range(height)[tf.newaxis, :]
    cols = tf.range(width)[tf.newaxis, :]
    in_rows = (rows >= top) & (rows < top + side)  # (batch, H)
    in_cols = (cols >= left) & (cols < left + side)  # (batch, W)
    inside = in_rows[:, :, tf.newaxis, tf.newaxis] & in_cols[:, tf.newaxis, :, tf.newaxis]
    return tf.where(inside, tf.zeros_like(images), images)


def corrupt_images(images: np.ndarray, kind: str, level: float, seed: int = 0) -> np.ndarray:
    """Numpy front end of ``corrupt`` for the UI: (N, H, W) or (N, H, W, C) float32 in, same shape out."""
    array = np.asarray(images, dtype=np.float32)
    if array.ndim not in (3, 4):
        raise AecoreError(f"Images to corrupt must have shape (N, H, W) or (N, H, W, C); got {array.shape}.")
    batch = array[..., np.newaxis] if array.ndim == 3 else array
    seed_tensor = tf.constant([0, int(seed)], dtype=tf.int64)
    corrupted = corrupt(tf.constant(batch), kind, level, seed_tensor).numpy()
    return corrupted.reshape(array.shape)
