"""Images as ``aecore.analysis`` and the figures take them: one (N, H, W) float stack, or 8-bit for display."""

from __future__ import annotations

import numpy as np

from aecore.errors import AecoreError


def image_stack(images: np.ndarray) -> np.ndarray:
    """(N, H, W, 1) or (N, H, W) -> (N, H, W) float32, the one shape ``aecore.analysis`` works on."""
    stack = np.asarray(images, dtype=np.float32)
    if stack.ndim == 4 and stack.shape[-1] == 1:
        stack = stack[..., 0]
    if stack.ndim != 3:
        raise AecoreError(f"Expected grayscale images shaped (N, H, W, 1) or (N, H, W), got shape {stack.shape}.")
    return stack


def to_uint8(images: np.ndarray) -> np.ndarray:
    """Images in [0, 1] -> uint8, a trailing channel of 1 dropped: (N, H, W, 1) -> (N, H, W), (R, C, H, W) kept.

    A quarter of the bytes, for publishing grids from a training job.
    """
    array = np.asarray(images, dtype=np.float32)
    if array.ndim == 4 and array.shape[-1] == 1:
        array = array[..., 0]
    return np.round(np.clip(array, 0.0, 1.0) * 255.0).astype(np.uint8)


def changed_images(clean: np.ndarray, corrupted: np.ndarray) -> np.ndarray:
    """Which images the noise changed (a bool per image). An unchanged image has no PSNR of its own (it would count
    as 120 dB in a mean of per-image PSNRs), so every headline PSNR of noisy input is taken over the changed ones."""
    clean, corrupted = np.asarray(clean), np.asarray(corrupted)
    if clean.shape != corrupted.shape:
        raise AecoreError(f"Cannot compare images of shape {clean.shape} with images of shape {corrupted.shape}.")
    return np.any((clean != corrupted).reshape(len(clean), -1), axis=1)
