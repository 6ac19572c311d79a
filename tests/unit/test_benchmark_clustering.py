"""The quality benchmark's clustering helpers: input scaling, k-means' objective, the optimum nearest the classes."""

from __future__ import annotations

import numpy as np
import pytest

from aecore.data import registry
from benchmarks.clustering import (
    ALL_IMAGES,
    INPUT_SCALINGS,
    from_class_centroids,
    inertia,
    register_all_images,
    same_norm,
)


def test_same_norm_gives_every_image_the_norm_and_keeps_its_shape():
    rng = np.random.default_rng(0)
    images = rng.uniform(0, 1, (6, 28, 28, 1)).astype(np.float32) * rng.uniform(0.1, 1, (6, 1, 1, 1))
    scaled = same_norm(images, 12.0)
    assert scaled.shape == images.shape and scaled.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(scaled.reshape(6, -1), axis=1), 12.0, rtol=1e-5)
    ratios = scaled.reshape(6, -1) / images.reshape(6, -1)
    np.testing.assert_allclose(ratios, ratios[:, :1].repeat(784, axis=1), rtol=1e-5)  # one factor per image
    assert len(set(INPUT_SCALINGS.values())) == len(INPUT_SCALINGS), "each scaling trains on its own dataset"


def test_inertia_is_the_squared_distance_to_each_clusters_mean():
    points = np.array([[0.0, 0.0], [2.0, 0.0], [10.0, 10.0], [10.0, 14.0]])
    assert inertia(points, np.array([0, 0, 1, 1])) == pytest.approx(1 + 1 + 4 + 4)
    assert inertia(points, np.array([0, 1, 2, 3])) == 0.0


def test_the_optimum_nearest_the_classes_reads_the_labels_and_reports_its_inertia():
    rng = np.random.default_rng(1)
    centres = np.array([[0.0, 0.0], [8.0, 0.0], [0.0, 8.0]])
    labels = np.repeat([0, 1, 2], 50)
    codes = centres[labels] + rng.normal(0, 0.5, (150, 2))
    nearest = from_class_centroids(codes, labels, ("a", "b", "c"))
    assert nearest["accuracy"] == 1.0 and nearest["split"] == [] and nearest["unclaimed"] == []
    assert nearest["inertia"] == pytest.approx(inertia(codes, labels))


def test_dec_protocol_builds_only_the_scaling_a_run_asks_for(monkeypatch):
    monkeypatch.setattr(registry, "_USER_DATASETS", {})
    register_all_images(ALL_IMAGES)
    assert set(registry._USER_DATASETS) == {ALL_IMAGES}, "the stored images alone: no 220 MB scaled copy"
    assert registry.load_dataset(ALL_IMAGES).n_train == 70_000
    register_all_images(INPUT_SCALINGS["same-norm"])
    scaled = registry.load_dataset(INPUT_SCALINGS["same-norm"]).x_train
    assert np.ptp(np.linalg.norm(scaled[:100].reshape(100, -1), axis=1)) < 1e-3
    with pytest.raises(ValueError, match="not a DEC protocol dataset"):
        register_all_images("mnist-5k")
