"""What a trained code is good for: anomaly detection, clustering and retrieval, measured against plain baselines.

- **Anomaly detection** trains on some classes only (a dataset named ``"<dataset>:classes=0,1"``, see
  ``class_subset``) and scores every test image by its reconstruction error; this module turns the scores into
  an ROC curve and the precision and recall of one threshold.
- **Clustering** runs k-means on the codes, on the raw pixels and on PCA of the pixels to the code's size, so the
  gain from the autoencoder is a measured number, not a claim.
- **Retrieval** finds a test image's nearest neighbours in code space and in pixel space and counts how many
  share its class.

Plain numpy in, plain numpy out; scikit-learn and SciPy are imported inside the functions that need them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from aecore.analysis.clustering import METHODS, cluster_codes, contingency
from aecore.analysis.projections import code_matrix
from aecore.errors import AecoreError
from aecore.explore import latent

#: the false alarm rate the default threshold allows: it sits at this quantile of the normal images' scores
DEFAULT_THRESHOLD_QUANTILE = 0.95


#: queries per block when every test image's neighbours are found (a block's distances: 512 × N floats)
NEIGHBOUR_BLOCK = 512


def _scores_and_truth(scores: np.ndarray, is_anomaly: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    scores, is_anomaly = np.asarray(scores, dtype=np.float64).ravel(), np.asarray(is_anomaly, dtype=bool).ravel()
    if scores.shape != is_anomaly.shape:
        raise AecoreError(f"Need one score per image, got {scores.size} scores for {is_anomaly.size} images.")
    if is_anomaly.all() or not is_anomaly.any():
        raise AecoreError("Anomaly detection needs both normal and held-out images: leave at least one class out.")
    return scores, is_anomaly


def held_out(labels: np.ndarray, normal_classes: Sequence[int]) -> np.ndarray:
    """True for every image whose class is not one of the normal classes: what the detector should flag."""
    return ~np.isin(np.asarray(labels).ravel(), [int(label) for label in normal_classes])


def roc_points(scores: np.ndarray, is_anomaly: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ROC curve: false positive rate, true positive rate, and the threshold of each point (flag if ≥)."""
    from sklearn.metrics import roc_curve

    scores, is_anomaly = _scores_and_truth(scores, is_anomaly)
    fpr, tpr, thresholds = roc_curve(is_anomaly, scores)
    return fpr, tpr, thresholds


@dataclass(frozen=True)
class ThresholdResult:
    """What one threshold does: images scoring at or above it are flagged as anomalies (the positives)."""

    threshold: float
    true_positives: int
    false_positives: int
    false_negatives: int
    true_negatives: int

    @property
    def precision(self) -> float:
        """Of the flagged images, the share that really are held-out (1.0 when nothing is flagged)."""
        flagged = self.true_positives + self.false_positives
        return self.true_positives / flagged if flagged else 1.0

    @property
    def recall(self) -> float:
        """Of the held-out images, the share that are flagged (the true positive rate)."""
        return self.true_positives / (self.true_positives + self.false_negatives)

    @property
    def false_positive_rate(self) -> float:
        """Of the normal images, the share flagged by mistake (false alarms)."""
        return self.false_positives / (self.false_positives + self.true_negatives)


def threshold_result(scores: np.ndarray, is_anomaly: np.ndarray, threshold: float) -> ThresholdResult:
    """Count what flagging every score ≥ ``threshold`` gets right and wrong."""
    scores, is_anomaly = _scores_and_truth(scores, is_anomaly)
    flagged = scores >= threshold
    return ThresholdResult(
        float(threshold),
        int(np.sum(flagged & is_anomaly)),
        int(np.sum(flagged & ~is_anomaly)),
        int(np.sum(~flagged & is_anomaly)),
        int(np.sum(~flagged & ~is_anomaly)),
    )


def default_threshold(
    scores: np.ndarray, is_anomaly: np.ndarray, quantile: float = DEFAULT_THRESHOLD_QUANTILE
) -> float:
    """The normal images' score quantile: with 0.95, about 5% of normal images raise a false alarm."""
    if not 0.0 < quantile < 1.0:
        raise AecoreError(f"The threshold's quantile must lie strictly between 0 and 1, got {quantile}.")
    scores, is_anomaly = _scores_and_truth(scores, is_anomaly)
    return float(np.quantile(scores[~is_anomaly], quantile))


@dataclass(frozen=True)
class Clustering:
    """k-means on one representation of the test images, scored against their classes."""

    name: str
    dims: int
    accuracy: float
    nmi: float
    ari: float
    assignments: np.ndarray


def _flat_pixels(images: np.ndarray) -> np.ndarray:
    pixels = np.asarray(images, dtype=np.float32)
    if pixels.ndim < 2 or len(pixels) == 0:
        raise AecoreError(f"Expected a non-empty stack of images, got shape {pixels.shape}.")
    return pixels.reshape(len(pixels), -1)


def _labelled(labels: np.ndarray) -> np.ndarray:
    """The labels, refused when there are none to score clusters against (-1 marks an unknown label)."""
    labels = np.asarray(labels).ravel()
    if labels.size == 0 or np.any(labels < 0):
        raise AecoreError("Clustering is scored against the test images' classes: use a dataset with labels.")
    if np.unique(labels).size < 2:
        raise AecoreError("Clustering needs test images of at least two classes.")
    return labels


def pca_pixels(images: np.ndarray, dims: int, seed: int = 0) -> np.ndarray:
    """The images projected on their first ``dims`` principal components: the linear baseline of a code."""
    from sklearn.decomposition import PCA

    pixels = _flat_pixels(images)
    dims = min(int(dims), *pixels.shape)
    if dims < 1:
        raise AecoreError(f"PCA needs at least one component, got {dims}.")
    return PCA(n_components=dims, random_state=seed).fit_transform(pixels).astype(np.float32)


def cluster(features: np.ndarray, labels: np.ndarray, name: str, seed: int = 0, method: str = "kmeans") -> Clustering:
    """k-means (or ``method``: a Gaussian mixture, UMAP then a mixture) with k = number of classes on ``features``
    (N, D), with its accuracy, NMI and ARI."""
    labels = _labelled(labels)
    matrix = code_matrix(features)
    result = cluster_codes(matrix, labels, seed=seed, method=method)
    return Clustering(
        name, matrix.shape[1], result["accuracy"], result["nmi"], result["ari"], np.asarray(result["assignments"])
    )


def pixel_baselines(
    images: np.ndarray,
    labels: np.ndarray,
    code_dims: int,
    seed: int = 0,
    progress: Callable[[float, str], None] | None = None,
    method: str = "kmeans",
) -> list[Clustering]:
    """k-means (or ``method``) on the raw pixels and on PCA of the pixels to ``code_dims`` dimensions (the codes'
    size).

    Seconds each for a thousand images: ``progress`` hears each step (fraction done, what is happening).
    """
    labels = _labelled(labels)
    pixels = _flat_pixels(images)
    if len(pixels) != labels.size:
        raise AecoreError(f"Need one label per image, got {labels.size} labels for {len(pixels)} images.")
    report = progress or (lambda fraction, what: None)
    name = METHODS[method]
    report(0.0, f"{name} on the raw pixels of {len(pixels):,} images ({pixels.shape[1]:,}-D)…")
    raw = cluster(pixels, labels, "raw pixels", seed, method)
    report(0.5, f"{name} on PCA of the pixels to {code_dims} dimensions…")
    pca = cluster(pca_pixels(pixels, code_dims, seed), labels, "PCA of the pixels", seed, method)
    report(1.0, f"{name} on the pixels and on PCA: done")
    return [raw, pca]


def matched_confusion(labels: np.ndarray, assignments: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The confusion matrix of classes against clusters, each cluster placed under the class it is matched to.

    Returns ``(counts, classes, cluster_order)``: ``counts[i, j]`` images of ``classes[i]`` fell in cluster
    ``cluster_order[j]``; the first ``len(classes)`` columns are matched to ``classes`` in order (Hungarian, as in
    ``clustering_accuracy``), so the diagonal holds the images clustered right and its sum / N is the accuracy.
    """
    from scipy.optimize import linear_sum_assignment

    counts, classes, clusters = contingency(labels, assignments)
    rows, columns = linear_sum_assignment(counts, maximize=True)
    matched = columns[np.argsort(rows)]
    order = np.concatenate([matched, np.setdiff1d(np.arange(clusters.size), matched)])
    return counts[:, order], classes, clusters[order]


@dataclass(frozen=True)
class ClusterOwnership:
    """Which class holds most of each cluster: why a one-to-one matching scores what it does. k-means can spend
    two centres on a class spread wide in code space; another class then holds no cluster, and most of its
    images count as wrong however well the other classes separate."""

    majorities: np.ndarray  # per cluster (in ``np.unique(assignments)`` order), its most frequent class
    split: tuple[int, ...]  # classes that are the majority of two or more clusters
    unclaimed: tuple[int, ...]  # classes that are the majority of none


def cluster_ownership(labels: np.ndarray, assignments: np.ndarray) -> ClusterOwnership:
    counts, classes, _ = contingency(labels, assignments)
    majorities = classes[counts.argmax(axis=0)]
    owned = np.array([np.count_nonzero(majorities == label) for label in classes])
    return ClusterOwnership(
        majorities,
        tuple(int(label) for label in classes[owned > 1]),
        tuple(int(label) for label in classes[owned == 0]),
    )


def _squared_distances(queries: np.ndarray, features: np.ndarray) -> np.ndarray:
    """‖q − f‖² for every query and feature row, as ‖q‖² + ‖f‖² − 2 q·f (one matrix product)."""
    squared = np.sum(queries**2, axis=1)[:, None] + np.sum(features**2, axis=1)[None, :] - 2.0 * queries @ features.T
    return np.maximum(squared, 0.0)


def nearest_neighbours(features: np.ndarray, query_index: int, k: int) -> np.ndarray:
    """Indices of the ``k`` rows nearest to row ``query_index`` (Euclidean), nearest first, the query left out."""
    matrix = code_matrix(features)
    if not 0 <= query_index < len(matrix):
        raise AecoreError(f"Pick a test image between 0 and {len(matrix) - 1}, got {query_index}.")
    if not 1 <= k < len(matrix):
        raise AecoreError(f"The number of neighbours must be between 1 and {len(matrix) - 1}, got {k}.")
    return latent.nearest(matrix, matrix[query_index], k, exclude=query_index)


def same_class_fraction(labels: np.ndarray, query_index: int, neighbours: np.ndarray) -> float:
    """The share of the neighbours whose class is the query's: precision at k."""
    labels = np.asarray(labels).ravel()
    neighbours = np.asarray(neighbours, dtype=np.int64)
    if neighbours.size == 0:
        raise AecoreError("Need at least one neighbour to count classes among.")
    return float(np.mean(labels[neighbours] == labels[query_index]))


def mean_same_class_fraction(features: np.ndarray, labels: np.ndarray, k: int) -> float:
    """Precision at k averaged over every row as the query: how well a space keeps classes together.

    Computed a block of queries at a time, so 5,000 images never need a 5,000 × 5,000 matrix at once.
    """
    matrix = code_matrix(features).astype(np.float32)
    labels = np.asarray(labels).ravel()
    if labels.size != len(matrix):
        raise AecoreError(f"Need one label per row, got {labels.size} labels for {len(matrix)} rows.")
    if not 1 <= k < len(matrix):
        raise AecoreError(f"The number of neighbours must be between 1 and {len(matrix) - 1}, got {k}.")
    hits = 0
    for start in range(0, len(matrix), NEIGHBOUR_BLOCK):
        block = np.arange(start, min(start + NEIGHBOUR_BLOCK, len(matrix)))
        distances = _squared_distances(matrix[block], matrix)
        distances[np.arange(block.size), block] = np.inf
        nearest = np.argpartition(distances, k - 1, axis=1)[:, :k]
        hits += int(np.sum(labels[nearest] == labels[block][:, None]))
    return hits / (len(matrix) * k)
