"""N2D's clustering on Fashion-MNIST, its recipe through aecore: the 784-500-500-2000-10 ``deep`` autoencoder trained
on all 70,000 images as rymc/n2d pretrains it (ReLU, linear output, Keras' Glorot uniform kernels, MSE, Adam 1e-3,
batch 256), then UMAP to 10 dimensions and a full-covariance Gaussian mixture on the codes of all 70,000 images,
scored as N2D scores (accuracy with Hungarian matching, NMI, ARI), beside k-means on the same codes.

Each seed is a stored run in ``--store`` (a folder that outlives the command): a second call with the same store
resumes each seed from its last checkpoint, so a long budget can be spent over several sittings. The codes are
scored after each epoch in ``--checkpoints`` and at the end.

    python -m benchmarks.n2d --seeds 0,1,2 --epochs 300 --checkpoints 100,200 --store ~/aecore-n2d [--json]

One JSON line per seed and checkpoint on stdout (its scores, the classes the mixture gave two clusters or none, the
training minutes so far); with ``--json`` a last line with every seed's final scores and their mean.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from aecore.analysis.clustering import cluster_codes
from aecore.data.registry import load_dataset
from aecore.jobs.run_jobs import new_job, resumed_job
from aecore.runs.store import RunStore
from aecore.settings.config import RunConfig, TrainingConfig
from benchmarks.clustering import ALL_IMAGES, codes_of, deep_model, ownership, register_all_images

#: rymc/n2d's pretraining (n2d.py): Keras' Dense defaults, 'mse' and 'adam' at batch 256. Adam's steps do not
#: depend on the loss's scale, so aecore's sum over pixels trains as Keras' mean over them does.
N2D_RECIPE = {"activation": "relu", "output": "linear", "init": "glorot_uniform", "learning_rate": 1e-3}
N2D_PUBLISHED = {"accuracy": 0.672, "nmi": 0.684}


def n2d_config(seed: int, epochs: int) -> RunConfig:
    return RunConfig(
        dataset=ALL_IMAGES,
        model=deep_model(N2D_RECIPE["activation"], output=N2D_RECIPE["output"], init=N2D_RECIPE["init"]),
        training=TrainingConfig(
            epochs=epochs, batch_size=256, learning_rate=N2D_RECIPE["learning_rate"], optimizer="adam", seed=seed
        ),
    )


def run_name(seed: int) -> str:
    return f"n2d-seed-{seed}"


def stored_run(store: RunStore, seed: int) -> Any:
    """The seed's run in the store, or None before its first call."""
    matches = [record for record in store.list() if record.name == run_name(seed)]
    return matches[0] if matches else None


def scores(job_model: Any, seed: int) -> dict[str, Any]:
    """UMAP + mixture (N2D) and k-means on the codes of all 70,000 images."""
    images = load_dataset(ALL_IMAGES)
    codes = codes_of(job_model, images.x_train)
    out: dict[str, Any] = {}
    for method in ("umap-gmm", "kmeans"):
        started = time.perf_counter()
        result = cluster_codes(codes, images.y_train, seed=seed, method=method)
        out[method] = {
            **{name: round(float(result[name]), 4) for name in ("accuracy", "nmi", "ari")},
            "seconds": round(time.perf_counter() - started, 1),
            **ownership(images.y_train, result["assignments"], images.class_names),
        }
    return out


def train_seed(store: RunStore, seed: int, epochs: int, checkpoints: tuple[int, ...]) -> list[dict[str, Any]]:
    """Train (or resume) the seed's run to ``epochs``, scoring it at each checkpoint it passes in this call."""
    lines = []
    for stop in sorted({epoch for epoch in checkpoints if 0 < epoch < epochs} | {epochs}):
        record = stored_run(store, seed)
        done = record.epochs_done if record else 0
        if done >= stop and stop < epochs:
            continue
        if record is None:
            job = new_job(n2d_config(seed, stop), store, name=run_name(seed))
        elif done < stop:
            job = resumed_job(store, record.id, stop - done)
        else:
            job = None  # already trained this far: score it again from its checkpoint
        if job is not None:
            print(f"seed {seed}: training to epoch {stop} (from {done})", file=sys.stderr, flush=True)
            job.run()
            snapshot = job.snapshot()
            if snapshot.status != "finished":
                raise SystemExit(f"seed {seed} ended {snapshot.status}: {snapshot.message}")
        from aecore.runs.checkpoints import load_run_model

        record = stored_run(store, seed)
        folder = store.folder(record.id)
        model = job.model if job is not None else load_run_model(folder)
        seconds = sum(epoch["seconds"] for epoch in folder.history().epochs)
        line = {"seed": seed, "run": record.id, "epoch": record.epochs_done, "train_minutes": round(seconds / 60, 1)}
        line.update(scores(model, seed))
        print(json.dumps(line), flush=True)
        lines.append(line)
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2", help="the seeds, decided before they run")
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--checkpoints", default="100,200", metavar="N,M")
    parser.add_argument("--store", type=Path, required=True, help="a run store that outlives the command")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    register_all_images(ALL_IMAGES)
    store = RunStore(args.store.expanduser())
    checkpoints = tuple(int(text) for text in args.checkpoints.split(",") if text.strip())
    finals = []
    for seed in (int(text) for text in args.seeds.split(",")):
        finals.append(train_seed(store, seed, args.epochs, checkpoints)[-1])
    if args.json:
        mean = {
            method: {
                name: round(float(np.mean([line[method][name] for line in finals])), 4) for name in ("accuracy", "nmi")
            }
            for method in ("umap-gmm", "kmeans")
        }
        print(json.dumps({"seeds": finals, "mean": mean, "published": N2D_PUBLISHED}))


if __name__ == "__main__":
    main()
