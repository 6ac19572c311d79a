"""Validation losses measure the model: weighted by images, the sparsity KL over the whole set, the same noise
every epoch, and finite on several devices."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from aecore.data.registry import load_dataset
from aecore.models import losses
from aecore.models.build import build_model
from aecore.settings.config import ModelConfig, NoiseConfig, RegularisationConfig, RunConfig, TrainingConfig
from aecore.settings.validation import validate
from aecore.training import steps as compiled_steps
from aecore.training.devices import resolve_device
from aecore.training.engine import TrainingJob
from aecore.training.steps import Compiled

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def mnist():
    return load_dataset("mnist-5k")


def compiled_model(variant: str, mnist, **regularisation) -> Compiled:
    config = RunConfig(
        model=ModelConfig(variant=variant, hidden=(), latent_dim=16),
        regularisation=RegularisationConfig(**regularisation),
        training=TrainingConfig(xla=False, seed=3),
    )
    return Compiled(build_model(validate(config), mnist.image_shape), resolve_device("cpu"))


def test_validation_weighs_every_batch_by_its_images(mnist):
    """600 images are a batch of 512 and one of 88: the mean must be over images, not over the two batches."""
    compiled = compiled_model("undercomplete", mnist)
    images = tf.constant(mnist.x_val[:600])
    means = compiled.validation_means(images, images)
    whole = float(losses.squared_error(images, compiled.model(images)))
    assert means["reconstruction"] == pytest.approx(whole, rel=1e-5)


def test_the_validation_sparsity_kl_is_over_the_whole_set_whatever_the_batch(mnist, monkeypatch):
    compiled = compiled_model("sparse", mnist, rho=0.1, beta=3.0)
    images = tf.constant(mnist.x_val[:600])
    expected = float(losses.sparsity_kl(compiled.model.encode(images), 0.1, 3.0))
    by_batch = {}
    for batch in (32, 512):
        monkeypatch.setattr(compiled_steps, "VALIDATION_BATCH", batch)
        by_batch[batch] = compiled.validation_means(images, images)
    for means in by_batch.values():
        assert means["sparsity_kl"] == pytest.approx(expected, rel=1e-4)
        parts = means["reconstruction"] + means["sparsity_kl"] + means["weight_decay"]
        assert means["total"] == pytest.approx(parts, rel=1e-5)


def test_validation_noise_is_the_same_draw_every_epoch(mnist):
    """A model that (almost) does not move between epochs must get the same validation loss in each: today's
    noise is drawn once, not from the training generator at every epoch."""
    config = RunConfig(
        model=ModelConfig(variant="undercomplete", hidden=(32,), latent_dim=4),
        noise=NoiseConfig(kind="gaussian", level=0.5),
        training=TrainingConfig(epochs=3, learning_rate=1e-12),
    )
    job = TrainingJob(config)
    job.run()
    values = [record["val_reconstruction"] for record in job.snapshot().epoch_history]
    assert len(values) == 3
    np.testing.assert_allclose(values, values[0], rtol=1e-6)


def test_two_logical_devices_validate_a_short_last_batch_and_train_as_one():
    """The CPU split in two under MirroredStrategy: the last validation batch has one image, so one replica sees
    none (it gave NaN); one training step must move the weights as one device with the same global batch does."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "unit" / "two_devices_check.py")],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["replicas"] == 2
    one, two = report["validation"]["one"], report["validation"]["two"]
    for name, value in one.items():
        assert np.isfinite(two[name]), name
        assert two[name] == pytest.approx(value, rel=1e-5), name
    assert report["largest_weight_difference"] < 1e-5
