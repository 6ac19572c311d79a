"""Quality against published figures: four models on full Fashion-MNIST, trained by aecore's engine, side by side.

Rows (each trained through ``aecore.training.TrainingJob`` with an explicit ``RunConfig``, then scored on the
10,000 official test images):

- ``dense``: the 784-128-64-32 autoencoder (ReLU, sigmoid output, MSE), test MSE per pixel after 5 epochs;
- ``denoise``: the seed paper's 2,561-parameter convolutional denoiser on Gaussian noise of factor 0.2, PSNR gain
  over the noisy input after 5 epochs;
- ``vae``: the 400-100-2 VAE (Bernoulli decoder, β = 1), test −ELBO in nats per image after 5 epochs;
- ``kmeans``: k-means (k = 10) on the 10-D codes of the 784-500-500-2000-10 ``deep`` autoencoder against k-means on
  the raw pixels, accuracy (Hungarian matching) and NMI, after 50 epochs at batch 256;
- ``kmeans-defaults`` (not run unless named): the same with the ``deep`` variant's own defaults, batch 256.

    python -m benchmarks.quality [--rows dense,denoise,vae,kmeans] [--epochs kmeans=20] [--seed 0] [--json]
    python -m benchmarks.quality --rows kmeans --epochs 15 --deep-activation leaky_relu --deep-learning-rate 3e-3

Prints a markdown table (row, ours, published figure, its source, budget); with ``--json`` the last stdout line is
one JSON object with every row's numbers, configs and timings. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from aecore.analysis import clustering_accuracy
from aecore.config import ModelConfig, NoiseConfig, RegularisationConfig, RunConfig, TrainingConfig
from aecore.data import load_dataset
from aecore.evaluation import TEST_NOISE_SEED
from aecore.noise import corrupt_images
from aecore.training import TrainingJob

DATASET = "fashion-mnist"

#: where each published figure comes from; the table cites them by number
REFERENCES = {
    1: 'TensorFlow tutorial "Intro to Autoencoders" (tensorflow.org/tutorials/generative/autoencoder) on '
    "Fashion-MNIST: Adam 1e-3, batch 32, trained on the 60,000 training images and validated on the 10,000 test "
    "images; epoch 5 of its output as executed on 2022-12-14, copied in ocademy-ai/machine-learning, "
    "open-machine-learning-jupyter-book/assignments/deep-learning/autoencoder/autoencoder.ipynb",
    2: "XifengGuo/DEC-keras README, Table 1, fmnist (per-trial values in results/exp1/results.csv): the autoencoder "
    "784-500-500-2000-10 (ReLU, linear output, MSE, VarianceScaling init) pretrained 300 epochs with SGD (lr 1, "
    "momentum 0.9) at batch 256 on all 70,000 images, then k-means (n_init 20) on the codes of those same images; mean "
    "of 10 trials",
}

#: the deep autoencoder's settings for the k-means row. Of the settings tried (README, "Quality against published
#: figures"), only the learning rate moved the clustering: 1e-3 gave higher NMI than the variant's 3e-3 at every
#: epoch measured, and 0.569 accuracy at 50 epochs against 0.542 with the defaults; DEC-keras' 0.61 is not reached.
RECOMMENDED_DEEP = {"activation": "relu", "learning_rate": 1e-3, "batch_size": 256, "epochs": 50}


def deep_model(activation: str | None) -> ModelConfig:
    return ModelConfig(variant="deep", hidden=(500, 500, 2000), latent_dim=10, activation=activation, loss="mse")


@dataclass(frozen=True)
class Row:
    name: str
    title: str
    config: RunConfig
    published: str
    source: str
    their_budget: str


def rows(seed: int, deep_overrides: dict[str, Any] | None = None) -> dict[str, Row]:
    deep = {**RECOMMENDED_DEEP, **(deep_overrides or {})}
    return {
        row.name: row
        for row in (
            Row(
                "dense",
                "Dense 784-128-64-32 autoencoder: test MSE per pixel",
                RunConfig(
                    dataset=DATASET,
                    model=ModelConfig(
                        variant="undercomplete", hidden=(128, 64), latent_dim=32, activation="relu", loss="mse"
                    ),
                    training=TrainingConfig(epochs=5, batch_size=32, learning_rate=3e-3, seed=seed),
                ),
                "0.0092",
                "[1] its basic autoencoder, a one-layer 784-64 model (64-D code): val_loss at epoch 5",
                "5 epochs, batch 32, Adam 1e-3, 60,000 training images",
            ),
            Row(
                "denoise",
                "Conv denoiser (2,561 parameters), noise factor 0.2: PSNR gain over the noisy input",
                RunConfig(
                    dataset=DATASET,
                    model=ModelConfig(variant="conv_denoising", loss="bce"),
                    noise=NoiseConfig(kind="gaussian", level=0.2),
                    training=TrainingConfig(epochs=5, batch_size=32, learning_rate=3e-3, seed=seed, xla=False),
                ),
                "val MSE 0.0072",
                "[1] its denoiser (Conv 16 and 8 with stride 2, ConvT 8 and 16, Conv 1; 3,217 parameters), MSE loss: "
                "val_loss at epoch 5; gain = 10·log10(noisy-input MSE / 0.0072), the noisy input's MSE measured here",
                "5 epochs, batch 32, Adam 1e-3, 60,000 training images",
            ),
            Row(
                "vae",
                "VAE 400-100-2, Bernoulli decoder, β = 1: test −ELBO (nats per image)",
                RunConfig(
                    dataset=DATASET,
                    model=ModelConfig(variant="vae", hidden=(400, 100), latent_dim=2, loss="bce"),
                    regularisation=RegularisationConfig(beta=1.0),
                    training=TrainingConfig(epochs=5, batch_size=32, learning_rate=3e-3, seed=seed),
                ),
                "none found",
                "no −ELBO of a dense 2-D VAE on Fashion-MNIST found; MNIST's (about 150 nats) does not transfer",
                "—",
            ),
            Row(
                "kmeans",
                "k-means on the deep 784-500-500-2000-10 autoencoder's 10-D test codes: accuracy / NMI",
                RunConfig(
                    dataset=DATASET,
                    model=deep_model(deep["activation"]),
                    training=TrainingConfig(
                        epochs=deep["epochs"],
                        batch_size=deep["batch_size"],
                        learning_rate=deep["learning_rate"],
                        seed=seed,
                    ),
                ),
                "0.61 / 0.64 (raw pixels 0.47 / 0.51)",
                '[2] "AE+kmeans" (accuracy 0.561–0.648 over its 10 trials) and "kmeans" on the pixels',
                "300 epochs, batch 256, SGD lr 1 momentum 0.9, 70,000 images (train + test)",
            ),
            Row(
                "kmeans-defaults",
                "k-means on the deep autoencoder's 10-D test codes, variant defaults, batch 256: accuracy / NMI",
                RunConfig(
                    dataset=DATASET,
                    model=deep_model(None),
                    training=TrainingConfig(epochs=deep["epochs"], batch_size=256, seed=seed),
                ),
                "0.61 / 0.64 (raw pixels 0.47 / 0.51)",
                '[2] "AE+kmeans" and "kmeans" on the pixels',
                "300 epochs, batch 256, SGD lr 1 momentum 0.9, 70,000 images (train + test)",
            ),
        )
    }


DEFAULT_ROWS = ("dense", "denoise", "vae", "kmeans")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def train(config: RunConfig) -> tuple[TrainingJob, dict[str, Any]]:
    """One run through aecore's engine, synchronously in this thread, as the dashboard's worker runs it."""
    started = time.perf_counter()
    job = TrainingJob(config)
    job.run()
    snapshot = job.snapshot()
    if snapshot.status != "finished":
        raise SystemExit(f"the run of {config.model.variant} ended {snapshot.status}: {snapshot.message}")
    seconds = [record["seconds"] for record in snapshot.epoch_history]
    timing = {
        "wall_seconds": round(time.perf_counter() - started, 1),
        "train_seconds_per_epoch": round(float(np.median(seconds)), 2),
    }
    return job, {"test_metrics": snapshot.test_metrics, **timing}


def psnr_of_mean(mse: float) -> float:
    return 10.0 * math.log10(1.0 / mse)


def kmeans_scores(features: np.ndarray, labels: np.ndarray, n_init: int, seed: int) -> dict[str, float]:
    from sklearn.cluster import KMeans
    from sklearn.metrics import normalized_mutual_info_score

    features = np.asarray(features, dtype=np.float64).reshape(len(features), -1)
    assignments = KMeans(n_clusters=len(np.unique(labels)), n_init=n_init, random_state=seed).fit_predict(features)
    return {
        "accuracy": clustering_accuracy(labels, assignments),
        "nmi": float(normalized_mutual_info_score(labels, assignments)),
    }


def codes_of(job: TrainingJob, images: np.ndarray, batch: int = 1000) -> np.ndarray:
    encode = job.model.encode
    return np.concatenate([np.asarray(encode(images[start : start + batch])) for start in range(0, len(images), batch)])


def run_row(row: Row, n_init: int, seed: int, pixel_cache: dict[str, dict[str, float]]) -> dict[str, Any]:
    config = row.config
    log(
        f"[{row.name}] training {config.model.variant}, {config.training.epochs} epochs, "
        f"batch {config.training.batch_size}, lr {config.training.learning_rate:g} ..."
    )
    job, result = train(config)
    metrics = result["test_metrics"]
    dataset = load_dataset(DATASET)
    out: dict[str, Any] = {"row": row.name, "config": job.config.to_dict(), **result}
    if row.name == "dense":
        out["figure"] = metrics["test_mse"]
        out["ours"] = f"{metrics['test_mse']:.4f}"
    elif row.name == "denoise":
        noisy = corrupt_images(dataset.x_test, "gaussian", 0.2, seed=TEST_NOISE_SEED)
        noisy_mse = float(np.mean((noisy - dataset.x_test) ** 2))
        gain = psnr_of_mean(metrics["test_mse"]) - psnr_of_mean(noisy_mse)
        reference_gain = psnr_of_mean(0.0072) - psnr_of_mean(noisy_mse)
        out.update(
            figure=gain,
            noisy_input_mse=noisy_mse,
            reference_gain_db=reference_gain,
            per_image_psnr_gain_db=metrics["test_psnr"] - metrics["test_psnr_noisy_input"],
        )
        out["ours"] = f"+{gain:.2f} dB (test MSE {metrics['test_mse']:.4f}, noisy input {noisy_mse:.4f})"
        out["published"] = f"+{reference_gain:.2f} dB (val MSE 0.0072)"
    elif row.name == "vae":
        out["figure"] = -metrics["test_elbo"]
        out["ours"] = f"{-metrics['test_elbo']:.1f}"
    else:
        codes = codes_of(job, dataset.x_test)
        log(f"[{row.name}] k-means (n_init={n_init}) on {codes.shape[0]} codes of {codes.shape[1]} dims ...")
        scores = kmeans_scores(codes, dataset.y_test, n_init, seed)
        if "pixels" not in pixel_cache:
            log(f"[{row.name}] k-means (n_init={n_init}) on the raw pixels ...")
            pixel_cache["pixels"] = kmeans_scores(dataset.x_test, dataset.y_test, n_init, seed)
        pixels = pixel_cache["pixels"]
        out.update(figure=scores["accuracy"], codes=scores, raw_pixels=pixels)
        out["ours"] = (
            f"{scores['accuracy']:.3f} / {scores['nmi']:.3f} (raw pixels {pixels['accuracy']:.3f} / "
            f"{pixels['nmi']:.3f})"
        )
    out.setdefault("published", row.published)
    training = job.config.training
    out["our_budget"] = (
        f"{training.epochs} epochs, batch {training.batch_size}, Adam {training.learning_rate:g}, "
        f"{dataset.n_train:,} training images"
    )
    if row.name.startswith("kmeans"):
        out["our_budget"] += f"; {job.config.model.activation}; k-means on the {dataset.n_test:,} test images"
    log(f"[{row.name}] {out['ours']} ({result['wall_seconds']} s)")
    return out


def table(results: list[dict[str, Any]], defined: dict[str, Row]) -> str:
    lines = [
        "| row | ours | published | source | budget: ours / theirs |",
        "|---|---|---|---|---|",
    ]
    for result in results:
        row = defined[result["row"]]
        lines.append(
            f"| {row.title} | {result['ours']} | {result['published']} | {row.source} | "
            f"{result['our_budget']} / {row.their_budget} |"
        )
    lines.append("")
    lines += [f"[{number}] {text}" for number, text in REFERENCES.items()]
    return "\n".join(lines)


def parse_epochs(values: list[str], names: list[str]) -> dict[str, int]:
    epochs: dict[str, int] = {}
    for value in values:
        name, _, number = value.rpartition("=")
        targets = [name] if name else names
        if not number.isdigit() or int(number) < 1 or (name and name not in names):
            raise SystemExit(f"--epochs takes ROW=N or N (N ≥ 1, ROW one of {', '.join(names)}), got '{value}'")
        for target in targets:
            epochs[target] = int(number)
    return epochs


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default=",".join(DEFAULT_ROWS), help="comma-separated rows to run, in order")
    parser.add_argument(
        "--epochs",
        action="append",
        default=[],
        metavar="ROW=N",
        help="epochs for a row (or N for every row); repeat for several rows",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the weights, the shuffling and k-means")
    parser.add_argument("--n-init", type=int, default=20, help="k-means restarts (DEC-keras uses 20)")
    parser.add_argument(
        "--deep-activation",
        choices=("relu", "leaky_relu", "sigmoid", "tanh"),
        help=f"the k-means row's activation instead of {RECOMMENDED_DEEP['activation']}",
    )
    parser.add_argument(
        "--deep-learning-rate",
        type=float,
        help=f"the k-means row's learning rate instead of {RECOMMENDED_DEEP['learning_rate']:g}",
    )
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--json", action="store_true", help="end with one JSON object of every row's numbers")
    args = parser.parse_args(argv)
    overrides = {"activation": args.deep_activation, "learning_rate": args.deep_learning_rate}
    defined = rows(args.seed, {name: value for name, value in overrides.items() if value is not None})
    chosen = [name.strip() for name in args.rows.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in defined]
    if unknown or not chosen:
        raise SystemExit(f"unknown row(s) {unknown}; choose among {', '.join(defined)}")
    epochs = parse_epochs(args.epochs, chosen)
    started = time.perf_counter()
    results, pixel_cache = [], {}
    for name in chosen:
        row = defined[name]
        config = row.config.with_changes(
            training={"device": args.device, "epochs": epochs.get(name, row.config.training.epochs)}
        )
        row = Row(**{**row.__dict__, "config": config})
        results.append(run_row(row, args.n_init, args.seed, pixel_cache))
    total = time.perf_counter() - started
    print(table(results, defined))
    print(f"\nwall time {total:.0f} s")
    if args.json:
        print(json.dumps({"rows": results, "wall_seconds": round(total, 1)}))


if __name__ == "__main__":
    main()
