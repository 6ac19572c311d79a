"""The Latent space and Sparsity pages' computations: neighbours, interpolation, traversal dimensions, prior
samples, MNIST-style centring of a drawing, unit statistics, weight tiles and projections."""

from __future__ import annotations

import numpy as np
import pytest

from aecore.errors import AecoreError
from aecore.explore import latent


def test_nearest_codes_come_nearest_first_and_can_leave_the_query_out():
    codes = np.array([[0.0, 0.0], [1.0, 0.0], [5.0, 5.0], [0.2, 0.1]])
    assert list(latent.nearest(codes, np.array([0.0, 0.0]), 3)) == [0, 3, 1]
    assert list(latent.nearest(codes, codes[0], 2, exclude=0)) == [3, 1]


def test_interpolation_runs_from_one_end_to_the_other_in_equal_steps():
    path = latent.interpolate(np.zeros((2, 2)), np.full((2, 2), 9.0), 10)
    assert path.shape == (10, 2, 2)
    assert path[0].sum() == 0 and np.all(path[-1] == 9) and np.allclose(np.diff(path[:, 0, 0]), 1.0)
    with pytest.raises(AecoreError, match="at least 2 steps"):
        latent.interpolate(np.zeros(2), np.ones(2), 1)


def test_the_widest_dimensions_are_those_that_vary_most():
    rng = np.random.default_rng(0)
    codes = rng.normal(size=(500, 6)) * np.array([0.1, 5.0, 0.2, 3.0, 0.0, 1.0])
    assert list(latent.widest_dimensions(codes, 3)) == [1, 3, 5]


def test_a_dead_unit_is_never_a_traversal_dimension_and_sliders_span_three_deviations():
    codes = np.array([[0.0, 1.0, 5.0], [2.0, 1.0, 5.0], [4.0, 1.0, 5.0]])  # units 1 and 2 never change
    assert list(latent.widest_dimensions(codes, 3)) == [0]
    assert list(latent.widest_dimensions(np.ones((4, 2)), 2)) == []
    ((low, high),) = latent.slider_ranges(codes, codes[1], [0])
    assert (low, high) == pytest.approx((2.0 - 3 * codes[:, 0].std(), 2.0 + 3 * codes[:, 0].std()))


def test_the_sparsity_penalty_is_the_bernoulli_kl_summed_over_units():
    rho, rho_hat = 0.2, np.array([0.2, 0.5, 0.05])
    closed_form = np.sum(rho * np.log(rho / rho_hat) + (1 - rho) * np.log((1 - rho) / (1 - rho_hat)))
    assert latent.sparsity_penalty(rho, rho_hat) == pytest.approx(closed_form, rel=1e-5)
    assert latent.sparsity_penalty(rho, np.full(8, rho)) == pytest.approx(0.0, abs=1e-6)
    assert np.isfinite(latent.sparsity_penalty(rho, np.array([0.0, 1.0]))), "a dead or saturated unit is finite"


def test_prior_samples_follow_the_prior():
    normal = latent.prior_samples("normal", 8, 4000, seed=1)
    assert normal.shape == (4000, 8) and abs(normal.mean()) < 0.05 and abs(normal.std() - 1) < 0.05
    mixture = latent.prior_samples("mixture", 2, 4000, seed=1)
    radius = np.linalg.norm(mixture, axis=1)
    assert abs(np.median(radius) - latent.MIXTURE_RADIUS) < 0.2
    with pytest.raises(AecoreError, match="2-D mixture"):
        latent.prior_samples("mixture", 3, 10)


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    rows, columns = np.indices(image.shape)
    return float((rows * image).sum() / image.sum()), float((columns * image).sum() / image.sum())


def test_a_drawing_is_centred_and_scaled_the_way_mnist_was_made():
    drawing = np.zeros((224, 224), dtype=np.float32)
    drawing[20:120, 150:190] = 1.0  # a tall stroke in the top right corner
    image = latent.mnist_style(drawing)[..., 0]
    assert image.shape == (28, 28) and 0 <= image.min() and image.max() <= 1
    rows, columns = np.nonzero(image > 0.05)
    assert rows.max() - rows.min() + 1 in (20, 21), "the ink fits a 20-pixel box"
    assert np.allclose(centre_of_mass(image), (13.5, 13.5), atol=0.75), "its centre of mass is in the middle"
    small = latent.mnist_style(drawing, side=8)[..., 0]
    assert small.shape == (8, 8) and np.ptp(np.nonzero(small > 0.05)[0]) + 1 <= 6
    with pytest.raises(AecoreError, match="empty"):
        latent.mnist_style(np.zeros((50, 50)))


def test_unit_statistics():
    codes = np.array([[0.9, 0.0, 0.2], [0.7, 0.0, 0.2], [0.8, 0.3, 0.2]])
    rho_hat = latent.population_mean_activation(codes)
    assert np.allclose(rho_hat, [0.8, 0.1, 0.2])
    assert latent.units_near(rho_hat, 0.2) == 1 and latent.units_near(rho_hat, 0.1, tolerance=0.15) == 2
    assert latent.active_units(codes[2]) == 1 and latent.active_units(codes[0]) == 1  # on: above 0.5
    assert latent.active_units(codes[2], threshold=0.1) == 3


def test_weight_tiles_show_each_unit_or_filter_in_its_own_range():
    kernel = np.arange(784 * 3, dtype=np.float64).reshape(784, 3)
    tiles = latent.weight_tiles(kernel, (28, 28, 1))
    assert (
        tiles.shape == (3, 28, 28) and np.allclose(tiles.min(axis=(1, 2)), 0) and np.allclose(tiles.max(axis=(1, 2)), 1)
    )
    assert tiles[1, 0, 1] > tiles[1, 0, 0], "a tile is the unit's weights in pixel order"
    assert latent.weight_tiles(np.ones((3, 3, 1, 16)), (28, 28, 1)).shape == (16, 3, 3)
    with pytest.raises(AecoreError, match="does not fit"):
        latent.weight_tiles(np.ones((100, 3)), (28, 28, 1))
