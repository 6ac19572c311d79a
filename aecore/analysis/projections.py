"""Codes projected to two or three dimensions (PCA, t-SNE, UMAP), and their per-dimension statistics."""

from __future__ import annotations

from typing import Literal

import numpy as np

from aecore.errors import AecoreError


def code_matrix(codes: np.ndarray) -> np.ndarray:
    """Codes as a non-empty (N, K) float array, the shape every encoder returns."""
    matrix = np.asarray(codes, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[0] == 0:
        raise AecoreError(f"Expected codes shaped (N, K) with N ≥ 1, got shape {matrix.shape}.")
    return matrix


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
    matrix = code_matrix(codes)
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
    second or two, which a live view would show as a stall at the first epoch's end.
    """
    mean, directions = principal_directions(matrix, dims)
    return (matrix - mean) @ directions


def principal_directions(matrix: np.ndarray, dims: int) -> tuple[np.ndarray, np.ndarray]:
    """The codes' mean (K,) and their ``dims`` directions of largest variance (K, dims): the linear map that places
    any code, ``(code - mean) @ directions``. Each direction's sign is set so the codes' largest score on it is
    positive, so the picture does not flip from one epoch to the next by chance."""
    matrix = np.asarray(matrix, dtype=np.float64)
    mean = matrix.mean(axis=0)
    centred = matrix - mean
    values, vectors = np.linalg.eigh(centred.T @ centred)
    directions = vectors[:, np.argsort(values)[::-1][:dims]]
    points = centred @ directions
    signs = np.sign(points[np.abs(points).argmax(axis=0), np.arange(dims)])
    return mean, directions * np.where(signs == 0, 1.0, signs)


def code_statistics(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-dimension mean and standard deviation of real codes, std ≥ 1e-6: the traversal's centre and step."""
    matrix = code_matrix(codes)
    return matrix.mean(axis=0).astype(np.float32), np.maximum(matrix.std(axis=0), 1e-6).astype(np.float32)
