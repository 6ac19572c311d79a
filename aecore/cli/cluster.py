"""``python -m aecore cluster RUN_ID``: a stored run's codes clustered as the Applications page clusters them
(k-means, a Gaussian mixture, or N2D's UMAP then a mixture), on its codes, the raw pixels or PCA of the pixels,
scored by accuracy (Hungarian matching), NMI and ARI against the classes."""

from __future__ import annotations

import argparse
import json

import numpy as np

from aecore.errors import AecoreError

PLACES = ("codes", "pixels", "pca")


def add_cluster_parser(commands: argparse._SubParsersAction) -> None:
    from aecore.analysis.clustering import METHODS

    parser = commands.add_parser("cluster", help="cluster a stored run's codes (or pixels, or PCA) and score them")
    parser.add_argument("run_id", metavar="RUN_ID")
    parser.add_argument("--method", choices=list(METHODS), default="kmeans", help="default: kmeans")
    parser.add_argument("--on", choices=PLACES, default="codes", help="what is clustered (default: codes)")
    parser.add_argument(
        "--all", action="store_true", help="every image of the dataset, as DEC and N2D score (default: the test images)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")


def cluster_command(args: argparse.Namespace) -> int:
    from aecore.runs.store import RunStore

    store = RunStore()
    record = store.record(args.run_id)
    from aecore.explore.applications import cluster, pca_pixels
    from aecore.explore.stored_model import TrainedRun  # imports TensorFlow: only once the run is found

    trained = TrainedRun.load(store.folder(args.run_id), record)
    data = trained.dataset
    if args.all:
        images = np.concatenate([data.x_train, data.x_val, data.x_test])
        labels = np.concatenate([data.y_train, data.y_val, data.y_test])
    else:
        images, labels = data.x_test, data.y_test
    if len(images) < 2:
        raise AecoreError(f"The run's dataset '{record.config.dataset}' has too few images to cluster.")
    codes = trained.encode(images)
    features = {
        "codes": lambda: codes,
        "pixels": lambda: images.reshape(len(images), -1),
        "pca": lambda: pca_pixels(images, codes.shape[1], args.seed),
    }[args.on]()
    found = cluster(features, labels, args.on, args.seed, args.method)
    result = {
        "run_id": record.id,
        "method": args.method,
        "on": args.on,
        "images": len(images),
        "dims": found.dims,
        "accuracy": found.accuracy,
        "nmi": found.nmi,
        "ari": found.ari,
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{args.method} on {args.on} ({found.dims}-D) of {len(images):,} images of run {record.id}")
        print(f"accuracy {found.accuracy:.3f}  nmi {found.nmi:.3f}  ari {found.ari:.3f}")
    return 0
