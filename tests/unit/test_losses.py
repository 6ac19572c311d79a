"""Every loss term of aecore.models.losses against its textbook closed form, computed here in numpy.

The reference formulas are written out independently of the implementation, so a change of
sign, of a reduction (sum vs mean) or of a constant in ``aecore.models.losses`` makes a test fail.
"""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from aecore.errors import AecoreError
from aecore.models import losses
from aecore.models.build import build_model
from aecore.settings.config import ModelConfig, RunConfig
from aecore.settings.validation import validate

RNG = np.random.default_rng(7)


def numpy_bernoulli_kl(rho: float, rho_hat: np.ndarray) -> np.ndarray:
    """KL(ρ‖ρ̂) of two Bernoulli distributions, in float64."""
    rho_hat = np.asarray(rho_hat, dtype=np.float64)
    return rho * np.log(rho / rho_hat) + (1 - rho) * np.log((1 - rho) / (1 - rho_hat))


def numpy_sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def unit_images(count: int = 6, height: int = 5, width: int = 4) -> np.ndarray:
    return RNG.uniform(0.0, 1.0, size=(count, height, width, 1)).astype(np.float32)


# ---- the Bernoulli KL and the sparsity penalty ---------------------------------------------------


@pytest.mark.parametrize("rho", [0.05, 0.2, 0.5, 0.9])
def test_bernoulli_kl_is_zero_where_rho_hat_equals_rho(rho):
    assert float(losses.bernoulli_kl(rho, np.float32(rho))) == pytest.approx(0.0, abs=1e-6)


def test_bernoulli_kl_is_positive_away_from_rho_as_in_the_seed_figure_5():
    rho = 0.2
    rho_hat = np.linspace(0.01, 0.99, 99, dtype=np.float32)
    rho_hat = rho_hat[np.abs(rho_hat - rho) > 1e-3]
    values = losses.bernoulli_kl(rho, rho_hat).numpy()
    assert np.all(values > 0)
    # the curve of Figure 5 falls to its minimum at ρ and rises again after it
    below, above = values[rho_hat < rho], values[rho_hat > rho]
    assert np.all(np.diff(below) < 0) and np.all(np.diff(above) > 0)


@pytest.mark.parametrize("rho", [0.05, 0.2, 0.7])
def test_bernoulli_kl_equals_the_closed_form(rho):
    rho_hat = np.array([0.001, 0.05, 0.1, 0.3, 0.5, 0.8, 0.999], dtype=np.float32)
    expected = numpy_bernoulli_kl(rho, rho_hat)
    np.testing.assert_allclose(losses.bernoulli_kl(rho, rho_hat).numpy(), expected, rtol=1e-4, atol=1e-6)


def test_bernoulli_kl_at_a_hand_computed_point():
    # ρ = 0.2, ρ̂ = 0.5: 0.2 ln 0.4 + 0.8 ln 1.6
    expected = 0.2 * math.log(0.4) + 0.8 * math.log(1.6)
    assert float(losses.bernoulli_kl(0.2, np.float32(0.5))) == pytest.approx(expected, rel=1e-5)


def test_bernoulli_kl_stays_finite_at_zero_and_one():
    values = losses.bernoulli_kl(0.2, np.array([0.0, 1.0], dtype=np.float32)).numpy()
    assert np.all(np.isfinite(values))
    assert np.all(values > 0)
    # clipped to [ε, 1 − ε]: the value at the clip point (1 − ε rounds in float32, hence the tolerance)
    expected = numpy_bernoulli_kl(0.2, np.array([losses.EPSILON, 1 - losses.EPSILON]))
    np.testing.assert_allclose(values, expected, rtol=1e-2)


def test_mean_activation_is_the_batch_mean_of_every_unit():
    code = RNG.uniform(size=(32, 10)).astype(np.float32)
    np.testing.assert_allclose(losses.mean_activation(code).numpy(), code.mean(axis=0), rtol=1e-6)


@pytest.mark.parametrize("rho, beta", [(0.2, 1.0), (0.05, 3.0), (0.5, 0.0)])
def test_sparsity_kl_is_beta_times_the_sum_over_units_of_the_kl_of_the_batch_means(rho, beta):
    code = RNG.uniform(0.02, 0.98, size=(32, 12)).astype(np.float32)
    expected = beta * numpy_bernoulli_kl(rho, code.astype(np.float64).mean(axis=0)).sum()
    assert float(losses.sparsity_kl(code, rho, beta)) == pytest.approx(expected, rel=1e-4, abs=1e-7)


def test_sparsity_kl_is_zero_when_every_unit_is_active_exactly_rho_of_the_time():
    code = np.zeros((10, 4), dtype=np.float32)
    code[:2] = 1.0  # every unit fires on 2 of the 10 images: ρ̂_j = 0.2
    assert float(losses.sparsity_kl(code, 0.2, 5.0)) == pytest.approx(0.0, abs=1e-5)


def test_l1_activity_is_lambda_times_the_batch_mean_of_the_summed_absolute_activations():
    code = RNG.normal(size=(8, 6)).astype(np.float32)
    expected = 0.01 * np.abs(code).sum(axis=1).mean()
    assert float(losses.l1_activity(code, 0.01)) == pytest.approx(expected, rel=1e-5)


def test_weight_decay_is_alpha_times_the_sum_of_squared_weights():
    kernels = [RNG.normal(size=(5, 3)).astype(np.float32), RNG.normal(size=(3, 3, 1, 2)).astype(np.float32)]
    expected = 0.3 * sum(float((k.astype(np.float64) ** 2).sum()) for k in kernels)
    assert float(losses.weight_decay([tf.constant(k) for k in kernels], 0.3)) == pytest.approx(expected, rel=1e-5)
    assert float(losses.weight_decay([], 0.3)) == 0.0


# ---- the contractive penalty ---------------------------------------------------------------------


def jacobian_frobenius_squared(function, inputs: tf.Tensor) -> np.ndarray:
    """‖∂f(x)/∂x‖²_F of every image by autodiff: the reference the closed form must match."""
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        outputs = function(inputs)
    jacobian = tape.batch_jacobian(outputs, inputs).numpy()
    return (jacobian.reshape(len(jacobian), -1) ** 2).sum(axis=1)


def test_contractive_closed_form_equals_the_autodiff_jacobian_of_a_sigmoid_dense_layer():
    keras.utils.set_random_seed(3)
    layer = keras.layers.Dense(7, activation="sigmoid")
    inputs = tf.constant(RNG.normal(size=(5, 11)).astype(np.float32))
    codes = layer(inputs)
    per_image = jacobian_frobenius_squared(layer, inputs)
    # also the formula Σ_j (h_j(1−h_j))² Σ_i W_ij², written out in numpy
    h, kernel = codes.numpy().astype(np.float64), layer.kernel.numpy().astype(np.float64)
    by_hand = ((h * (1 - h)) ** 2 * (kernel**2).sum(axis=0)).sum(axis=1)
    np.testing.assert_allclose(per_image, by_hand, rtol=1e-4)
    lam = 0.5
    penalty = losses.contractive(inputs, [(layer.kernel, layer.bias, layer.activation)], lam)
    assert float(penalty) == pytest.approx(lam * per_image.mean(), rel=1e-4)


def contractive_model(hidden: tuple[int, ...], activation: str = "relu"):
    config = validate(RunConfig(model=ModelConfig(variant="contractive", hidden=hidden, latent_dim=9)))
    config = config.with_changes(model={"activation": activation}, regularisation={"lam": 1.0})
    return build_model(config, (6, 6, 1))


@pytest.mark.parametrize(
    ("hidden", "activation"), [((), "relu"), ((16,), "relu"), ((16,), "sigmoid"), ((12, 8), "leaky_relu")]
)
def test_contractive_penalty_of_the_model_is_the_jacobian_of_the_code_with_respect_to_the_image(hidden, activation):
    """With hidden layers too: the seed's closed form on the code layer alone gave 0.513 where the Jacobian
    with respect to the image gave 0.244 (one hidden layer of 16 ReLU units)."""
    model = contractive_model(hidden, activation)
    images = tf.constant(unit_images(4, 6, 6))
    codes = model.encode(images)
    penalty = float(model.penalty_terms(images, codes, training=False)["contractive"])
    per_image = jacobian_frobenius_squared(model.encode, images)
    assert per_image.min() > 0
    assert penalty == pytest.approx(per_image.mean(), rel=1e-4)


def test_rescaling_relu_layers_leaves_codes_and_the_contractive_penalty_unchanged():
    """ReLU is scale-equivariant: ×10 on the hidden layer and ÷10 on the code kernel give the same codes, so a
    penalty that measures contraction must not move (a penalty on the code layer alone fell 100×)."""
    model = contractive_model((16,))
    images = tf.constant(unit_images(4, 6, 6))
    before_codes = model.encode(images).numpy()
    before = float(model.penalty_terms(images, model.encode(images), training=False)["contractive"])
    hidden_layer, code_layer = [layer for layer in model.encoder.layers if isinstance(layer, keras.layers.Dense)]
    hidden_layer.kernel.assign(hidden_layer.kernel * 10.0)
    hidden_layer.bias.assign(hidden_layer.bias * 10.0)
    code_layer.kernel.assign(code_layer.kernel / 10.0)
    after_codes = model.encode(images).numpy()
    after = float(model.penalty_terms(images, model.encode(images), training=False)["contractive"])
    np.testing.assert_allclose(after_codes, before_codes, rtol=1e-4, atol=1e-6)
    assert after == pytest.approx(before, rel=1e-3)


def test_the_contractive_variant_refuses_layers_its_jacobian_does_not_chain_through():
    config = validate(RunConfig(model=ModelConfig(variant="contractive", hidden=(16,), dropout=0.2)))
    with pytest.raises(AecoreError, match="dropout"):
        build_model(config, (6, 6, 1))


# ---- the VAE's terms -----------------------------------------------------------------------------


def test_gaussian_kl_per_dimension_matches_the_formula():
    mean = RNG.normal(size=(16, 3)).astype(np.float32)
    log_variance = RNG.normal(scale=0.7, size=(16, 3)).astype(np.float32)
    variance = np.exp(log_variance.astype(np.float64))
    expected = (0.5 * (mean.astype(np.float64) ** 2 + variance - np.log(variance) - 1)).mean(axis=0)
    np.testing.assert_allclose(losses.gaussian_kl_per_dimension(mean, log_variance).numpy(), expected, rtol=1e-5)
    assert float(losses.gaussian_kl(mean, log_variance, 2.5)) == pytest.approx(2.5 * expected.sum(), rel=1e-5)


def test_gaussian_kl_is_zero_for_the_standard_normal_and_positive_otherwise():
    zeros = np.zeros((4, 2), dtype=np.float32)
    np.testing.assert_allclose(losses.gaussian_kl_per_dimension(zeros, zeros).numpy(), 0.0, atol=1e-7)
    # μ = 1, σ² = 1: ½ per dimension; μ = 0, σ² = e: ½ (e − 1 − 1)
    np.testing.assert_allclose(losses.gaussian_kl_per_dimension(zeros + 1, zeros).numpy(), 0.5, rtol=1e-6)
    np.testing.assert_allclose(
        losses.gaussian_kl_per_dimension(zeros, zeros + 1).numpy(), 0.5 * (math.e - 2), rtol=1e-6
    )


@pytest.fixture
def targets_and_reconstructions():
    target = RNG.uniform(size=(5, 4, 3, 1)).astype(np.float32)
    target[0] = (target[0] > 0.5).astype(np.float32)  # binary pixels too
    reconstruction = RNG.uniform(0.01, 0.99, size=target.shape).astype(np.float32)
    return target, reconstruction


def test_negative_log_likelihood_bernoulli(targets_and_reconstructions):
    x, p = (a.reshape(len(a), -1).astype(np.float64) for a in targets_and_reconstructions)
    expected = (-(x * np.log(p) + (1 - x) * np.log(1 - p)).sum(axis=1)).mean()
    value = float(losses.negative_log_likelihood(*targets_and_reconstructions, "bce"))
    assert value == pytest.approx(expected, rel=1e-5)


def test_negative_log_likelihood_gaussian_with_unit_variance(targets_and_reconstructions):
    x, mu = (a.reshape(len(a), -1).astype(np.float64) for a in targets_and_reconstructions)
    log_density = -0.5 * (x - mu) ** 2 - 0.5 * np.log(2 * np.pi)  # log N(x; μ, 1)
    expected = (-log_density.sum(axis=1)).mean()
    value = float(losses.negative_log_likelihood(*targets_and_reconstructions, "mse"))
    assert value == pytest.approx(expected, rel=1e-5)


def test_negative_log_likelihood_laplace_with_unit_scale(targets_and_reconstructions):
    x, mu = (a.reshape(len(a), -1).astype(np.float64) for a in targets_and_reconstructions)
    log_density = -np.abs(x - mu) - np.log(2.0)  # log Laplace(x; μ, 1)
    expected = (-log_density.sum(axis=1)).mean()
    value = float(losses.negative_log_likelihood(*targets_and_reconstructions, "mae"))
    assert value == pytest.approx(expected, rel=1e-5)


def test_reconstruction_losses_sum_over_pixels_and_average_over_images(targets_and_reconstructions):
    x, p = (a.reshape(len(a), -1).astype(np.float64) for a in targets_and_reconstructions)
    expected = {
        "mse": ((x - p) ** 2).sum(axis=1).mean(),
        "mae": np.abs(x - p).sum(axis=1).mean(),
        "bce": (-(x * np.log(p) + (1 - x) * np.log(1 - p))).sum(axis=1).mean(),
    }
    log_normaliser = np.log(2 * np.arctanh(1 - 2 * p) / (1 - 2 * p))  # no p is ½ here: the plain closed form
    expected["cb"] = expected["bce"] - log_normaliser.sum(axis=1).mean()
    for name, function in losses.RECONSTRUCTION.items():
        # float32 sums of a dozen terms near 1 cancel to near 0 for "cb": an absolute bound as well as a relative one
        assert float(function(*targets_and_reconstructions)) == pytest.approx(expected[name], rel=1e-5, abs=1e-5), name


def test_binary_cross_entropy_is_finite_for_saturated_reconstructions():
    target = np.array([[1.0, 0.0]], dtype=np.float32)
    assert np.isfinite(float(losses.binary_cross_entropy(target, 1.0 - target)))


# ---- the adversarial terms -----------------------------------------------------------------------


def test_discriminator_loss_is_the_binary_cross_entropy_of_real_against_fake():
    real = RNG.normal(size=(8, 1)).astype(np.float32)
    fake = RNG.normal(size=(8, 1)).astype(np.float32)
    expected = (
        -np.log(numpy_sigmoid(real.astype(np.float64))).mean()
        - np.log(1 - numpy_sigmoid(fake.astype(np.float64))).mean()
    )
    assert float(losses.discriminator_loss(real, fake)) == pytest.approx(expected, rel=1e-5)
    # a discriminator that cannot tell (logit 0 everywhere) pays 2 ln 2
    zeros = np.zeros((4, 1), dtype=np.float32)
    assert float(losses.discriminator_loss(zeros, zeros)) == pytest.approx(2 * math.log(2), rel=1e-6)


def test_generator_loss_rewards_codes_the_discriminator_calls_real():
    fake = RNG.normal(size=(8, 1)).astype(np.float32)
    expected = -np.log(numpy_sigmoid(fake.astype(np.float64))).mean()
    assert float(losses.generator_loss(fake)) == pytest.approx(expected, rel=1e-5)
    assert float(losses.generator_loss(np.full((2, 1), 10.0, np.float32))) < float(
        losses.generator_loss(np.full((2, 1), -10.0, np.float32))
    )


# ---- PSNR ----------------------------------------------------------------------------------------


def test_psnr_of_mse_one_hundredth_is_20_db():
    clean = np.zeros((3, 4, 4, 1), dtype=np.float32)
    assert float(losses.psnr(clean, clean + 0.1)) == pytest.approx(20.0, abs=1e-3)


def test_psnr_is_the_mean_of_the_per_image_values():
    clean = np.zeros((2, 4, 4, 1), dtype=np.float32)
    reconstruction = clean.copy()
    reconstruction[0] += 0.1  # MSE 1e-2: 20 dB
    reconstruction[1] += 0.01  # MSE 1e-4: 40 dB
    assert float(losses.psnr(clean, reconstruction)) == pytest.approx(30.0, abs=1e-3)
    # with max value 255: 10 log10(255² / MSE)
    assert float(losses.psnr(clean, clean + 5.0, max_value=255.0)) == pytest.approx(
        10 * math.log10(255**2 / 25), abs=1e-3
    )


@pytest.mark.parametrize(("a", "b"), [(0.2, 0.5), (0.6, 0.61), (0.0, 1.0)])
def test_ssim_of_two_flat_images_is_the_closed_form_of_their_means(a, b):
    """Flat images have no variance, so SSIM is its luminance term alone: (2ab + C1) / (a² + b² + C1),
    C1 = (0.01·L)² (Wang et al. 2004); within 1e-3, as float32 leaves flat images a variance of about 1e-7."""
    c1 = 0.01**2
    clean, other = np.full((2, 28, 28, 1), a, np.float32), np.full((2, 28, 28, 1), b, np.float32)
    assert float(losses.ssim(clean, other)) == pytest.approx((2 * a * b + c1) / (a * a + b * b + c1), abs=1e-3)


def test_ssim_is_one_for_identical_images_falls_with_noise_and_fits_its_window_to_8x8_digits():
    images = np.random.default_rng(0).random((4, 8, 8, 1)).astype(np.float32)
    assert float(losses.ssim(images, images)) == pytest.approx(1.0, abs=1e-6)
    noise = np.random.default_rng(1).normal(0, 1, images.shape).astype(np.float32)
    slightly = float(losses.ssim(images, images + 0.05 * noise))
    strongly = float(losses.ssim(images, images + 0.3 * noise))
    assert 1.0 > slightly > strongly
    # an 8-pixel window on an 8×8 image is tf.image.ssim's own figure for that window
    reference = tf.image.ssim(images, images + 0.3 * noise, max_val=1.0, filter_size=8, filter_sigma=1.5)
    assert strongly == pytest.approx(float(tf.reduce_mean(reference)), abs=1e-6)
    assert float(losses.ssim(images[..., 0], images[..., 0] + 0.3 * noise[..., 0])) == pytest.approx(strongly)


def test_psnr_of_a_perfect_reconstruction_is_finite():
    clean = unit_images()
    assert np.isfinite(float(losses.psnr(clean, clean)))


# ---- the continuous Bernoulli ----------------------------------------------------------------------


@pytest.mark.parametrize("lam", [0.01, 0.2, 0.45, 0.4999, 0.5, 0.503, 0.8, 0.99])
def test_the_continuous_bernoulli_is_a_density_on_grey_levels(lam):
    """exp(−loss) of one pixel integrates to 1 over x ∈ [0, 1], also next to λ = ½ where the series takes over."""
    grey = np.linspace(0.0, 1.0, 4001)
    log_normaliser = float(losses.continuous_bernoulli_log_normaliser(np.float32([lam]))[0])
    nll = -(grey * np.log(lam) + (1 - grey) * np.log(1 - lam)) - log_normaliser
    assert np.trapezoid(np.exp(-nll), grey) == pytest.approx(1.0, abs=2e-4)
    images = grey[::400].reshape(-1, 1, 1, 1).astype(np.float32)  # the loss itself: that formula, batch mean
    loss = losses.continuous_bernoulli(images, np.full_like(images, lam))
    assert float(loss) == pytest.approx(nll[::400].mean(), rel=1e-4, abs=1e-4)


def test_the_continuous_bernoulli_normaliser_matches_its_closed_form():
    lam = np.array([0.01, 0.2, 0.3, 0.7, 0.95], dtype=np.float64)
    expected = np.log(2 * np.arctanh(1 - 2 * lam) / (1 - 2 * lam))
    np.testing.assert_allclose(losses.continuous_bernoulli_log_normaliser(lam).numpy(), expected, rtol=1e-4)
    assert float(losses.continuous_bernoulli_log_normaliser(np.float32([0.5]))[0]) == pytest.approx(math.log(2.0))
