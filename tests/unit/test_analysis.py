"""Tests of aecore.analysis with tiny fake encoders/decoders: no Keras model needed."""

import numpy as np
import pytest
from scipy.stats import norm

from aecore.analysis.anomaly import anomaly_auc, reconstruction_errors
from aecore.analysis.clustering import cluster_codes, clustering_accuracy
from aecore.analysis.pixels import to_uint8
from aecore.analysis.projections import code_statistics, project_codes
from aecore.analysis.traversals import manifold_grid, traversal_grid
from aecore.errors import AecoreError

HEIGHT, WIDTH = 4, 5


def linear_decoder(latent_dim: int, seed: int = 0):
    """A fake decoder x = W z, reshaped to images: each code dimension moves its own fixed pixel pattern."""
    weights = np.random.default_rng(seed).normal(size=(latent_dim, HEIGHT * WIDTH)).astype(np.float32)
    calls = []

    def decode(codes: np.ndarray) -> np.ndarray:
        calls.append(codes.copy())
        return (codes @ weights).reshape(-1, HEIGHT, WIDTH, 1)

    return decode, weights, calls


def identity_pixels_decoder(codes: np.ndarray) -> np.ndarray:
    """Decodes a 2-D code to a 1×2 image holding the code itself, so the grid's coordinates can be read back."""
    return codes.reshape(-1, 1, 2, 1)


def test_to_uint8_scales_clips_and_drops_the_channel():
    images = np.array([[[0.0, 0.5], [1.0, 2.0]], [[-1.0, 0.2], [0.999, 1.0]]], dtype=np.float32)[..., None]
    result = to_uint8(images)
    assert result.dtype == np.uint8 and result.shape == (2, 2, 2)
    np.testing.assert_array_equal(result[0], [[0, 128], [255, 255]])
    np.testing.assert_array_equal(result[1], [[0, 51], [255, 255]])
    np.testing.assert_array_equal(to_uint8(images[..., 0]), result)


def test_to_uint8_keeps_the_layout_of_a_grid_of_images():
    grid = np.full((3, 7, 4, 4), 0.5, dtype=np.float32)
    result = to_uint8(grid)
    assert result.shape == (3, 7, 4, 4) and np.all(result == 128)


def test_traversal_moves_only_the_traversed_dimension_in_one_decode_call():
    decode, weights, calls = linear_decoder(latent_dim=3)
    base = np.array([0.5, -1.0, 2.0], dtype=np.float32)
    std = np.array([1.0, 0.5, 2.0], dtype=np.float32)
    traversal = traversal_grid(decode, base, std, steps=5)

    assert traversal.images.shape == (3, 5, HEIGHT, WIDTH)
    assert len(calls) == 1 and calls[0].shape == (15, 3)
    np.testing.assert_allclose(traversal.offsets, [-3, -1.5, 0, 1.5, 3])
    np.testing.assert_array_equal(traversal.dims, [0, 1, 2])
    codes = calls[0].reshape(3, 5, 3)
    for row in range(3):
        others = [dim for dim in range(3) if dim != row]
        np.testing.assert_array_equal(codes[row][:, others], np.broadcast_to(base[others], (5, 2)))
        np.testing.assert_allclose(codes[row][:, row], base[row] + traversal.offsets * std[row], rtol=1e-6)
        # Images along a row differ from the centre image by exactly offset·σ·(the dimension's pixel pattern).
        change = traversal.images[row] - traversal.images[row, 2]
        expected = (traversal.offsets[:, None] * std[row] * weights[row]).reshape(5, HEIGHT, WIDTH)
        np.testing.assert_allclose(change, expected, atol=1e-5)
    assert traversal.row_labels == ["z1", "z2", "z3"]
    assert traversal.column_labels == ["-3σ", "-1.5σ", "0σ", "+1.5σ", "+3σ"]


def test_traversal_keeps_the_dimensions_with_the_largest_spread():
    decode, _, _ = linear_decoder(latent_dim=6)
    std = np.array([0.1, 3.0, 0.2, 2.0, 1.0, 0.05], dtype=np.float32)
    traversal = traversal_grid(decode, np.zeros(6, np.float32), std, steps=3, max_dims=3)
    np.testing.assert_array_equal(traversal.dims, [1, 3, 4])
    assert traversal.images.shape == (3, 3, HEIGHT, WIDTH)
    assert traversal.row_labels == ["z2", "z4", "z5"]


def test_traversal_rejects_mismatched_shapes():
    decode, _, _ = linear_decoder(latent_dim=3)
    with pytest.raises(AecoreError, match="code_std"):
        traversal_grid(decode, np.zeros(3), np.ones(2))


def test_manifold_grid_uses_standard_normal_quantiles():
    grid = manifold_grid(identity_pixels_decoder, latent_dim=2, n=5)
    assert grid.shape == (5, 5, 1, 2)
    quantiles = norm.ppf(np.linspace(0.05, 0.95, 5))
    np.testing.assert_allclose(grid[0, :, 0, 0], quantiles, rtol=1e-5)  # z1 grows along a row
    np.testing.assert_allclose(grid[:, 0, 0, 1], quantiles[::-1], rtol=1e-5)  # z2 grows upwards
    assert grid[0, 0, 0, 0] == pytest.approx(-1.6449, abs=1e-3)


def test_manifold_grid_with_center_and_scale_spans_two_standard_deviations():
    grid = manifold_grid(identity_pixels_decoder, latent_dim=2, n=3, center=np.array([1.0, -1.0]), scale=[0.5, 2.0])
    np.testing.assert_allclose(grid[0, :, 0, 0], [0.0, 1.0, 2.0])
    np.testing.assert_allclose(grid[:, 0, 0, 1], [3.0, -1.0, -5.0])


def test_manifold_grid_with_real_decoder_shape():
    decode, _, calls = linear_decoder(latent_dim=2)
    assert manifold_grid(decode, latent_dim=2).shape == (15, 15, HEIGHT, WIDTH)
    assert len(calls) == 1


@pytest.mark.parametrize("latent_dim", [1, 3, 10])
def test_manifold_grid_needs_a_two_dimensional_code(latent_dim):
    with pytest.raises(AecoreError, match="2-D code"):
        manifold_grid(identity_pixels_decoder, latent_dim=latent_dim)


def test_manifold_grid_rejects_a_non_positive_scale():
    with pytest.raises(AecoreError, match="positive"):
        manifold_grid(identity_pixels_decoder, latent_dim=2, center=0.0, scale=0.0)


def test_project_codes_pca_orders_components_by_variance():
    rng = np.random.default_rng(0)
    codes = rng.normal(size=(300, 6)) * np.array([0.1, 5.0, 0.2, 2.0, 0.1, 0.3])
    points, kept = project_codes(codes, "pca", dims=3)
    assert points.shape == (300, 3) and points.dtype == np.float32
    np.testing.assert_array_equal(kept, np.arange(300))
    variances = points.var(axis=0)
    assert variances[0] > variances[1] > variances[2]
    assert variances[0] == pytest.approx(25.0, rel=0.2)


def test_project_codes_subsamples_with_a_seed():
    codes = np.random.default_rng(1).normal(size=(1000, 5))
    points, kept = project_codes(codes, max_points=100, seed=3)
    assert points.shape == (100, 2) and kept.shape == (100,)
    assert np.all(np.diff(kept) > 0)
    np.testing.assert_array_equal(kept, project_codes(codes, max_points=100, seed=3)[1])


def test_project_codes_returns_small_codes_as_they_are_padded_with_zeros():
    codes = np.arange(10.0).reshape(5, 2)
    points, _ = project_codes(codes, dims=2)
    np.testing.assert_array_equal(points, codes)
    padded, _ = project_codes(codes, dims=3)
    np.testing.assert_array_equal(padded[:, :2], codes)
    np.testing.assert_array_equal(padded[:, 2], 0.0)


def test_project_codes_tsne_shape():
    rng = np.random.default_rng(0)
    codes = np.concatenate([rng.normal(loc, 0.3, size=(100, 8)) for loc in (0.0, 4.0)])
    points, kept = project_codes(codes, "tsne", dims=2)
    assert points.shape == (200, 2) and np.all(np.isfinite(points))
    assert kept.shape == (200,)


def test_project_codes_rejects_bad_arguments():
    codes = np.zeros((10, 5))
    with pytest.raises(AecoreError, match="2 or 3"):
        project_codes(codes, dims=4)
    with pytest.raises(AecoreError, match="pca"):
        project_codes(codes, method="umap")
    with pytest.raises(AecoreError, match="at least 3"):
        project_codes(np.ones((2, 5)))


def test_clustering_accuracy_is_one_for_a_permuted_labelling():
    labels = np.array([0, 0, 1, 1, 2, 2, 2])
    assert clustering_accuracy(labels, np.array([2, 2, 0, 0, 1, 1, 1])) == 1.0
    assert clustering_accuracy(np.array(["a", "a", "b"]), np.array([7, 7, 3])) == 1.0


def test_clustering_accuracy_hungarian_beats_greedy_matching():
    # Counts (cluster × class): [[3, 2], [2, 0]]. Greedy takes cluster 0 -> class 0 (3), leaving 0 -> 3/7;
    # the best one-to-one matching is cluster 0 -> class 1, cluster 1 -> class 0: 2 + 2 = 4 of 7.
    labels = np.array([0, 0, 0, 1, 1, 0, 0])
    assignments = np.array([0, 0, 0, 0, 0, 1, 1])
    assert clustering_accuracy(labels, assignments) == pytest.approx(4 / 7)


def test_clustering_accuracy_with_more_clusters_than_classes():
    assert clustering_accuracy(np.array([0, 0, 1, 1]), np.array([0, 1, 2, 2])) == pytest.approx(3 / 4)


def test_clustering_accuracy_rejects_mismatched_lengths():
    with pytest.raises(AecoreError, match="as many labels"):
        clustering_accuracy(np.array([0, 1]), np.array([0]))


def test_cluster_codes_finds_well_separated_blobs():
    rng = np.random.default_rng(0)
    centres = rng.normal(scale=10.0, size=(4, 5))
    labels = np.repeat(np.arange(4), 50)
    codes = centres[labels] + rng.normal(scale=0.5, size=(200, 5))
    result = cluster_codes(codes, labels)
    assert result["accuracy"] > 0.95
    assert result["nmi"] > 0.9 and result["ari"] > 0.9
    assert result["assignments"].shape == (200,) and len(np.unique(result["assignments"])) == 4


def test_cluster_codes_rejects_too_many_clusters():
    with pytest.raises(AecoreError, match="clusters"):
        cluster_codes(np.zeros((3, 2)), np.array([0, 1, 2]), n_clusters=5)


def test_reconstruction_errors_are_per_image_mse():
    images = np.zeros((3, 2, 2, 1), dtype=np.float32)
    reconstructions = np.stack([np.zeros((2, 2)), np.full((2, 2), 0.5), np.array([[1.0, 0], [0, 0]])])
    np.testing.assert_allclose(reconstruction_errors(images, reconstructions), [0.0, 0.25, 0.25])
    with pytest.raises(AecoreError, match="differ in shape"):
        reconstruction_errors(images, np.zeros((2, 2, 2)))


def test_anomaly_auc_separable_scores_and_one_class_error():
    scores = np.array([0.1, 0.2, 0.3, 0.8, 0.9])
    is_anomaly = np.array([0, 0, 0, 1, 1])
    assert anomaly_auc(scores, is_anomaly) == 1.0
    assert anomaly_auc(-scores, is_anomaly) == 0.0
    with pytest.raises(AecoreError, match="both normal and anomalous"):
        anomaly_auc(scores, np.zeros(5))


def test_code_statistics_floors_the_standard_deviation():
    codes = np.array([[1.0, 5.0], [3.0, 5.0]])
    mean, std = code_statistics(codes)
    np.testing.assert_allclose(mean, [2.0, 5.0])
    np.testing.assert_allclose(std, [1.0, 1e-6])
