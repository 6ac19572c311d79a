"""How well clusters of codes agree with the classes: k-means, the contingency table, Hungarian-matched accuracy."""

from __future__ import annotations

import numpy as np

from aecore.analysis.projections import code_matrix
from aecore.errors import AecoreError


def contingency(labels: np.ndarray, assignments: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(counts, classes, clusters)``: ``counts[i, j]`` images of ``classes[i]`` that fell in ``clusters[j]``."""
    labels, assignments = np.asarray(labels).ravel(), np.asarray(assignments).ravel()
    if labels.size == 0 or labels.shape != assignments.shape:
        raise AecoreError(f"Need as many labels as assignments (≥ 1), got {labels.size} and {assignments.size}.")
    classes, class_index = np.unique(labels, return_inverse=True)
    clusters, cluster_index = np.unique(assignments, return_inverse=True)
    counts = np.zeros((classes.size, clusters.size), dtype=np.int64)
    np.add.at(counts, (class_index, cluster_index), 1)
    return counts, classes, clusters


def clustering_accuracy(labels: np.ndarray, assignments: np.ndarray) -> float:
    """Accuracy of clusters under the best one-to-one cluster -> class matching (Hungarian algorithm).

    Cluster numbers are arbitrary, so plain accuracy is meaningless; this is the usual unsupervised accuracy.
    """
    from scipy.optimize import linear_sum_assignment

    counts, _, _ = contingency(labels, assignments)
    rows, columns = linear_sum_assignment(counts, maximize=True)
    return float(counts[rows, columns].sum() / counts.sum())


def cluster_codes(
    codes: np.ndarray, labels: np.ndarray, n_clusters: int | None = None, seed: int = 0
) -> dict[str, float | np.ndarray]:
    """k-means on the codes (n_init=10), scored against the true labels: how well the code separates classes.

    Returns ``accuracy`` (Hungarian), ``nmi``, ``ari`` and the ``assignments`` (N,). ``n_clusters`` defaults
    to the number of distinct labels.
    """
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    matrix = code_matrix(codes)
    labels = np.asarray(labels).ravel()
    if labels.size != len(matrix):
        raise AecoreError(f"Need one label per code, got {labels.size} labels for {len(matrix)} codes.")
    n_clusters = len(np.unique(labels)) if n_clusters is None else n_clusters
    if not 1 <= n_clusters <= len(matrix):
        raise AecoreError(f"The number of clusters must be between 1 and {len(matrix)}, got {n_clusters}.")
    assignments = KMeans(n_clusters=n_clusters, n_init=10, random_state=seed).fit_predict(matrix)
    return {
        "accuracy": clustering_accuracy(labels, assignments),
        "nmi": float(normalized_mutual_info_score(labels, assignments)),
        "ari": float(adjusted_rand_score(labels, assignments)),
        "assignments": assignments,
    }
