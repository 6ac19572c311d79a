"""What a training job shows beyond its losses: the preview between epochs and the test metrics at the end.

Both take the job's compiled networks (``aecore.training.steps.Compiled``: the model's calls wrapped in
``tf.function``) and return plain numpy data, so a page or the run store never needs the model itself.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from aecore.analysis import projections, traversals
from aecore.analysis.pixels import changed_images, to_uint8
from aecore.data.dataset import Dataset
from aecore.data.noise import corrupt_images
from aecore.models import losses
from aecore.runs.snapshots import Preview
from aecore.settings.config import RunConfig
from aecore.settings.validation import check_nll_request
from aecore.settings.variants import VARIANTS
from aecore.tensorflow_runtime import tf

if TYPE_CHECKING:
    from aecore.training.steps import Compiled

#: how many validation codes the latent scatter gets
MAX_PUBLISHED_CODES = 5000
#: fixed seed of the test corruption, so test metrics compare across runs
TEST_NOISE_SEED = 1234


def make_preview(compiled: Compiled, dataset: Dataset, config: RunConfig, epoch: float) -> Preview:
    """The probe grid, the codes, ρ̂_j, the traversal and (2-D codes) the manifold, as small arrays."""
    noise = config.noise
    probe = dataset.probe_images
    noisy = corrupt_images(probe, noise.kind, noise.level, seed=TEST_NOISE_SEED) if noise.level > 0 else None
    reconstruction = compiled.reconstruct(noisy if noisy is not None else probe).numpy()
    sample = dataset.x_val[:MAX_PUBLISHED_CODES]
    codes = compiled.in_batches(compiled.encode, sample)
    diagnostics = {name: value.numpy() for name, value in compiled.diagnostics(sample[:2000]).items()}  # VAE only
    mean, std = projections.code_statistics(codes)

    def decode(batch: np.ndarray) -> np.ndarray:
        return compiled.decode(batch.astype(np.float32)).numpy()

    traversal = traversals.traversal_grid(decode, codes[0], std)
    points, kept = projections.project_codes(codes, "pca")
    kind = VARIANTS[config.model.variant].code_kind
    manifold = None
    if codes.shape[1] == 2:
        center, scale = (None, None) if kind == "gaussian" else (mean, std)
        manifold = to_uint8(traversals.manifold_grid(decode, 2, n=15, center=center, scale=scale))
    return Preview(
        epoch=epoch,
        probe_clean=to_uint8(probe),
        probe_noisy=None if noisy is None else to_uint8(noisy),
        probe_reconstruction=to_uint8(reconstruction),
        code_points=points,
        code_labels=np.asarray(dataset.y_val[:MAX_PUBLISHED_CODES])[kept],
        code_axes=("z1", "z2") if codes.shape[1] <= 2 else ("PC 1", "PC 2"),
        code_size=codes.shape[1],
        mean_activation=codes.mean(axis=0),  # ρ̂_j over every published validation image, not one batch
        kl_per_dimension=diagnostics.get("kl_per_dimension"),
        traversal=dataclasses.replace(traversal, images=to_uint8(traversal.images)),
        manifold=manifold,
    )


def refresh_probe(
    compiled: Compiled, dataset: Dataset, config: RunConfig, preview: Preview | None, epoch: float
) -> Preview:
    """The preview with the probe images rebuilt by the model as it is now, the rest as it was: a few
    milliseconds, so that a paused or slow run refreshes them after every batch (a whole preview once there is
    none)."""
    if preview is None:
        return make_preview(compiled, dataset, config, epoch)
    noise = config.noise
    probe = dataset.probe_images
    inputs = corrupt_images(probe, noise.kind, noise.level, seed=TEST_NOISE_SEED) if noise.level > 0 else probe
    reconstruction = to_uint8(compiled.reconstruct(inputs).numpy())
    return dataclasses.replace(preview, epoch=epoch, probe_reconstruction=reconstruction)


def mean_image_psnr(dataset: Dataset) -> float:
    """Test PSNR of the model that ignores its input and outputs the average training image: the floor a model
    that learned anything must clear (a dead model sits on it)."""
    mean = np.broadcast_to(dataset.x_train.mean(axis=0, keepdims=True), dataset.x_test.shape)
    return float(losses.psnr(dataset.x_test, mean))


def evaluate(compiled: Compiled, dataset: Dataset, config: RunConfig) -> dict[str, float]:
    """Test metrics: MSE, PSNR and SSIM of the reconstruction (from noisy input when training with noise).

    ``test_psnr_noisy_input`` and ``test_ssim_noisy_input`` are those of the corrupted input itself, the baseline a
    denoiser must beat; ``test_elbo`` (VAE) is the evidence lower bound of the clean test
    images in nats per image, the generative model's own measure whatever noise it trained on.
    ``test_reconstruction`` is the reconstruction term of the training loss on the test images per image (summed
    over its pixels, averaged over images, whatever the batch reduction): runs of any batch size or reduction
    compare on it, as a sweep's tables do.
    """
    clean = dataset.x_test
    noise = config.noise
    inputs = corrupt_images(clean, noise.kind, noise.level, seed=TEST_NOISE_SEED) if noise.level > 0 else clean
    reconstruction = compiled.in_batches(compiled.reconstruct, inputs)
    # PSNR from noisy input is taken over the images the noise changed (block noise may leave some alone), as the
    # Denoising page and ``python -m aecore evaluate`` take it; without noise, over every image
    changed = changed_images(clean, inputs) if noise.level > 0 else np.ones(len(clean), dtype=bool)
    scored = changed if changed.any() else np.ones(len(clean), dtype=bool)
    metrics = {
        "test_mse": float(np.mean((reconstruction - clean) ** 2)),
        "test_psnr": float(losses.psnr(clean[scored], reconstruction[scored])),
        "test_ssim": float(losses.ssim(clean[scored], reconstruction[scored])),
        "test_reconstruction": float(
            compiled.model.per_image_reconstruction(tf.constant(clean), tf.constant(reconstruction))
        ),
    }
    if noise.level > 0 and changed.any():
        metrics["test_psnr_noisy_input"] = float(losses.psnr(clean[changed], inputs[changed]))
        metrics["test_ssim_noisy_input"] = float(losses.ssim(clean[changed], inputs[changed]))
        metrics["test_images_unchanged_by_noise"] = int(len(clean) - changed.sum())
    if compiled.negative_elbo is not None:
        batches = [clean[start : start + 512] for start in range(0, len(clean), 512)]
        values = [float(compiled.negative_elbo(batch, batch)) * len(batch) for batch in batches]
        metrics["test_elbo"] = -sum(values) / len(clean)
    return metrics


#: decoder passes in one call of the importance-sampled likelihood: images per chunk × samples
IS_PASSES_PER_CALL = 8192


def test_nll(
    model: Any, images: np.ndarray, samples: int, progress: Callable[[float], None] | None = None, seed: int = 0
) -> float:
    """The VAE's importance-sampled negative log-likelihood of ``images``, nats per image (Burda et al., ``samples``
    draws of q(z|x) each): a tighter figure than −ELBO, and never above it in expectation. Costs ``samples``
    decoder passes per image; ``progress`` gets the fraction done."""
    check_nll_request(model.run_config, samples)
    random = tf.random.Generator.from_seed(seed)
    chunk = max(1, IS_PASSES_PER_CALL // samples)
    total = 0.0
    for start in range(0, len(images), chunk):
        batch = tf.constant(images[start : start + chunk], tf.float32)
        total += float(tf.reduce_sum(model.importance_log_likelihood(batch, samples, random)))
        if progress is not None:
            progress(min(1.0, (start + chunk) / len(images)))
    return -total / len(images)
