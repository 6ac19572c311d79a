"""Quality against published figures: four models on full Fashion-MNIST, trained by aecore's engine, side by side.

Rows (each trained through ``aecore.training.engine.TrainingJob`` with an explicit ``RunConfig``, then scored on the
10,000 official test images):

- ``dense``: the 784-128-64-32 autoencoder (ReLU, sigmoid output, MSE), test MSE per pixel after 5 epochs;
- ``denoise``: the seed paper's 2,561-parameter convolutional denoiser on Gaussian noise of factor 0.2, PSNR gain
  over the noisy input after 5 epochs;
- ``vae``: the 400-100-2 VAE (Bernoulli decoder, β = 1), test −ELBO in nats per image after 5 epochs;
- ``kmeans``: k-means (k = 10) on the 10-D codes of the 784-500-500-2000-10 ``deep`` autoencoder against k-means on
  the raw pixels, accuracy (Hungarian matching) and NMI, trained as DEC-keras pretrains it (SGD with momentum,
  linear output, uniform ±1/√fan-in initialisation, 300 epochs at batch 256) and scored its way: trained on all
  70,000 images, k-means on the codes of all 70,000 (and, beside that, on the 10,000 test images' codes);
- ``kmeans-adam`` (not run unless named): the same model with Adam 1e-3 into a sigmoid output, 50 epochs on the
  54,000 training images, k-means on the test images' codes (docs/quality.md's earlier row);
- ``kmeans-defaults`` (not run unless named): as ``kmeans-adam`` with the ``deep`` variant's own defaults.

    python -m benchmarks.quality [--rows dense,denoise,vae,kmeans] [--epochs kmeans=20] [--seed 0] [--json]
    python -m benchmarks.quality --rows kmeans --checkpoints 100,200     # k-means also after epochs 100 and 200
    python -m benchmarks.quality --rows kmeans --deep-inputs same-norm   # every image scaled to one L2 norm
    python -m benchmarks.quality --rows kmeans-adam --epochs 15 --deep-activation leaky_relu --deep-learning-rate 3e-3

Prints a markdown table (row, ours, published figure, its source, budget); with ``--json`` the last stdout line is
one JSON object with every row's numbers, configs and timings. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from aecore.data.noise import corrupt_images
from aecore.data.registry import load_dataset
from aecore.jobs.run_jobs import new_job, resumed_job
from aecore.runs.store import RunStore
from aecore.settings.config import (
    NOISE_KINDS,
    ModelConfig,
    NoiseConfig,
    RegularisationConfig,
    RunConfig,
    TrainingConfig,
)
from aecore.training.evaluation import TEST_NOISE_SEED
from benchmarks.clustering import (
    ADAM_RECIPE,
    DATASET,
    DEC_RECIPE,
    INPUT_SCALINGS,
    clustering,
    deep_model,
    kmeans_scores,
    pair,
    register_all_images,
)

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


@dataclass(frozen=True)
class Row:
    name: str
    title: str
    config: RunConfig
    published: str
    source: str
    their_budget: str
    #: "test": trained on the training images, scored on the test images; "dec": DEC's, trained on all 70,000
    #: images and k-means on all of their codes
    protocol: str = "test"


def rows(
    seed: int,
    deep_overrides: dict[str, Any] | None = None,
    deep_noise: NoiseConfig | None = None,
    deep_inputs: str = "stored",
) -> dict[str, Row]:
    dec = {**DEC_RECIPE, **(deep_overrides or {})}
    adam = {**ADAM_RECIPE, **(deep_overrides or {})}
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
                "k-means on the 10-D codes of the deep 784-500-500-2000-10 autoencoder, trained DEC's way: accuracy "
                "/ NMI",
                RunConfig(
                    dataset=INPUT_SCALINGS[deep_inputs],
                    model=deep_model(dec["activation"], output="linear", init="fan_in_uniform"),
                    **({"noise": deep_noise} if deep_noise else {}),
                    training=TrainingConfig(
                        epochs=dec["epochs"],
                        batch_size=dec["batch_size"],
                        learning_rate=dec["learning_rate"],
                        optimizer="sgd",
                        seed=seed,
                    ),
                ),
                "0.606 / 0.637, its ten trials' mean (its README rounds to 0.61 / 0.64; raw pixels 0.47 / 0.51)",
                '[2] "AE+kmeans" (accuracy 0.561–0.648 over its 10 trials) and "kmeans" on the pixels',
                "300 epochs, batch 256, SGD lr 1 momentum 0.9, 70,000 images (train + test)",
                protocol="dec",
            ),
            Row(
                "kmeans-adam",
                "k-means on the deep 784-500-500-2000-10 autoencoder's 10-D test codes, Adam: accuracy / NMI",
                RunConfig(
                    dataset=DATASET,
                    model=deep_model(adam["activation"]),
                    training=TrainingConfig(
                        epochs=adam["epochs"],
                        batch_size=adam["batch_size"],
                        learning_rate=adam["learning_rate"],
                        seed=seed,
                    ),
                ),
                "0.606 / 0.637 (raw pixels 0.47 / 0.51)",
                '[2] "AE+kmeans" and "kmeans" on the pixels',
                "300 epochs, batch 256, SGD lr 1 momentum 0.9, 70,000 images (train + test)",
            ),
            Row(
                "kmeans-defaults",
                "k-means on the deep autoencoder's 10-D test codes, variant defaults, batch 256: accuracy / NMI",
                RunConfig(
                    dataset=DATASET,
                    model=deep_model(None),
                    training=TrainingConfig(epochs=adam["epochs"], batch_size=256, seed=seed),
                ),
                "0.606 / 0.637 (raw pixels 0.47 / 0.51)",
                '[2] "AE+kmeans" and "kmeans" on the pixels',
                "300 epochs, batch 256, SGD lr 1 momentum 0.9, 70,000 images (train + test)",
            ),
        )
    }


DEFAULT_ROWS = ("dense", "denoise", "vae", "kmeans")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def train(config: RunConfig, checkpoints: tuple[int, ...] = (), at_checkpoint: Any = None) -> tuple[Any, dict]:
    """One run through aecore's engine, synchronously in this thread, as the dashboard's worker runs it; paused
    after each epoch in ``checkpoints`` (resumed from its checkpoint in a scratch run store) for
    ``at_checkpoint(job)``, whose results come back under ``"checkpoints"``."""
    started = time.perf_counter()
    total = config.training.epochs
    stops = sorted({epoch for epoch in checkpoints if 0 < epoch < total} | {total})
    store = RunStore(tempfile.mkdtemp(prefix="aecore-quality-"))
    job, done, along = None, 0, []
    for stop in stops:
        if job is None:
            job = new_job(config.with_changes(training={"epochs": stop}), store)
        else:
            job = resumed_job(store, job.run_id, stop - done)
        job.run()
        snapshot = job.snapshot()
        if snapshot.status != "finished":
            raise SystemExit(f"the run of {config.model.variant} ended {snapshot.status}: {snapshot.message}")
        done = stop
        if stop < total and at_checkpoint is not None:
            along.append({"epoch": stop, **at_checkpoint(job)})
            log(f"  after epoch {stop}: {along[-1]}")
    seconds = [record["seconds"] for record in snapshot.epoch_history]
    timing = {
        "wall_seconds": round(time.perf_counter() - started, 1),
        "train_seconds_per_epoch": round(float(np.median(seconds)), 2),
    }
    return job, {"test_metrics": snapshot.test_metrics, **timing, **({"checkpoints": along} if along else {})}


def psnr_of_mean(mse: float) -> float:
    return 10.0 * math.log10(1.0 / mse)


def run_row(
    row: Row, n_init: int, seed: int, pixel_cache: dict[str, dict[str, float]], checkpoints: tuple[int, ...] = ()
) -> dict[str, Any]:
    config = row.config
    training = config.training
    log(
        f"[{row.name}] training {config.model.variant}, {training.epochs} epochs, batch {training.batch_size}, "
        f"{training.optimizer} {training.learning_rate:g} ..."
    )
    clusters = row.name.startswith("kmeans")
    if row.protocol == "dec":
        register_all_images(config.dataset)
    job, result = train(
        config,
        checkpoints if clusters else (),
        lambda job: clustering(job.model, row.protocol, n_init, seed, config.dataset),
    )
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
        log(f"[{row.name}] k-means (n_init={n_init}) on the codes ...")
        scores = clustering(job.model, row.protocol, n_init, seed, config.dataset)
        every = load_dataset(config.dataset) if row.protocol == "dec" else None  # DEC clusters all it trained on
        images, labels = (every.x_train, every.y_train) if every else (dataset.x_test, dataset.y_test)
        pixels_of = config.dataset if every else DATASET  # the pixels as the model sees them
        if pixels_of not in pixel_cache:
            log(f"[{row.name}] k-means (n_init={n_init}) on the {len(images):,} images' raw pixels ...")
            pixel_cache[pixels_of] = kmeans_scores(images, labels, n_init, seed)
        pixels = pixel_cache[pixels_of]
        headline = scores["all_codes" if row.protocol == "dec" else "test_codes"]
        out.update(figure=headline["accuracy"], codes=scores, raw_pixels=pixels)
        out["ours"] = f"{pair(headline)} (raw pixels {pair(pixels)})"
        if row.protocol == "dec":
            out["ours"] += (
                f"; the 10,000 test images within that clustering {pair(scores['test_in_all_codes'])}, their codes "
                f"clustered alone {pair(scores['test_codes'])}"
            )
    out.setdefault("published", row.published)
    out["our_budget"] = (
        f"{training.epochs} epochs, batch {training.batch_size}, {training.optimizer} {training.learning_rate:g}, "
        f"{load_dataset(config.dataset).n_train:,} training images"
    )
    if clusters:
        model = job.config.model
        where = "all 70,000 images" if row.protocol == "dec" else f"the {dataset.n_test:,} test images"
        scaled = ", each image scaled to the same L2 norm" if config.dataset == INPUT_SCALINGS["same-norm"] else ""
        out["our_budget"] += f"; {model.activation}, {model.output} output, {model.init}{scaled}; k-means on {where}"
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


def noise_config(text: str) -> NoiseConfig:
    kind, _, level = text.partition(":")
    if kind in NOISE_KINDS and level.replace(".", "", 1).isdigit():
        return NoiseConfig(kind=kind, level=float(level))
    raise argparse.ArgumentTypeError(
        f"expected KIND:LEVEL with KIND one of {', '.join(NOISE_KINDS)}, e.g. masking:0.2; got '{text}'"
    )


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
        help=f"the k-means rows' activation instead of {DEC_RECIPE['activation']}",
    )
    parser.add_argument(
        "--deep-learning-rate",
        type=float,
        help="the k-means rows' learning rate instead of their recipe's",
    )
    parser.add_argument(
        "--deep-noise",
        type=noise_config,
        metavar="KIND:LEVEL",
        help="the kmeans row trains as a denoising autoencoder on this corruption, e.g. masking:0.2 (the original "
        "DEC pretrains on 20%% dropout of its inputs)",
    )
    parser.add_argument(
        "--deep-inputs",
        choices=tuple(INPUT_SCALINGS),
        default="stored",
        help="the kmeans row's images as stored, or each scaled to the same L2 norm (the mean of all 70,000)",
    )
    parser.add_argument(
        "--checkpoints",
        default="",
        metavar="N,M",
        help="k-means rows: score the codes after these epochs too (the run pauses and resumes from its checkpoint)",
    )
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--json", action="store_true", help="end with one JSON object of every row's numbers")
    args = parser.parse_args(argv)
    overrides = {"activation": args.deep_activation, "learning_rate": args.deep_learning_rate}
    chosen_overrides = {name: value for name, value in overrides.items() if value is not None}
    defined = rows(args.seed, chosen_overrides, args.deep_noise, args.deep_inputs)
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
        checkpoints = tuple(int(text) for text in args.checkpoints.split(",") if text.strip())
        results.append(run_row(row, args.n_init, args.seed, pixel_cache, checkpoints))
    total = time.perf_counter() - started
    print(table(results, defined))
    print(f"\nwall time {total:.0f} s")
    if args.json:
        print(json.dumps({"rows": results, "wall_seconds": round(total, 1)}))


if __name__ == "__main__":
    main()
