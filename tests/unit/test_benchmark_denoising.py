"""The denoising benchmark's logic on the 8×8 digits, one short run: its input figures are the noisy test images'
own, its output figures the run's, and its table prints them."""

from __future__ import annotations

import pytest

from aecore.data.noise import corrupt_images
from aecore.data.registry import load_dataset
from aecore.explore import denoising
from aecore.settings.config import ModelConfig, NoiseConfig, RunConfig, TrainingConfig
from aecore.training.evaluation import TEST_NOISE_SEED
from benchmarks.denoising import TUTORIAL, markdown, measure


def test_a_row_scores_the_noisy_input_and_the_output_of_a_run_trained_on_that_noise():
    config = RunConfig(
        dataset="digits",
        model=ModelConfig(variant="conv_denoising"),
        noise=NoiseConfig(kind="masking", level=0.5),
        training=TrainingConfig(epochs=1),
    )
    row = measure(config)
    clean = load_dataset("digits").x_test
    noisy = corrupt_images(clean, "masking", 0.5, seed=TEST_NOISE_SEED)
    assert row["psnr_input"] == pytest.approx(denoising.psnr(clean, noisy), abs=0.01)
    assert row["ssim_input"] == pytest.approx(denoising.ssim(clean, noisy), abs=0.001)
    assert row["parameters"] == 2561 and row["noise"] == "masking 0.5" and 0 < row["ssim_output"] <= 1
    table = markdown([{"model": "seed conv", **row}])
    assert f"| digits | masking 0.5 | seed conv | {row['psnr_input']:.2f} → {row['psnr_output']:.2f} |" in table


def test_the_tutorial_row_is_the_tutorials_budget():
    assert (TUTORIAL.dataset, TUTORIAL.noise) == ("fashion-mnist", NoiseConfig(kind="gaussian", level=0.2))
    training = TUTORIAL.training
    assert (training.epochs, training.batch_size, training.learning_rate, TUTORIAL.model.loss) == (5, 32, 1e-3, "mse")
