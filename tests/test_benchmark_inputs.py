"""The quality benchmark's input scaling: each image keeps its shape and takes the one norm given."""

from __future__ import annotations

import numpy as np

from benchmarks.clustering import INPUT_SCALINGS, same_norm


def test_same_norm_gives_every_image_the_norm_and_keeps_its_shape():
    rng = np.random.default_rng(0)
    images = rng.uniform(0, 1, (6, 28, 28, 1)).astype(np.float32) * rng.uniform(0.1, 1, (6, 1, 1, 1))
    scaled = same_norm(images, 12.0)
    assert scaled.shape == images.shape and scaled.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(scaled.reshape(6, -1), axis=1), 12.0, rtol=1e-5)
    ratios = scaled.reshape(6, -1) / images.reshape(6, -1)
    np.testing.assert_allclose(ratios, ratios[:, :1].repeat(784, axis=1), rtol=1e-5)  # one factor per image
    assert len(set(INPUT_SCALINGS.values())) == len(INPUT_SCALINGS), "each scaling trains on its own dataset"
