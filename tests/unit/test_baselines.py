"""The loss chart's references: the mean image's and PCA's loss, to the formula."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.decomposition import PCA

from aecore.data.registry import load_dataset
from aecore.explore.baselines import reference_losses
from aecore.figures.curves import loss_curves


def test_the_pca_and_mean_image_lines_are_their_squared_errors_per_image() -> None:
    images = load_dataset("digits").x_train
    flat = images.reshape(len(images), -1).astype(np.float64)
    pca = PCA(8, random_state=0).fit(flat)
    # scikit-learn's own reconstruction, its squared error summed over the pixels and averaged over the images
    pca_error = np.mean(np.sum((flat - pca.inverse_transform(pca.transform(flat))) ** 2, axis=1))
    mean_error = np.mean(np.sum((flat - flat.mean(axis=0)) ** 2, axis=1))
    lines = reference_losses("digits", "mse", "mean", 32, 8)
    assert lines == pytest.approx({"mean image": mean_error, "PCA, 8 components": pca_error}, rel=1e-5)
    assert pca_error < mean_error
    summed = reference_losses("digits", "mse", "sum", 32, 8)
    assert summed["PCA, 8 components"] == pytest.approx(32 * pca_error, rel=1e-5), "summed over a batch of 32"


def test_a_likelihood_loss_gets_finite_references() -> None:
    lines = reference_losses("digits", "bce", "mean", 64, 2)
    assert all(np.isfinite(value) and value > 0 for value in lines.values())


def test_the_references_are_labelled_lines_on_the_loss_chart() -> None:
    figure = loss_curves(
        np.arange(1, 11), {"total": np.linspace(60, 20, 10)}, np.array([10]), {}, log_y=True,
        references={"mean image": 52.9, "PCA, 8 components": 13.2},
    )  # fmt: skip
    lines = {trace.name: set(trace.y) for trace in figure.data if trace.name.startswith(("mean", "PCA"))}
    assert lines == {"mean image: 52.9": {52.9}, "PCA, 8 components: 13.2": {13.2}}
    assert figure.layout.yaxis.type == "log" and min(figure.layout.yaxis.tickvals) <= 13.2
