"""k-means on an autoencoder's codes, for the quality table's clustering rows: the training recipes compared, DEC's
protocol (every Fashion-MNIST image to train on and to cluster), and the scores (accuracy with Hungarian matching,
NMI)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from aecore.analysis import clustering_accuracy
from aecore.config import ModelConfig
from aecore.data import add_user_dataset, load_dataset

DATASET = "fashion-mnist"

#: the k-means row as DEC-keras pretrains its autoencoder [2]: ReLU, a linear output and MSE, kernels uniform in
#: ±1/√fan-in, SGD with momentum 0.9 at batch 256 for 300 epochs. Its rate of 1 applies to Keras' MSE, a mean over
#: the 784 pixels; aecore's losses sum over them, so the same steps take a rate of 1/784.
DEC_RECIPE = {"activation": "relu", "learning_rate": 1 / 784, "batch_size": 256, "epochs": 300}
#: the k-means row of this README before DEC's recipe could be expressed: Adam 1e-3 into the sigmoid output
ADAM_RECIPE = {"activation": "relu", "learning_rate": 1e-3, "batch_size": 256, "epochs": 50}
#: every Fashion-MNIST image (training, validation, test) as one in-memory dataset: DEC's protocol trains on all
#: 70,000 images and clusters the codes of all of them
ALL_IMAGES = "upload:fashion-mnist-all"


def deep_model(activation: str | None, **choices: str) -> ModelConfig:
    return ModelConfig(
        variant="deep", hidden=(500, 500, 2000), latent_dim=10, activation=activation, loss="mse", **choices
    )


def register_all_images() -> None:
    """DEC's protocol dataset: all 70,000 images to train on; validation and test keep their official images."""
    base = load_dataset(DATASET)
    add_user_dataset(
        replace(
            base,
            name=ALL_IMAGES,
            x_train=np.concatenate([base.x_train, base.x_val, base.x_test]),
            y_train=np.concatenate([base.y_train, base.y_val, base.y_test]),
        )
    )


def kmeans_scores(features: np.ndarray, labels: np.ndarray, n_init: int, seed: int) -> dict[str, float]:
    from sklearn.cluster import KMeans
    from sklearn.metrics import normalized_mutual_info_score

    features = np.asarray(features, dtype=np.float64).reshape(len(features), -1)
    assignments = KMeans(n_clusters=len(np.unique(labels)), n_init=n_init, random_state=seed).fit_predict(features)
    return {
        "accuracy": clustering_accuracy(labels, assignments),
        "nmi": float(normalized_mutual_info_score(labels, assignments)),
    }


def codes_of(job: Any, images: np.ndarray, batch: int = 1000) -> np.ndarray:
    encode = job.model.encode
    return np.concatenate([np.asarray(encode(images[start : start + batch])) for start in range(0, len(images), batch)])


def clustering(job: Any, protocol: str, n_init: int, seed: int) -> dict[str, dict[str, float]]:
    """k-means on the test images' codes; under DEC's protocol also on the codes of all 70,000 images."""
    test = load_dataset(DATASET)
    scores = {"test_codes": kmeans_scores(codes_of(job, test.x_test), test.y_test, n_init, seed)}
    if protocol == "dec":
        every = load_dataset(ALL_IMAGES)
        scores["all_codes"] = kmeans_scores(codes_of(job, every.x_train), every.y_train, n_init, seed)
    return scores


def pair(scores: dict[str, float]) -> str:
    return f"{scores['accuracy']:.3f} / {scores['nmi']:.3f}"
