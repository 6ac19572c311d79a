"""Anomaly scores from reconstructions: per-image error and the area under the ROC curve."""

from __future__ import annotations

import numpy as np

from aecore.analysis.pixels import image_stack
from aecore.errors import AecoreError


def reconstruction_errors(images: np.ndarray, reconstructions: np.ndarray) -> np.ndarray:
    """Per-image mean squared error (N,): the anomaly score, high where the model never learned the pattern."""
    clean, rebuilt = image_stack(images), image_stack(reconstructions)
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
