"""What a trained autoencoder has learned: traversals, manifold grids, projections, clustering and anomaly metrics.

Models are not passed in: functions take plain callables ``encode(images) -> codes (N, K)`` and
``decode(codes) -> images (N, H, W, 1)`` so they work with any variant and test with tiny fakes.
scikit-learn and SciPy are imported inside the functions that need them (together about 2 s), so the
training job and the pages can use ``to_uint8`` without paying for them. PSNR is ``aecore.losses.psnr``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from aecore.errors import AecoreError

Decode = Callable[[np.ndarray], np.ndarray]

#: Every traversal steps each code dimension over ±3 standard deviations of the real codes.
TRAVERSAL_SPAN = 3.0
#: With a center and scale, the manifold grid spans center ± 2 scale (most of a bell-shaped code).
MANIFOLD_SPAN = 2.0


def _image_stack(images: np.ndarray) -> np.ndarray:
    """(N, H, W, 1) or (N, H, W) -> (N, H, W) float32, the one shape the rest of this module uses."""
    stack = np.asarray(images, dtype=np.float32)
    if stack.ndim == 4 and stack.shape[-1] == 1:
        stack = stack[..., 0]
    if stack.ndim != 3:
        raise AecoreError(f"Expected grayscale images shaped (N, H, W, 1) or (N, H, W), got shape {stack.shape}.")
    return stack


def _code_matrix(codes: np.ndarray) -> np.ndarray:
    """Codes as a non-empty (N, K) float array, the shape every encoder returns."""
    matrix = np.asarray(codes, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[0] == 0:
        raise AecoreError(f"Expected codes shaped (N, K) with N ≥ 1, got shape {matrix.shape}.")
    return matrix


def to_uint8(images: np.ndarray) -> np.ndarray:
    """Images in [0, 1] -> uint8, a trailing channel of 1 dropped: (N, H, W, 1) -> (N, H, W), (R, C, H, W) kept.

    A quarter of the bytes, for publishing grids from a training job.
    """
    array = np.asarray(images, dtype=np.float32)
    if array.ndim == 4 and array.shape[-1] == 1:
        array = array[..., 0]
    return np.round(np.clip(array, 0.0, 1.0) * 255.0).astype(np.uint8)


@dataclass(frozen=True)
class Traversal:
    """Decoded latent traversals: ``images[r, c]`` is code dimension ``dims[r]`` moved by ``offsets[c]`` σ."""

    images: np.ndarray  # (rows, steps, H, W) float32
    offsets: np.ndarray  # (steps,) in standard deviations of the real codes
    dims: np.ndarray  # (rows,) the code dimensions traversed, 0-based

    @property
    def row_labels(self) -> list[str]:
        """ "z1", "z2", ...: the traversed dimensions, numbered from 1 as in the formulas on the pages."""
        return [f"z{dim + 1}" for dim in self.dims]

    @property
    def column_labels(self) -> list[str]:
        """ "-3σ" ... "+3σ": how far each column moved its dimension."""
        return [f"{offset:+.2g}σ" if offset else "0σ" for offset in self.offsets]


def traversal_grid(
    decode: Decode, base_code: np.ndarray, code_std: np.ndarray, steps: int = 7, max_dims: int = 10
) -> Traversal:
    """Decode ``base_code`` with one dimension at a time moved over ±3 σ: what each code unit controls.

    When the code has more than ``max_dims`` dimensions, the ``max_dims`` with the largest spread are shown
    (in index order), since a dimension the encoder barely uses decodes to the same image all along its row.
    All rows are decoded in one call.
    """
    base = np.asarray(base_code, dtype=np.float32)
    spread = np.asarray(code_std, dtype=np.float32)
    if base.ndim != 1 or spread.shape != base.shape:
        raise AecoreError(f"base_code and code_std must both be shaped (K,), got {base.shape} and {spread.shape}.")
    if steps < 2 or max_dims < 1:
        raise AecoreError(f"A traversal needs steps ≥ 2 and max_dims ≥ 1, got steps={steps}, max_dims={max_dims}.")
    dims = np.sort(np.argsort(-spread, kind="stable")[:max_dims])
    offsets = np.linspace(-TRAVERSAL_SPAN, TRAVERSAL_SPAN, steps, dtype=np.float32)
    codes = np.tile(base, (len(dims), steps, 1))
    for row, dim in enumerate(dims):
        codes[row, :, dim] = base[dim] + offsets * spread[dim]
    images = _image_stack(decode(codes.reshape(-1, base.size)))
    return Traversal(images.reshape(len(dims), steps, *images.shape[1:]), offsets, dims)


def manifold_grid(
    decode: Decode,
    latent_dim: int,
    n: int = 15,
    center: float | np.ndarray | None = None,
    scale: float | np.ndarray | None = None,
) -> np.ndarray:
    """Decode an n × n grid of 2-D codes: the learned manifold (Kingma & Welling, Fig. 4; the seed report's VAE).

    Without ``center``/``scale`` the grid sits at the standard normal quantiles Φ⁻¹(linspace(0.05, 0.95, n)),
    where a VAE's prior puts its mass. For codes with no fixed prior (AAE, undercomplete), pass the mean and
    standard deviation of real codes: the grid then spans center ± 2·scale evenly on each axis.
    Returns (n, n, H, W); columns go along z1 (increasing), rows along z2 (decreasing, so "up" is up).
    """
    if latent_dim != 2:
        raise AecoreError(f"The manifold grid needs a 2-D code; this model's code has {latent_dim} dimensions.")
    if n < 2:
        raise AecoreError(f"The manifold grid needs n ≥ 2 points per axis, got {n}.")
    if center is None and scale is None:
        from scipy.stats import norm

        axis = norm.ppf(np.linspace(0.05, 0.95, n))
        z1, z2 = axis, axis
    else:
        mid = np.broadcast_to(np.asarray(0.0 if center is None else center, dtype=np.float64), (2,))
        spread = np.broadcast_to(np.asarray(1.0 if scale is None else scale, dtype=np.float64), (2,))
        if np.any(spread <= 0):
            raise AecoreError(f"The manifold grid's scale must be positive, got {spread.tolist()}.")
        unit = np.linspace(-MANIFOLD_SPAN, MANIFOLD_SPAN, n)
        z1, z2 = mid[0] + unit * spread[0], mid[1] + unit * spread[1]
    rows, columns = np.meshgrid(z2[::-1], z1, indexing="ij")
    codes = np.stack([columns.ravel(), rows.ravel()], axis=1).astype(np.float32)
    images = _image_stack(decode(codes))
    return images.reshape(n, n, *images.shape[1:])


def project_codes(
    codes: np.ndarray,
    method: Literal["pca", "tsne"] = "pca",
    dims: int = 2,
    seed: int = 0,
    max_points: int = 5000,
) -> tuple[np.ndarray, np.ndarray]:
    """Project codes to 2-D or 3-D for a scatter; returns (points, kept_index) with ``labels[kept_index]``.

    At most ``max_points`` codes are kept (a seeded random subset, in original order): a scatter shows no more,
    and t-SNE's cost grows with N². Codes with K ≤ dims are returned as they are, zero-padded to ``dims``.
    """
    matrix = _code_matrix(codes)
    if dims not in (2, 3):
        raise AecoreError(f"Codes can be projected to 2 or 3 dimensions, not {dims}.")
    if method not in ("pca", "tsne"):
        raise AecoreError(f"Unknown projection {method!r}: choose 'pca' or 'tsne'.")
    count, width = matrix.shape
    kept_index = np.arange(count)
    if count > max_points:
        kept_index = np.sort(np.random.default_rng(seed).choice(count, size=max_points, replace=False))
        matrix = matrix[kept_index]
    if width <= dims:
        return np.pad(matrix, ((0, 0), (0, dims - width))).astype(np.float32), kept_index
    if len(matrix) <= dims:
        raise AecoreError(f"Projecting to {dims}-D needs at least {dims + 1} codes, got {len(matrix)}.")
    if method == "pca":
        points = principal_components(matrix, dims)
    else:
        from sklearn.manifold import TSNE

        tsne = TSNE(n_components=dims, perplexity=min(30.0, len(matrix) - 1.0), init="pca", random_state=seed)
        points = tsne.fit_transform(matrix)
    return points.astype(np.float32), kept_index


def principal_components(matrix: np.ndarray, dims: int) -> np.ndarray:
    """The codes on their ``dims`` directions of largest variance, with numpy alone.

    The training job projects its validation codes after every epoch; scikit-learn's first import alone takes a
    second or two, which a live view would show as a stall at the first epoch's end. Each direction's sign is set
    so its largest score is positive, so the picture does not flip from one epoch to the next by chance.
    """
    centred = matrix - matrix.mean(axis=0)
    values, vectors = np.linalg.eigh(centred.T @ centred)
    directions = vectors[:, np.argsort(values)[::-1][:dims]]
    points = centred @ directions
    signs = np.sign(points[np.abs(points).argmax(axis=0), np.arange(dims)])
    return points * np.where(signs == 0, 1.0, signs)


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

    matrix = _code_matrix(codes)
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


def reconstruction_errors(images: np.ndarray, reconstructions: np.ndarray) -> np.ndarray:
    """Per-image mean squared error (N,): the anomaly score, high where the model never learned the pattern."""
    clean, rebuilt = _image_stack(images), _image_stack(reconstructions)
    if clean.shape != rebuilt.shape:
        raise AecoreError(f"Images and reconstructions differ in shape: {clean.shape} and {rebuilt.shape}.")
    return np.mean(np.square(clean - rebuilt), axis=(1, 2))


def anomaly_auc(scores: np.ndarray, is_anomaly: np.ndarray) -> float:
    """ROC AUC of anomaly scores: the chance a random anomaly scores higher than a random normal image."""
    from sklearn.metrics import roc_auc_score

    scores, is_anomaly = np.asarray(scores, dtype=np.float64).ravel(), np.asarray(is_anomaly, dtype=bool).ravel()
    if scores.shape != is_anomaly.shape:
        raise AecoreError(f"Need one score per image, got {scores.size} scores for {is_anomaly.size} images.")
    if is_anomaly.all() or not is_anomaly.any():
        raise AecoreError("The AUC needs both normal and anomalous images; choose data that contain both.")
    return float(roc_auc_score(is_anomaly, scores))


def code_statistics(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-dimension mean and standard deviation of real codes, std ≥ 1e-6: the traversal's centre and step."""
    matrix = _code_matrix(codes)
    return matrix.mean(axis=0).astype(np.float32), np.maximum(matrix.std(axis=0), 1e-6).astype(np.float32)
