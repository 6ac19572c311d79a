"""k-means on an autoencoder's codes, for the quality table's clustering rows: the training recipes compared, DEC's
protocol (every Fashion-MNIST image to train on and to cluster), and the scores (accuracy with Hungarian matching,
NMI)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from aecore.analysis.clustering import clustering_accuracy
from aecore.data.registry import add_user_dataset, load_dataset
from aecore.explore.applications import cluster_ownership
from aecore.settings.config import ModelConfig

DATASET = "fashion-mnist"

#: the k-means row as DEC-keras pretrains its autoencoder [2]: ReLU, a linear output and MSE, kernels uniform in
#: ±1/√fan-in, SGD with momentum 0.9 at batch 256 for 300 epochs. Its rate of 1 applies to Keras' MSE, a mean over
#: the 784 pixels; aecore's losses sum over them, so the same steps take a rate of 1/784.
DEC_RECIPE = {"activation": "relu", "learning_rate": 1 / 784, "batch_size": 256, "epochs": 300}
#: the k-means row of docs/quality.md before DEC's recipe could be expressed: Adam 1e-3 into the sigmoid output
ADAM_RECIPE = {"activation": "relu", "learning_rate": 1e-3, "batch_size": 256, "epochs": 50}
#: every Fashion-MNIST image (training, validation, test) as one in-memory dataset: DEC's protocol trains on all
#: 70,000 images and clusters the codes of all of them
ALL_IMAGES = "memory:fashion-mnist-all"


def deep_model(activation: str | None, **choices: str) -> ModelConfig:
    return ModelConfig(
        variant="deep", hidden=(500, 500, 2000), latent_dim=10, activation=activation, loss="mse", **choices
    )


#: how the images reach the deep model under DEC's protocol: as stored, or each scaled to the same L2 norm (the mean
#: norm of all 70,000 images), which takes away how much ink an image has and keeps its shape
INPUT_SCALINGS = {"stored": ALL_IMAGES, "same-norm": f"{ALL_IMAGES}-same-norm"}


def same_norm(images: np.ndarray, norm: float) -> np.ndarray:
    """Each image multiplied by the one factor that gives its pixels the L2 norm ``norm``."""
    flat = np.asarray(images, dtype=np.float32).reshape(len(images), -1)
    return (flat * (norm / np.linalg.norm(flat, axis=1))[:, None]).reshape(np.shape(images)).astype(np.float32)


def pooled(base: Any, name: str, parts: tuple[str, ...]) -> Any:
    """``base`` named ``name``, its training images those of ``parts`` ("train", "val", "test") together; its
    validation and test splits as they were."""
    return replace(
        base,
        name=name,
        x_train=np.concatenate([getattr(base, f"x_{part}") for part in parts]),
        y_train=np.concatenate([getattr(base, f"y_{part}") for part in parts]),
    )


def register_all_images(dataset: str) -> None:
    """DEC's protocol dataset ``dataset`` (a value of ``INPUT_SCALINGS``): all 70,000 images to train on; validation
    and test keep their official images (scaled as the training images are). Only the scaling asked for is built:
    a scaled copy of every image costs about 220 MB."""
    every = pooled(load_dataset(DATASET), ALL_IMAGES, ("train", "val", "test"))
    if dataset == ALL_IMAGES:
        add_user_dataset(every)
        return
    if dataset != INPUT_SCALINGS["same-norm"]:
        raise ValueError(f"not a DEC protocol dataset: {dataset}; one of {', '.join(INPUT_SCALINGS.values())}")
    norm = float(np.linalg.norm(every.x_train.reshape(len(every.x_train), -1), axis=1).mean())
    add_user_dataset(
        replace(
            every,
            name=dataset,
            **{part: same_norm(getattr(every, part), norm) for part in ("x_train", "x_val", "x_test")},
        )
    )


def kmeans_assignments(features: np.ndarray, clusters: int, n_init: int, seed: int) -> np.ndarray:
    from sklearn.cluster import KMeans

    features = np.asarray(features, dtype=np.float64).reshape(len(features), -1)
    return KMeans(n_clusters=clusters, n_init=n_init, random_state=seed).fit_predict(features)


def scores_of(labels: np.ndarray, assignments: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import normalized_mutual_info_score

    return {
        "accuracy": clustering_accuracy(labels, assignments),
        "nmi": float(normalized_mutual_info_score(labels, assignments)),
    }


def ownership(labels: np.ndarray, assignments: np.ndarray, class_names: tuple[str, ...]) -> dict[str, list[str]]:
    """The classes k-means gave several clusters and those it gave none (``applications.cluster_ownership``)."""
    owned = cluster_ownership(labels, assignments)
    return {kind: [class_names[label] for label in getattr(owned, kind)] for kind in ("split", "unclaimed")}


def inertia(features: np.ndarray, assignments: np.ndarray) -> float:
    """k-means' objective for a partition: the squared distances of the points to the means of their clusters."""
    features = np.asarray(features, dtype=np.float64).reshape(len(features), -1)
    total = 0.0
    for cluster in np.unique(assignments):
        members = features[assignments == cluster]
        total += float(((members - members.mean(0)) ** 2).sum())
    return total


def from_class_centroids(codes: np.ndarray, labels: np.ndarray, class_names: tuple[str, ...]) -> dict[str, Any]:
    """Lloyd's k-means started from the classes' centroids. It reads the labels, so it is a diagnosis, not a method:
    the k-means optimum nearest the classes, whose inertia says whether k-means' own objective prefers it to the
    partition k-means finds unaided."""
    from sklearn.cluster import KMeans

    features = np.asarray(codes, dtype=np.float64).reshape(len(codes), -1)
    classes = np.unique(labels)
    centroids = np.stack([features[labels == label].mean(0) for label in classes])
    assignments = KMeans(n_clusters=len(classes), init=centroids, n_init=1).fit_predict(features)
    return {
        **scores_of(labels, assignments),
        "inertia": inertia(features, assignments),
        **ownership(labels, assignments, class_names),
    }


def kmeans_scores(features: np.ndarray, labels: np.ndarray, n_init: int, seed: int) -> dict[str, float]:
    return scores_of(labels, kmeans_assignments(features, len(np.unique(labels)), n_init, seed))


def codes_of(model: Any, images: np.ndarray, batch: int = 1000) -> np.ndarray:
    encode = model.encode
    return np.concatenate([np.asarray(encode(images[start : start + batch])) for start in range(0, len(images), batch)])


def clustering(model: Any, protocol: str, n_init: int, seed: int, dataset: str = DATASET) -> dict[str, dict[str, Any]]:
    """k-means on the test images' codes; under DEC's protocol (``dataset`` one of ``INPUT_SCALINGS``' datasets) also
    on the codes of all 70,000 images, scored on all of them and on the test images among them (the last 10,000),
    beside the k-means optimum nearest the classes (``from_class_centroids``)."""
    images = load_dataset(dataset)
    scores = {"test_codes": kmeans_scores(codes_of(model, images.x_test), images.y_test, n_init, seed)}
    if protocol == "dec":
        classes = len(np.unique(images.y_train))
        codes = codes_of(model, images.x_train)
        assignments = kmeans_assignments(codes, classes, n_init, seed)
        tests = slice(len(images.x_train) - len(images.x_test), None)
        scores["all_codes"] = {**scores_of(images.y_train, assignments), "inertia": inertia(codes, assignments)}
        scores["all_codes_ownership"] = ownership(images.y_train, assignments, images.class_names)
        scores["all_codes_from_class_centroids"] = from_class_centroids(codes, images.y_train, images.class_names)
        scores["test_in_all_codes"] = scores_of(images.y_train[tests], assignments[tests])
    return scores


def pair(scores: dict[str, float]) -> str:
    return f"{scores['accuracy']:.3f} / {scores['nmi']:.3f}"


def main() -> None:
    """Score saved runs of the deep model (run folders, e.g. the quality benchmark's scratch store) without
    training them again: ``python -m benchmarks.clustering RUN_FOLDER... [--kmeans-seeds 0,1,2] [--n-init 20]``."""
    import argparse
    import json
    from pathlib import Path

    from aecore.runs.checkpoints import load_run_model
    from aecore.runs.folder import RunFolder

    parser = argparse.ArgumentParser(description=main.__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--kmeans-seeds", default="0,1,2")
    parser.add_argument("--n-init", type=int, default=20)
    args = parser.parse_args()
    for folder in args.folders:
        run = RunFolder(folder)
        model, dataset = load_run_model(run), run.config().dataset
        register_all_images(dataset)
        for seed in (int(value) for value in args.kmeans_seeds.split(",")):
            scores = clustering(model, "dec", args.n_init, seed, dataset)
            print(json.dumps({"run": folder.name, "kmeans_seed": seed, **scores}), flush=True)


if __name__ == "__main__":
    main()
