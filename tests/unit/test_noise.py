"""Corruption kinds: the expected fraction of pixels, determinism, and use inside tf.function."""

import os

os.environ["AECORE_OFFLINE"] = "1"

import numpy as np
import pytest
import tensorflow as tf

from aecore.data.noise import corrupt, corrupt_images
from aecore.errors import AecoreError
from aecore.settings.config import NOISE_KINDS

GREY = np.full((64, 28, 28, 1), 0.5, dtype=np.float32)  # neither 0 nor 1, so every change is visible


def changed_fraction(before: np.ndarray, after: np.ndarray) -> float:
    return float(np.mean(before != after))


def test_gaussian_noise_factor_and_clipping():
    images = np.random.default_rng(0).random((64, 28, 28, 1), dtype=np.float32)
    noisy = corrupt_images(images, "gaussian", 0.2, seed=1)
    assert noisy.dtype == np.float32 and noisy.shape == images.shape
    assert noisy.min() >= 0.0 and noisy.max() <= 1.0
    residual = (corrupt_images(GREY, "gaussian", 0.2, seed=1) - GREY).ravel()  # 0.5 ± 0.2·N: rarely clipped
    assert residual.std() == pytest.approx(0.2, rel=0.05)
    assert abs(residual.mean()) < 0.01


@pytest.mark.parametrize("level", [0.1, 0.3, 0.6])
def test_salt_and_pepper_replaces_the_fraction_half_each(level):
    noisy = corrupt_images(GREY, "salt_pepper", level, seed=2)
    assert changed_fraction(GREY, noisy) == pytest.approx(level, abs=0.01)
    assert np.mean(noisy == 0.0) == pytest.approx(level / 2, abs=0.01)
    assert np.mean(noisy == 1.0) == pytest.approx(level / 2, abs=0.01)
    assert set(np.unique(noisy)) <= {0.0, 0.5, 1.0}


@pytest.mark.parametrize("level", [0.1, 0.5, 0.9])
def test_masking_zeroes_the_fraction(level):
    noisy = corrupt_images(GREY, "masking", level, seed=3)
    assert np.mean(noisy == 0.0) == pytest.approx(level, abs=0.01)
    assert set(np.unique(noisy)) <= {0.0, 0.5}


def test_pixel_noise_hits_all_channels_of_a_pixel():
    colour = np.full((8, 16, 16, 3), 0.5, dtype=np.float32)
    noisy = corrupt_images(colour, "masking", 0.5, seed=4)
    zeroed = noisy == 0.0
    assert (zeroed.all(axis=-1) == zeroed.any(axis=-1)).all()


@pytest.mark.parametrize(("level", "side"), [(0.25, 7), (0.5, 14), (0.01, 1), (1.0, 28)])
def test_block_zeroes_one_square_of_the_expected_side(level, side):
    ones = np.ones((16, 28, 28), dtype=np.float32)
    noisy = corrupt_images(ones, "block", level, seed=5)
    assert noisy.shape == ones.shape
    corners = set()
    for image in noisy:
        rows, cols = np.nonzero(image == 0.0)
        assert len(rows) == side * side
        assert rows.max() - rows.min() + 1 == side and cols.max() - cols.min() + 1 == side
        corners.add((rows.min(), cols.min()))
    if side < 28:
        assert len(corners) > 1  # the position is random per image


@pytest.mark.parametrize("kind", NOISE_KINDS)
def test_level_zero_is_identity_and_output_in_unit_range(kind):
    images = np.random.default_rng(6).random((4, 8, 8, 1), dtype=np.float32)
    np.testing.assert_array_equal(corrupt_images(images, kind, 0.0, seed=7), images)
    noisy = corrupt_images(images, kind, 0.3, seed=7)
    assert noisy.min() >= 0.0 and noisy.max() <= 1.0


@pytest.mark.parametrize("kind", NOISE_KINDS)
def test_same_seed_same_output_different_seed_different_output(kind):
    images = np.random.default_rng(8).random((8, 12, 12), dtype=np.float32)
    first = corrupt_images(images, kind, 0.3, seed=11)
    np.testing.assert_array_equal(first, corrupt_images(images, kind, 0.3, seed=11))
    assert not np.array_equal(first, corrupt_images(images, kind, 0.3, seed=12))


@pytest.mark.parametrize("kind", NOISE_KINDS)
def test_works_in_tf_function_with_dynamic_batch_and_per_step_seed(kind):
    @tf.function(
        input_signature=[
            tf.TensorSpec([None, None, None, 1], tf.float32),
            tf.TensorSpec([2], tf.int64),
        ]
    )
    def step(batch, seed):
        return corrupt(batch, kind, 0.3, seed)

    for batch_size in (3, 5):
        images = np.full((batch_size, 16, 16, 1), 0.5, dtype=np.float32)
        seed = tf.constant([batch_size, 0], tf.int64)
        in_graph = step(tf.constant(images), seed).numpy()
        assert in_graph.shape == images.shape
        assert not np.array_equal(in_graph, images)
        eager = corrupt(tf.constant(images), kind, 0.3, seed).numpy()
        np.testing.assert_array_equal(in_graph, eager)  # the graph and the UI see the same noise
    assert len(step.get_concrete_function().graph.as_graph_def().node) > 0


def test_unknown_kind_and_bad_level_are_user_errors():
    with pytest.raises(AecoreError, match="choose one of: gaussian, salt_pepper, masking, block"):
        corrupt_images(GREY[:1], "speckle", 0.1)
    with pytest.raises(AecoreError, match="at most 1"):
        corrupt_images(GREY[:1], "masking", 1.5)
    with pytest.raises(AecoreError, match="0 or more"):
        corrupt_images(GREY[:1], "gaussian", -0.1)
    with pytest.raises(AecoreError, match=r"\(N, H, W\) or \(N, H, W, C\)"):
        corrupt_images(np.zeros((28, 28), dtype=np.float32), "gaussian", 0.1)


@pytest.mark.parametrize("kind", NOISE_KINDS)
def test_level_may_be_a_tensor_so_a_level_change_does_not_retrace(kind):
    @tf.function
    def step(batch, level, seed):
        return corrupt(batch, kind, level, seed)

    images = tf.constant(GREY[:8])
    seed = tf.constant([1, 2], tf.int64)
    np.testing.assert_array_equal(step(images, tf.constant(0.0), seed).numpy(), GREY[:8])
    noisy = step(images, tf.constant(0.4), seed).numpy()
    assert not np.array_equal(noisy, GREY[:8]) and noisy.min() >= 0.0 and noisy.max() <= 1.0
    assert step.experimental_get_tracing_count() == 1
