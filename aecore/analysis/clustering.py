"""How well clusters of codes agree with the classes: k-means, a Gaussian mixture, or UMAP then a Gaussian mixture
(N2D: McConville et al. 2019), the contingency table, Hungarian-matched accuracy, NMI and ARI."""

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


#: the clustering methods, by the names the CLI and the page use
METHODS = {
    "kmeans": "k-means",
    "gmm": "Gaussian mixture",
    "umap-gmm": "UMAP, then a Gaussian mixture (N2D)",
}
#: above this many dimensions a Gaussian mixture keeps a variance per dimension, not a full covariance
FULL_COVARIANCE_DIMS = 64
#: N2D's manifold step (rymc/n2d): UMAP to as many dimensions as clusters, 20 neighbours, min_dist 0, euclidean
UMAP_NEIGHBOURS = 20


def manifold(matrix: np.ndarray, dims: int, seed: int = 0) -> np.ndarray:
    """N2D's UMAP embedding of the codes: local neighbourhoods kept, so a class spread wide in code space (where
    k-means spends two centres) becomes one dense clump."""
    import umap

    neighbours = min(UMAP_NEIGHBOURS, len(matrix) - 1)
    embedding = umap.UMAP(
        n_components=dims, n_neighbors=neighbours, min_dist=0.0, metric="euclidean", random_state=seed
    )
    return embedding.fit_transform(matrix).astype(np.float32)


def assign(matrix: np.ndarray, n_clusters: int, method: str = "kmeans", seed: int = 0) -> np.ndarray:
    """Each row's cluster by ``method``: k-means (10 starts), a full-covariance Gaussian mixture, or UMAP to
    ``n_clusters`` dimensions then the mixture."""
    from sklearn.cluster import KMeans
    from sklearn.mixture import GaussianMixture

    if method not in METHODS:
        raise AecoreError(f"Unknown clustering method '{method}'; choose one of: {', '.join(METHODS)}.")
    if method == "kmeans":
        return KMeans(n_clusters=n_clusters, n_init=10, random_state=seed).fit_predict(matrix)
    features = manifold(matrix, n_clusters, seed) if method == "umap-gmm" else matrix
    # a full covariance per cluster has d² numbers: fine for a code or UMAP's 10 dimensions, not for 784 pixels
    # (and more numbers than images), where each cluster keeps a variance per pixel instead
    shape = "full" if features.shape[1] <= FULL_COVARIANCE_DIMS else "diag"
    mixture = GaussianMixture(n_components=n_clusters, covariance_type=shape, random_state=seed, reg_covar=1e-5)
    return mixture.fit(features).predict(features)


def cluster_codes(
    codes: np.ndarray, labels: np.ndarray, n_clusters: int | None = None, seed: int = 0, method: str = "kmeans"
) -> dict[str, float | np.ndarray]:
    """Cluster the codes by ``method`` and score against the true labels: how well the code separates classes.

    Returns ``accuracy`` (Hungarian), ``nmi``, ``ari`` and the ``assignments`` (N,). ``n_clusters`` defaults
    to the number of distinct labels.
    """
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    matrix = code_matrix(codes)
    labels = np.asarray(labels).ravel()
    if labels.size != len(matrix):
        raise AecoreError(f"Need one label per code, got {labels.size} labels for {len(matrix)} codes.")
    n_clusters = len(np.unique(labels)) if n_clusters is None else n_clusters
    if not 1 <= n_clusters <= len(matrix):
        raise AecoreError(f"The number of clusters must be between 1 and {len(matrix)}, got {n_clusters}.")
    assignments = assign(matrix, n_clusters, method, seed)
    return {
        "accuracy": clustering_accuracy(labels, assignments),
        "nmi": float(normalized_mutual_info_score(labels, assignments)),
        "ari": float(adjusted_rand_score(labels, assignments)),
        "assignments": assignments,
    }
