"""Every variant of the registry: builds, trains on a small slice of real MNIST, encodes, saves and loads.

Each variant is built and trained once (a module-scoped fixture) and the tests below read that
trained model, so the whole file stays fast: 512 training images, batches of 64, two epochs.
"""

import io
from dataclasses import dataclass

import numpy as np
import pytest
import tensorflow as tf

from aecore.data.registry import load_dataset
from aecore.errors import AecoreError
from aecore.models import losses
from aecore.models.aae import MIXTURE_RADIUS
from aecore.models.base import Autoencoder
from aecore.models.build import build_model, model_class
from aecore.runs.checkpoints import checkpoint_bytes, plain_model, restore_checkpoint
from aecore.settings.config import ModelConfig, NoiseConfig, RegularisationConfig, RunConfig, TrainingConfig
from aecore.settings.validation import validate
from aecore.settings.variants import VARIANTS

TRAIN_IMAGES = 512
VAL_IMAGES = 256
BATCH_SIZE = 64


@pytest.fixture(scope="module")
def mnist():
    dataset = load_dataset("mnist-5k")
    return dataset.x_train[:TRAIN_IMAGES], dataset.x_val[:VAL_IMAGES]


def train_epochs(model: Autoencoder, images: np.ndarray, epochs: int = 2) -> list[dict[str, float]]:
    """The engine's way, without the engine: ``train_step`` in a ``tf.function``; the epoch means of every term."""
    step = tf.function(model.train_step)
    means = []
    for _ in range(epochs):
        for tracker in model.metrics:
            tracker.reset_state()
        for start in range(0, len(images), BATCH_SIZE):
            step(tf.constant(images[start : start + BATCH_SIZE]))
        means.append({name: float(tracker.result()) for name, tracker in model.term_trackers.items()})
    return means


def reconstruction_mse(model: Autoencoder, images: np.ndarray) -> float:
    """A deterministic measure for every variant (the VAE's call decodes the mean code)."""
    return float(np.mean((model(images, training=False).numpy() - images) ** 2))


@dataclass
class Trained:
    variant: str
    model: Autoencoder
    mse_before: float
    mse_after: float
    epoch_means: list[dict[str, float]]


@pytest.fixture(scope="module", params=list(VARIANTS))
def trained(request, mnist) -> Trained:
    train, val = mnist
    config = validate(
        RunConfig(model=ModelConfig(variant=request.param), training=TrainingConfig(batch_size=BATCH_SIZE, seed=1))
    )
    model = build_model(config, train.shape[1:])
    before = reconstruction_mse(model, val)
    means = train_epochs(model, train)
    return Trained(request.param, model, before, reconstruction_mse(model, val), means)


def test_every_variant_builds_as_its_registered_class(trained):
    assert type(trained.model) is model_class(trained.variant)
    assert isinstance(trained.model, Autoencoder)
    assert trained.model.run_config.model.variant == trained.variant


def test_the_loss_falls_in_two_epochs(trained):
    assert trained.mse_after < 0.97 * trained.mse_before, (trained.mse_before, trained.mse_after)
    first, second = trained.epoch_means
    assert second["reconstruction"] < first["reconstruction"]
    assert all(np.isfinite(value) for means in trained.epoch_means for value in means.values())


def test_every_loss_term_is_tracked_and_total_is_their_sum(trained, mnist):
    model = trained.model
    assert set(trained.epoch_means[0]) == set(model.loss_term_names)
    assert [metric.name for metric in model.metrics] == list(model.loss_term_names)
    terms = {name: float(value) for name, value in model.test_step(tf.constant(mnist[1][:64])).items()}
    assert set(terms) == set(model.loss_term_names)
    summed = sum(value for name, value in terms.items() if name not in ("total", *model.monitored_terms))
    assert terms["total"] == pytest.approx(summed, rel=1e-5)


def test_encode_and_decode_shapes(trained, mnist):
    model, images = trained.model, mnist[1][:10]
    codes = model.encode(images)
    assert tuple(codes.shape) == (10, model.code_size)
    assert tuple(model.decode(codes).shape) == images.shape
    assert tuple(model(images).shape) == images.shape
    output = model(images).numpy()
    assert output.min() >= 0.0 and output.max() <= 1.0  # sigmoid output, images in [0, 1]


def test_a_checkpoint_restores_weights_optimiser_and_noise_state(trained, mnist):
    """A resumed run goes on exactly where it stopped: the same outputs, Adam's step count and moments."""
    model, images = trained.model, mnist[1][:32]
    restored = build_model(model.run_config, model.image_shape)
    epochs = restore_checkpoint(restored, read_npz_bytes(checkpoint_bytes(model, epochs_done=2)))
    assert epochs == 2
    np.testing.assert_allclose(restored(images).numpy(), model(images).numpy(), atol=1e-6)
    assert int(model.optimizer.iterations) == 2 * TRAIN_IMAGES // BATCH_SIZE
    for original, copy in zip(model.optimizers, restored.optimizers, strict=True):
        for kept, loaded in zip(original.variables, copy.variables, strict=True):
            np.testing.assert_array_equal(kept.numpy(), loaded.numpy())
    np.testing.assert_array_equal(restored.random.state.numpy(), model.random.state.numpy())


def test_the_plain_model_is_keras_layers_only_and_reconstructs_like_the_model(trained, mnist):
    model, images = trained.model, mnist[1][:32]
    plain = plain_model(model)
    modules = {type(layer).__module__.split(".")[0] for sub in plain.layers for layer in getattr(sub, "layers", [sub])}
    assert modules == {"keras"}, modules
    np.testing.assert_allclose(plain(images).numpy(), model(images).numpy(), atol=1e-5)
    codes = plain.get_layer("encoder")(images).numpy()
    np.testing.assert_allclose(codes, model.encode(images).numpy(), atol=1e-5)  # the VAE's encoder gives μ
    np.testing.assert_allclose(plain.get_layer("decoder")(codes).numpy(), model.decode(codes).numpy(), atol=1e-5)


def read_npz_bytes(data: bytes) -> dict[str, np.ndarray]:
    with np.load(io.BytesIO(data)) as archive:
        return {name: archive[name] for name in archive.files}


def test_layer_table_adds_up_to_the_parameter_count(trained):
    model = trained.model
    table = model.layer_table()
    assert sum(row["parameters"] for row in table) == model.count_params()
    networks = {row["network"] for row in table}
    assert {"encoder", "decoder"} <= networks
    if trained.variant == "aae":
        assert "discriminator" in networks
        discriminator_rows = [row for row in table if row["network"] == "discriminator"]
        assert sum(row["parameters"] for row in discriminator_rows) == model.discriminator.count_params() > 0


# ---- the convolutional denoising model --------------------------------------------------------


def conv_config(**model_settings) -> RunConfig:
    return validate(RunConfig(model=ModelConfig(variant="conv_denoising", **model_settings)))


def test_the_conv_model_has_the_seed_papers_2561_parameters():
    model = build_model(conv_config(), (28, 28, 1))
    assert model.count_params() == 2561
    # Conv 16: 3·3·16+16, Conv 8: 3·3·16·8+8, Conv 8: 3·3·8·8+8, ConvT 8: 3·3·8·8+8, ConvT 1: 3·3·8+1
    per_layer = [row["parameters"] for row in model.layer_table() if row["parameters"]]
    assert per_layer == [160, 1160, 584, 584, 73]
    assert model.code_size == 7 * 7 * 8


def test_the_conv_model_works_on_any_side_divisible_by_four():
    model = build_model(conv_config(), (32, 20, 1))
    images = np.zeros((2, 32, 20, 1), np.float32)
    assert tuple(model(images).shape) == (2, 32, 20, 1)
    assert tuple(model.encode(images).shape) == (2, 8 * 5 * 8)


def test_the_conv_model_refuses_sides_not_divisible_by_four_with_a_helpful_message():
    with pytest.raises(AecoreError) as raised:
        build_model(conv_config(), (30, 30, 1))
    message = str(raised.value)
    assert "divisible by 4" in message and "30×30" in message and "dense variant" in message


def test_the_conv_model_with_stride_2_is_the_tensorflow_tutorials_3217_parameter_denoiser():
    model = build_model(conv_config(channels=(16, 8), downsampling="stride"), (28, 28, 1))
    # Conv 16 s2: 3·3·16+16, Conv 8 s2: 3·3·16·8+8, ConvT 8 s2: 3·3·8·8+8, ConvT 16 s2: 3·3·8·16+16, Conv 1: 3·3·16+1
    per_layer = [row["parameters"] for row in model.layer_table() if row["parameters"]]
    assert per_layer == [160, 1160, 584, 1168, 145] and model.count_params() == 3217
    assert model.code_size == 7 * 7 * 8
    assert tuple(model(np.zeros((2, 28, 28, 1), np.float32)).shape) == (2, 28, 28, 1)


@pytest.mark.parametrize(
    ("channels", "downsampling", "code_side"),
    [((8,), "pool", 8), ((12, 6), "pool", 4), ((16, 8, 8, 4), "pool", 1), ((4, 4, 4), "stride", 1)],
)
def test_the_conv_model_takes_any_channels_and_mirrors_them(channels, downsampling, code_side):
    model = build_model(conv_config(channels=channels, downsampling=downsampling), (8, 8, 1))
    images = np.random.default_rng(0).random((2, 8, 8, 1)).astype(np.float32)
    assert tuple(model(images).shape) == (2, 8, 8, 1)
    assert model.code_size == code_side * code_side * channels[-1]


def test_the_conv_model_says_how_many_halvings_its_sides_must_take():
    with pytest.raises(AecoreError) as raised:
        build_model(conv_config(channels=(16, 8, 8), downsampling="stride"), (28, 28, 1))
    message = str(raised.value)
    assert "divisible by 8" in message and "28×28" in message and "fewer convolutions" in message


@pytest.mark.parametrize(
    ("channels", "says"),
    [((), "Give 1 to 4"), ((8, 8, 8, 8, 8), "Give 1 to 4"), ((16, 65), "at most 64 channels"), ((0, 8), "at least 1")],
)
def test_impossible_channels_are_refused_with_what_to_change(channels, says):
    with pytest.raises(AecoreError, match=says):
        conv_config(channels=channels)


# ---- the adversarial autoencoder's prior --------------------------------------------------------


def aae_config(prior: str, latent_dim: int) -> RunConfig:
    return validate(
        RunConfig(
            model=ModelConfig(variant="aae", hidden=(16,), latent_dim=latent_dim),
            regularisation=RegularisationConfig(prior=prior),
        )
    )


def test_the_mixture_prior_needs_a_2d_code():
    with pytest.raises(AecoreError) as raised:
        build_model(aae_config("mixture", 3), (28, 28, 1))
    assert "2-D" in str(raised.value) and "it is 3" in str(raised.value)


def test_the_mixture_prior_samples_lie_on_a_circle_of_ten_components():
    model = build_model(aae_config("mixture", 2), (8, 8, 1))
    samples = model.sample_prior(tf.constant(4000)).numpy()
    assert samples.shape == (4000, 2)
    radii = np.linalg.norm(samples, axis=1)
    assert abs(np.median(radii) - MIXTURE_RADIUS) < 0.2
    angles = np.round(np.arctan2(samples[:, 1], samples[:, 0]) / (2 * np.pi / 10)) % 10
    assert len(np.unique(angles)) == 10


def test_the_normal_prior_is_standard_normal():
    samples = build_model(aae_config("normal", 3), (8, 8, 1)).sample_prior(tf.constant(5000)).numpy()
    assert samples.shape == (5000, 3)
    np.testing.assert_allclose(samples.mean(axis=0), 0.0, atol=0.06)
    np.testing.assert_allclose(samples.std(axis=0), 1.0, atol=0.06)


# ---- noise is a training mode of every variant ----------------------------------------------------


def small_config(variant: str, kind: str = "gaussian", level: float = 0.0, **regularisation) -> RunConfig:
    return validate(
        RunConfig(
            model=ModelConfig(variant=variant, hidden=(16,), latent_dim=2),
            regularisation=RegularisationConfig(**regularisation),
            noise=NoiseConfig(kind=kind, level=level),
        )
    )


def test_corrupt_is_the_identity_at_level_zero_and_corrupts_above(mnist):
    images = tf.constant(mnist[1][:8])
    clean_model = build_model(small_config("undercomplete", level=0.0), images.shape[1:])
    assert clean_model.corrupt(images) is images
    noisy_model = build_model(small_config("undercomplete", "gaussian", 0.2), images.shape[1:])
    noisy = noisy_model.corrupt(images).numpy()
    assert noisy.shape == images.shape
    assert not np.allclose(noisy, images.numpy())
    assert np.all((noisy >= 0) & (noisy <= 1))
    # a fresh draw on every step, not the same noise forever
    assert not np.allclose(noisy_model.corrupt(images).numpy(), noisy)


def first_kernel(model: Autoencoder) -> np.ndarray:
    return next(w for w in model.encoder.trainable_weights if "kernel" in w.path).numpy()


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_train_step_feeds_the_corrupted_input_to_the_encoder(variant, mnist):
    """Masking every pixel zeroes the input, so the first kernel's gradient x^T δ is zero and it
    cannot move; with no noise it must move. Only the corrupted input can reach the encoder."""
    images = tf.constant(mnist[0][:32])
    for level, should_move in ((1.0, False), (0.0, True)):
        model = build_model(small_config(variant, "masking", level), images.shape[1:])
        kernel = first_kernel(model)
        tf.function(model.train_step)(images)
        moved = not np.array_equal(first_kernel(model), kernel)
        assert moved == should_move, f"level {level}"


def test_the_reconstruction_target_is_the_clean_image(mnist):
    """Validation batches come as (corrupted input, clean target): the loss is measured against the clean batch."""
    images = tf.constant(mnist[1][:32])
    model = build_model(small_config("undercomplete", "masking", 1.0), images.shape[1:])
    terms = model.test_step((tf.zeros_like(images), images))
    expected = losses.squared_error(images, model(tf.zeros_like(images)))
    assert float(terms["reconstruction"]) == pytest.approx(float(expected), rel=1e-5)


# ---- variant-specific terms ---------------------------------------------------------------------


def test_the_sparse_models_penalty_is_the_kl_of_its_code_units(mnist):
    images = tf.constant(mnist[1][:64])
    model = build_model(small_config("sparse", rho=0.1, beta=3.0), images.shape[1:])
    terms = model.test_step(images)
    expected = losses.sparsity_kl(model.encode(images), 0.1, 3.0)
    assert float(terms["sparsity_kl"]) == pytest.approx(float(expected), rel=1e-5)
    assert model.code_activation == "sigmoid"


def test_the_sparse_model_with_the_l1_choice_tracks_l1_instead(mnist):
    images = tf.constant(mnist[1][:64])
    model = build_model(small_config("sparse", sparsity="l1", lam=0.01), images.shape[1:])
    terms = model.test_step(images)
    assert "sparsity_kl" not in terms
    expected = losses.l1_activity(model.encode(images), 0.01)
    assert float(terms["l1"]) == pytest.approx(float(expected), rel=1e-5)


def test_weight_decay_covers_every_kernel_of_encoder_and_decoder_but_no_bias(mnist):
    images = tf.constant(mnist[1][:8])
    model = build_model(small_config("undercomplete", alpha=0.01), images.shape[1:])
    kernels = [
        layer.kernel.numpy()
        for net in (model.encoder, model.decoder)
        for layer in net.layers
        if hasattr(layer, "kernel")
    ]
    assert len(kernels) == 4  # 784-16-2 and 2-16-784
    expected = 0.01 * sum(float((kernel.astype(np.float64) ** 2).sum()) for kernel in kernels)
    assert float(model.test_step(images)["weight_decay"]) == pytest.approx(expected, rel=1e-5)


def test_the_vae_negative_elbo_is_finite_and_positive(mnist):
    train, val = mnist
    model = build_model(small_config("vae"), train.shape[1:])
    train_epochs(model, train, epochs=1)
    images = tf.constant(val[:128])
    value = float(model.negative_elbo(images, images))
    assert np.isfinite(value) and value > 0
    # a bound on −log p(x) in nats per image: at least the KL, at most what a blank guess costs (784 ln 2)
    mean, log_variance = model.moments(images)
    assert value > float(losses.gaussian_kl(mean, log_variance, 1.0))
    assert value < 784 * np.log(2)


def test_the_vae_encodes_to_the_mean_and_samples_around_it(mnist):
    images = tf.constant(mnist[1][:16])
    model = build_model(small_config("vae"), images.shape[1:])
    mean, log_variance = model.moments(images)
    np.testing.assert_allclose(model.encode(images).numpy(), mean.numpy())
    sample = model.reparameterise(mean, log_variance).numpy()
    assert sample.shape == mean.shape and not np.allclose(sample, mean.numpy())
    assert set(model.diagnostics(images)) == {"kl_per_dimension"}


def test_the_vae_plots_the_kl_itself_and_adds_beta_times_it_to_the_loss(mnist):
    images = tf.constant(mnist[1][:64])
    model = build_model(small_config("vae", beta=4.0), images.shape[1:])
    terms = model.test_step(images)
    mean, log_variance = model.moments(images)
    divergence = float(losses.gaussian_kl(mean, log_variance, 1.0))
    assert float(terms["kl"]) == pytest.approx(divergence, rel=1e-5)
    assert float(terms["beta_kl"]) == pytest.approx(4.0 * divergence, rel=1e-5)
    expected_total = float(terms["reconstruction"]) + float(terms["beta_kl"]) + float(terms["weight_decay"])
    assert float(terms["total"]) == pytest.approx(expected_total, rel=1e-5)


def test_the_aae_text_says_what_its_code_does(mnist):
    """The encoder minimises the non-saturating −log D(f(x)) and α decays the autoencoder, not the discriminator."""
    variant = VARIANTS["aae"]
    assert r"-\mathbb{E}_{x}[\log D(f(x))]" in variant.formula and "not decayed" in variant.explanation
    model = build_model(small_config("aae", alpha=0.1), mnist[1].shape[1:])
    decayed = {id(kernel) for kernel in model.autoencoder_kernels}
    assert not decayed & {id(weight) for weight in model.discriminator.trainable_weights}
    logits = tf.constant([[-2.0], [0.5], [3.0]])
    expected = -np.mean(np.log(1.0 / (1.0 + np.exp(-logits.numpy()))))
    assert float(losses.generator_loss(logits)) == pytest.approx(expected, rel=1e-5)


def test_the_sum_reduction_scales_per_image_terms_by_the_batch_size_and_leaves_batch_terms(mnist):
    """The seed report's scale: reconstruction summed over a batch of 32; β·KL(ρ‖ρ̂) and α·Σ‖W‖² as they are."""
    images = tf.constant(mnist[1][:64])
    terms, models = {}, {}
    for reduction in ("mean", "sum"):
        config = small_config("sparse", rho=0.1, beta=3.0, alpha=0.01).with_changes(
            model={"reduction": reduction}, training={"batch_size": 32}
        )
        models[reduction] = build_model(config, images.shape[1:])  # the same seed: the same weights
        terms[reduction] = {name: float(value) for name, value in models[reduction].test_step(images).items()}
    mean, summed = terms["mean"], terms["sum"]
    assert summed["reconstruction"] == pytest.approx(32 * mean["reconstruction"], rel=1e-5)
    # what runs are compared by (a sweep's test_reconstruction) stays per image
    per_image = models["sum"].per_image_reconstruction(images, models["sum"](images))
    assert float(per_image) == pytest.approx(mean["reconstruction"], rel=1e-5)
    assert summed["sparsity_kl"] == pytest.approx(mean["sparsity_kl"], rel=1e-5)
    assert summed["weight_decay"] == pytest.approx(mean["weight_decay"], rel=1e-5)


def test_the_vae_elbo_stays_per_image_whatever_the_reduction(mnist):
    images = tf.constant(mnist[1][:64])
    values = {}
    for reduction in ("mean", "sum"):
        config = small_config("vae").with_changes(model={"reduction": reduction})
        model = build_model(config, images.shape[1:])
        model.random.reset_from_seed(0)
        values[reduction] = float(model.negative_elbo(images, images))
    assert values["sum"] == pytest.approx(values["mean"], rel=1e-5)


@pytest.mark.parametrize("variant", ["deep", "conv_denoising", "vae"])
def test_the_fan_in_initialisation_draws_every_kernel_uniformly_within_one_over_root_fan_in(variant):
    config = validate(RunConfig(model=ModelConfig(variant=variant, init="fan_in_uniform")))
    model = build_model(config, (28, 28, 1))
    for kernel in model.autoencoder_kernels:
        values = kernel.numpy()
        limit = 1 / np.sqrt(np.prod(values.shape[:-1]))  # Keras' fan-in: every kernel axis but the last
        assert np.abs(values).max() <= limit * (1 + 1e-6), kernel.path
        assert np.abs(values).max() > 0.9 * limit, kernel.path  # uniform over the whole range, not Glorot's
    first = model.autoencoder_kernels[0].numpy()
    glorot = build_model(validate(RunConfig(model=ModelConfig(variant=variant))), (28, 28, 1)).autoencoder_kernels[0]
    assert not 0.8 < abs(glorot.numpy()).max() / abs(first).max() < 1.25  # not the default drawn again


@pytest.mark.parametrize("variant", ["undercomplete", "conv_denoising", "vae"])
def test_a_linear_output_layer_reconstructs_beyond_the_unit_interval_the_sigmoid_stays_inside(variant, mnist):
    images = mnist[0][:64] * 40.0  # far outside the grey levels: a linear layer follows, a sigmoid saturates
    outputs = {}
    for output in ("sigmoid", "linear"):
        config = validate(RunConfig(model=ModelConfig(variant=variant, output=output, loss="mse")))
        outputs[output] = build_model(config, images.shape[1:])(images).numpy()
    assert 0.0 <= outputs["sigmoid"].min() and outputs["sigmoid"].max() <= 1.0
    assert outputs["linear"].min() < 0.0 or outputs["linear"].max() > 1.0


def test_the_sgd_choice_gives_every_network_sgd_with_momentum_and_the_run_rate():
    config = validate(
        RunConfig(model=ModelConfig(variant="aae"), training=TrainingConfig(optimizer="sgd", learning_rate=0.002))
    )
    model = build_model(config, (28, 28, 1))
    for optimizer in model.optimizers:
        assert type(optimizer).__name__ == "SGD"
        assert optimizer.momentum == pytest.approx(0.9)
    rates = [float(optimizer.learning_rate) for optimizer in model.optimizers]
    assert rates == pytest.approx([0.002, 0.002 / 3, 0.002 / 3]), "the adversary steps at a third of the run's rate"
    adam = build_model(validate(RunConfig(model=ModelConfig(variant="aae"))), (28, 28, 1))
    assert {type(optimizer).__name__ for optimizer in adam.optimizers} == {"Adam"}
