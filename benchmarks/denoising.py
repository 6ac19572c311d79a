"""Denoising across noise levels: PSNR and SSIM of the noisy input and of the output, for the seed paper's
convolutional denoiser and a dense denoiser, each trained on the noise it is scored on; and the TensorFlow
tutorial's denoiser beside the seed's model on the tutorial's own budget.

    python -m benchmarks.denoising [--datasets fashion-mnist,mnist-5k] [--epochs 5] [--json]
    python -m benchmarks.denoising --tutorial --seeds 0,1,2   # the two convolutional models, the tutorial's way
    python -m benchmarks.denoising --tutorial --as-written --seeds 0,1,2   # the tutorial's own code, plain Keras

Each row trains through ``aecore.training.engine.TrainingJob`` and reads the run's own test metrics (PSNR and SSIM
over the test images the noise changed, ``aecore.training.evaluation``), so the table is what the Denoising page and
the Runs table show for such runs. Prints a markdown table; with ``--json`` a last line with every row.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from typing import Any

import numpy as np

from aecore.data.registry import add_user_dataset, load_dataset
from aecore.settings.config import ModelConfig, NoiseConfig, RunConfig, TrainingConfig
from aecore.settings.presets import PRESETS
from aecore.training.engine import TrainingJob
from benchmarks.clustering import pooled

#: the noises of the table: Gaussian of these standard deviations, masking of these fractions of pixels
NOISES = (
    ("gaussian", 0.1),
    ("gaussian", 0.2),
    ("gaussian", 0.3),
    ("gaussian", 0.5),
    ("masking", 0.2),
    ("masking", 0.5),
)
#: the two denoisers, each with its variant's defaults: the seed's 2,561-parameter convolutional model (BCE) and the
#: dense 784-128-64-32 autoencoder (squared error)
MODELS = {
    "seed conv (2,561)": ModelConfig(variant="conv_denoising"),
    "dense 128-64-32": ModelConfig(variant="undercomplete"),
}
#: the tutorial's budget for its denoiser: 5 epochs, batch 32, Adam 1e-3, squared error, Gaussian noise 0.2
TUTORIAL = PRESETS["tf-tutorial-denoiser"].config
TUTORIAL_VAL_MSE = 0.0072
#: the tutorial trains on all 60,000 training images (aecore keeps 6,000 of them for validation) and validates on the
#: 10,000 test images: this in-process dataset is that split, so its 5 epochs are the tutorial's 9,375 steps
SIXTY_THOUSAND = "memory:fashion-mnist-60k"


def register_sixty_thousand() -> None:
    """Fashion-MNIST with its validation images put back among the training images (they stay the validation
    split too: the test images score the run)."""
    every = pooled(load_dataset(TUTORIAL.dataset), SIXTY_THOUSAND, ("train", "val"))
    add_user_dataset(every)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def measure(config: RunConfig) -> dict[str, Any]:
    """Train one run and keep its test figures: MSE, and PSNR (dB) and SSIM of the noisy input and of the output."""
    started = time.perf_counter()
    job = TrainingJob(config)
    job.run()
    snapshot = job.snapshot()
    if snapshot.status != "finished":
        raise SystemExit(f"{config.model.variant} on {config.dataset} ended {snapshot.status}: {snapshot.message}")
    metrics = snapshot.test_metrics
    return {
        "dataset": config.dataset,
        "noise": f"{config.noise.kind} {config.noise.level:g}",
        "variant": config.model.variant,
        "parameters": job.model.count_params(),
        "test_mse": round(metrics["test_mse"], 5),
        "psnr_input": round(metrics["test_psnr_noisy_input"], 2),
        "psnr_output": round(metrics["test_psnr"], 2),
        "ssim_input": round(metrics["test_ssim_noisy_input"], 3),
        "ssim_output": round(metrics["test_ssim"], 3),
        "seconds": round(time.perf_counter() - started, 1),
    }


def noise_table(datasets: list[str], epochs: int) -> list[dict[str, Any]]:
    rows = []
    for dataset in datasets:
        for kind, level in NOISES:
            for name, model in MODELS.items():
                config = RunConfig(
                    dataset=dataset,
                    model=model,
                    noise=NoiseConfig(kind=kind, level=level),
                    training=TrainingConfig(epochs=epochs),
                )
                log(f"{dataset}, {kind} {level:g}: {name} ...")
                rows.append({"model": name, **measure(config)})
                log(f"  {rows[-1]}")
    return rows


def tutorial_as_written(seed: int) -> dict[str, Any]:
    """The tutorial's own code on this machine, in plain Keras (no aecore engine): noise drawn once onto the 60,000
    training and 10,000 test images and clipped, its ``Denoise`` model, ``fit`` with Adam, MSE, batch 32, 5 epochs;
    the last epoch's val_loss is the figure it publishes."""
    import keras
    import tensorflow as tf

    base = load_dataset(TUTORIAL.dataset)
    x_train = np.concatenate([base.x_train, base.x_val]).astype("float32")
    x_test = base.x_test.astype("float32")
    keras.utils.set_random_seed(seed)
    noisy_train = tf.clip_by_value(x_train + 0.2 * tf.random.normal(shape=x_train.shape), 0.0, 1.0)
    noisy_test = tf.clip_by_value(x_test + 0.2 * tf.random.normal(shape=x_test.shape), 0.0, 1.0)
    conv = {"kernel_size": (3, 3), "activation": "relu", "padding": "same"}
    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(16, strides=2, **conv),
            keras.layers.Conv2D(8, strides=2, **conv),
            keras.layers.Conv2DTranspose(8, strides=2, **conv),
            keras.layers.Conv2DTranspose(16, strides=2, **conv),
            keras.layers.Conv2D(1, kernel_size=(3, 3), activation="sigmoid", padding="same"),
        ]
    )
    model.compile(optimizer="adam", loss=keras.losses.MeanSquaredError())
    started = time.perf_counter()
    history = model.fit(noisy_train, x_train, epochs=5, shuffle=True, validation_data=(noisy_test, x_test), verbose=0)
    return {
        "model": "tutorial's code, plain Keras",
        "seed": seed,
        "parameters": model.count_params(),
        "val_mse": round(float(history.history["val_loss"][-1]), 5),
        "seconds": round(time.perf_counter() - started, 1),
    }


def tutorial_rows(seeds: list[int]) -> list[dict[str, Any]]:
    """The tutorial's denoiser and the seed's model, each on the tutorial's budget, loss and 60,000 images."""
    register_sixty_thousand()
    tutorial = replace(TUTORIAL, dataset=SIXTY_THOUSAND)
    seed_model = tutorial.with_changes(model={"channels": (16, 8, 8), "downsampling": "pool"})
    rows = []
    for seed in seeds:
        for name, config in (("tutorial (3,217)", tutorial), ("seed conv (2,561)", seed_model)):
            log(f"{name}, seed {seed}, on the tutorial's budget ...")
            rows.append({"model": name, "seed": seed, **measure(config.with_changes(training={"seed": seed}))})
            log(f"  {rows[-1]}")
    return rows


def markdown(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| dataset | noise | model | PSNR input → output (dB) | SSIM input → output | test MSE | seconds |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        model = f"{row['model']}, seed {row['seed']}" if "seed" in row else row["model"]
        lines.append(
            f"| {row['dataset']} | {row['noise']} | {model} "
            f"| {row['psnr_input']:.2f} → {row['psnr_output']:.2f} "
            f"| {row['ssim_input']:.3f} → {row['ssim_output']:.3f} | {row['test_mse']:.4f} | {row['seconds']:.0f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="fashion-mnist,mnist-5k")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--tutorial", action="store_true", help="only the tutorial's denoiser against the seed's")
    parser.add_argument("--seeds", default="0", help="--tutorial: the seeds, each trains both models")
    parser.add_argument(
        "--as-written", action="store_true", help="--tutorial: the tutorial's own code in plain Keras instead"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.tutorial:
        seeds = [int(seed) for seed in args.seeds.split(",")]
        if args.as_written:
            for seed in seeds:
                print(json.dumps(tutorial_as_written(seed)), flush=True)
            return
        rows = tutorial_rows(seeds)
    else:
        rows = noise_table([name.strip() for name in args.datasets.split(",") if name.strip()], args.epochs)
    print(markdown(rows))
    if args.tutorial:
        for model in dict.fromkeys(row["model"] for row in rows):
            mses = [row["test_mse"] for row in rows if row["model"] == model]
            print(f"\n{model}: test MSE {np.mean(mses):.5f} mean of {len(mses)} seeds ({', '.join(map(str, mses))})")
        print(f"the tutorial's published val MSE at epoch 5: {TUTORIAL_VAL_MSE}")
    if args.json:
        print(json.dumps({"rows": rows}))


if __name__ == "__main__":
    main()
