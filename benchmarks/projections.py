"""How long each 2-D and 3-D layout of a run's test codes takes: PCA, t-SNE (scikit-learn's Barnes-Hut and, where
installed, openTSNE's FFT-accelerated one) and UMAP (its first fit in a process compiles numba code), side by side
on the same codes: what a run would spend at its end to have every projection ready.

    python -m benchmarks.projections [--store DIR --run ID] [--images 10000] [--json]

Without ``--run`` it trains the ``deep`` variant for 2 epochs on Fashion-MNIST first and uses its 10-D codes.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from aecore.data.registry import load_dataset


def codes_of(args: argparse.Namespace) -> np.ndarray:
    if args.run:
        from aecore.runs.checkpoints import load_run_model
        from aecore.runs.store import RunStore

        store = RunStore(args.store)
        model = load_run_model(store.folder(args.run))
        images = load_dataset(store.record(args.run).config.dataset).x_test[: args.images]
    else:
        from aecore.settings.config import ModelConfig, RunConfig, TrainingConfig
        from aecore.training.engine import TrainingJob

        job = TrainingJob(
            RunConfig(dataset="fashion-mnist", model=ModelConfig(variant="deep"), training=TrainingConfig(epochs=2))
        )
        job.run()
        model, images = job.model, load_dataset("fashion-mnist").x_test[: args.images]
    batches = [np.asarray(model.encode(images[start : start + 1000])) for start in range(0, len(images), 1000)]
    return np.concatenate(batches).reshape(len(images), -1).astype(np.float32)


def timings(codes: np.ndarray) -> dict[str, float]:
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE

    count = len(codes)
    half = codes[: min(count, 5000)]
    steps: dict[str, Callable[[], Any]] = {
        f"PCA 2-D and 3-D, {count:,} codes": lambda: (PCA(2).fit_transform(codes), PCA(3).fit_transform(codes)),
        f"t-SNE 2-D, scikit-learn Barnes-Hut, {count:,}": lambda: TSNE(2, init="pca", random_state=0).fit_transform(
            codes
        ),
        f"t-SNE 3-D, scikit-learn Barnes-Hut, {len(half):,}": lambda: TSNE(3, init="pca", random_state=0).fit_transform(
            half
        ),
    }
    try:
        import openTSNE

        steps[f"t-SNE 2-D, openTSNE FFT, {count:,}"] = lambda: openTSNE.TSNE(n_jobs=2, random_state=0).fit(codes)
    except ImportError:
        pass
    import umap

    steps[f"UMAP 2-D, {count:,}, first fit in the process (numba compiles)"] = lambda: umap.UMAP(
        n_components=2, random_state=0, n_jobs=1
    ).fit(codes)
    steps[f"UMAP 2-D, {count:,}, warm"] = lambda: umap.UMAP(n_components=2, random_state=0, n_jobs=1).fit(codes)
    steps[f"UMAP 3-D, {count:,}, warm"] = lambda: umap.UMAP(n_components=3, random_state=0, n_jobs=1).fit(codes)
    seconds = {}
    for name, step in steps.items():
        started = time.perf_counter()
        step()
        seconds[name] = round(time.perf_counter() - started, 1)
        print(f"{name}: {seconds[name]} s", flush=True)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", help="a run store (with --run)")
    parser.add_argument("--run", help="a stored run whose test codes to project")
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    seconds = timings(codes_of(args))
    if args.json:
        print(json.dumps(seconds))


if __name__ == "__main__":
    main()
