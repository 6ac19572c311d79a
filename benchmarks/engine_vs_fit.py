"""Training throughput: aecore's engine, with and without XLA, against plain ``model.fit`` of an identical model.

All train the dense 784-128-64-32-64-128-784 autoencoder (ReLU, sigmoid output, MSE, Adam
1e-3, batch 128) on full Fashion-MNIST (54,000 training images). The first epoch of each
holds the tracing and is left out; the figure is the median of the others.

    python -m benchmarks.engine_vs_fit [--epochs 5] [--device cpu]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import keras
import numpy as np

from aecore.config import ModelConfig, RunConfig, TrainingConfig
from aecore.data import load_dataset
from aecore.training import TrainingJob

HIDDEN, LATENT, BATCH = (128, 64), 32, 128


class EpochTimer(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.seconds.append(time.perf_counter() - self.started)

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.seconds: list[float] = []


def plain_fit(images: np.ndarray, epochs: int, device: str) -> list[float]:
    """Seconds per epoch of ``fit`` on a Sequential model with the same layers as the engine's."""
    import tensorflow as tf

    keras.utils.set_random_seed(0)
    with tf.device("/GPU:0" if device != "cpu" else "/CPU:0"):
        model = keras.Sequential(
            [
                keras.Input(images.shape[1:]),
                keras.layers.Flatten(),
                *[keras.layers.Dense(width, activation="relu") for width in HIDDEN],
                keras.layers.Dense(LATENT),
                *[keras.layers.Dense(width, activation="relu") for width in reversed(HIDDEN)],
                keras.layers.Dense(int(np.prod(images.shape[1:])), activation="sigmoid"),
                keras.layers.Reshape(images.shape[1:]),
            ]
        )
        model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
        timer = EpochTimer()
        model.fit(images, images, batch_size=BATCH, epochs=epochs, shuffle=True, verbose=0, callbacks=[timer])
    return timer.seconds


def engine(epochs: int, device: str, xla: bool) -> list[float]:
    """Seconds per epoch of aecore's training loop (the steps and their input; no validation or previews)."""
    config = RunConfig(
        dataset="fashion-mnist",
        model=ModelConfig(variant="undercomplete", hidden=HIDDEN, latent_dim=LATENT, activation="relu", loss="mse"),
        training=TrainingConfig(epochs=epochs, batch_size=BATCH, learning_rate=1e-3, device=device, xla=xla),
    )
    job = TrainingJob(config)
    job.run()
    snapshot = job.snapshot()
    if snapshot.status != "finished":
        raise SystemExit(f"the engine's run ended {snapshot.status}: {snapshot.message}")
    return [record["seconds"] for record in snapshot.epoch_history]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    images = np.asarray(load_dataset("fashion-mnist").x_train)
    runs = {
        "fit": lambda: plain_fit(images, args.epochs, args.device),
        "engine": lambda: engine(args.epochs, args.device, xla=False),
        "engine_xla": lambda: engine(args.epochs, args.device, xla=True),
    }
    results: dict = {}
    for name, run in runs.items():
        seconds = run()
        steady = statistics.median(seconds[1:]) if len(seconds) > 1 else seconds[0]
        results[name] = {"seconds_per_epoch": steady, "samples_per_second": len(images) / steady, "epochs": seconds}
    for name, result in results.items():
        speedup = result["samples_per_second"] / results["fit"]["samples_per_second"]
        result["speedup_over_fit"] = speedup
        print(
            f"{name:>10}: {result['seconds_per_epoch']:.2f} s/epoch, {result['samples_per_second']:,.0f} samples/s, "
            f"{speedup:.2f}x fit (first epoch {result['epochs'][0]:.2f} s)"
        )
    print(json.dumps(results))


if __name__ == "__main__":
    main()
