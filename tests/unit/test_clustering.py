"""Clustering the codes three ways (k-means, a Gaussian mixture, N2D's UMAP then a mixture), on data with known
clusters, and from the command line on a stored run."""

import json

import numpy as np
import pytest
from cli_support import run_cli

from aecore.analysis.clustering import METHODS, cluster_codes
from aecore.errors import AecoreError


def blobs() -> tuple[np.ndarray, np.ndarray]:
    """Three well separated Gaussian clusters in 12 dimensions, 100 points each."""
    rng = np.random.default_rng(3)
    centres = rng.normal(0.0, 6.0, (3, 12))
    labels = np.repeat(np.arange(3), 100)
    return centres[labels] + rng.normal(0.0, 1.0, (300, 12)), labels


@pytest.mark.parametrize("method", list(METHODS))
def test_every_method_finds_clusters_that_are_there(method):
    points, labels = blobs()
    found = cluster_codes(points, labels, method=method)
    assert found["accuracy"] > 0.95 and found["nmi"] > 0.85 and found["ari"] > 0.85, (method, found["accuracy"])
    assert len(np.unique(found["assignments"])) == 3


def test_an_unknown_method_is_refused_by_name():
    points, labels = blobs()
    with pytest.raises(AecoreError, match="Unknown clustering method 'dbscan'.*umap-gmm"):
        cluster_codes(points, labels, method="dbscan")


def test_the_cluster_command_scores_a_stored_runs_codes_and_its_pixels(capsys, monkeypatch, explore_store):
    root, runs = explore_store
    monkeypatch.setenv("AECORE_RUNS_DIR", str(root))
    code, out, err = run_cli(capsys, "cluster", runs["sparse"], "--method", "gmm", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert (result["method"], result["on"], result["images"], result["dims"]) == ("gmm", "codes", 1000, 64)
    assert 0.1 < result["accuracy"] <= 1 and 0 < result["nmi"] <= 1 and -1 <= result["ari"] <= 1
    code, out, _ = run_cli(capsys, "cluster", runs["sparse"], "--on", "pca")
    assert code == 0 and "kmeans on pca (64-D) of 1,000 images" in out and "accuracy" in out
    with pytest.raises(SystemExit) as refused:  # argparse's own refusal of a choice: exit 2 and one line
        run_cli(capsys, "cluster", runs["sparse"], "--method", "dbscan")
    assert refused.value.code == 2 and "invalid choice: 'dbscan'" in capsys.readouterr().err


def test_the_cluster_map_draws_one_trace_per_cluster_named_by_class():
    from aecore.figures.applications import cluster_map

    points = np.array([[0.0, 0.0], [1.0, 1.0], [5.0, 5.0]])
    figure = cluster_map(points, np.array([0, 0, 1]), ["three", "three", "seven"])
    assert [trace.name for trace in figure.data] == ["cluster 0", "cluster 1"]
    assert list(figure.data[1].text) == ["seven"] and "class %{text}" in figure.data[0].hovertemplate
