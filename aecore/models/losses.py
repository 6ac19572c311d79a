"""Reconstruction losses and penalty terms, each a small pure function of tensors.

Every function here is the textbook formula and is tested against its closed form. They
take and return TensorFlow tensors (numpy arrays are accepted and converted), so the
same code serves the training step, the analysis and the figures.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence

from aecore.tensorflow_runtime import tf

#: a dense layer as the contractive penalty reads it: kernel, bias and elementwise activation
DenseLayer = tuple[tf.Tensor, tf.Tensor, Callable[[tf.Tensor], tf.Tensor]]

#: ρ̂ is clipped into [EPSILON, 1 - EPSILON] so the Bernoulli KL stays finite at 0 and 1.
EPSILON = 1e-6


def _flat(images: tf.Tensor) -> tf.Tensor:
    """(batch, ...) -> (batch, features): per-image sums and means work on any image shape."""
    images = tf.convert_to_tensor(images, dtype=tf.float32)
    return tf.reshape(images, (tf.shape(images)[0], -1))


def squared_error(target: tf.Tensor, reconstruction: tf.Tensor) -> tf.Tensor:
    """Σ_i (x_i − x̂_i)² over the pixels of an image, averaged over the batch ("mse")."""
    return tf.reduce_mean(tf.reduce_sum(tf.square(_flat(target) - _flat(reconstruction)), axis=1))


def absolute_error(target: tf.Tensor, reconstruction: tf.Tensor) -> tf.Tensor:
    """Σ_i |x_i − x̂_i| over the pixels of an image, averaged over the batch ("mae", the assignment's loss)."""
    return tf.reduce_mean(tf.reduce_sum(tf.abs(_flat(target) - _flat(reconstruction)), axis=1))


def binary_cross_entropy(target: tf.Tensor, reconstruction: tf.Tensor) -> tf.Tensor:
    """−Σ_i [x_i log x̂_i + (1 − x_i) log(1 − x̂_i)] per image, batch mean; x̂ clipped to stay finite."""
    x = _flat(target)
    x_hat = tf.clip_by_value(_flat(reconstruction), EPSILON, 1.0 - EPSILON)
    return -tf.reduce_mean(tf.reduce_sum(x * tf.math.log(x_hat) + (1.0 - x) * tf.math.log(1.0 - x_hat), axis=1))


def continuous_bernoulli_log_normaliser(probabilities: tf.Tensor) -> tf.Tensor:
    """log C(λ) of the continuous Bernoulli, C(λ) = 2 artanh(1 − 2λ) / (1 − 2λ) and C(½) = 2, elementwise.

    Near λ = ½ the ratio is 0/0 in floating point, so there its series log 2 + t²/3 + 13t⁴/90 (t = 1 − 2λ) is used.
    """
    lam = tf.clip_by_value(tf.convert_to_tensor(probabilities, dtype=tf.float32), EPSILON, 1.0 - EPSILON)
    t = 1.0 - 2.0 * lam
    near_half = tf.abs(t) < 1e-2
    safe_t = tf.where(near_half, tf.ones_like(t), t)  # keeps the unused branch's gradient finite
    exact = tf.math.log(2.0 * tf.math.atanh(safe_t) / safe_t)
    series = math.log(2.0) + tf.square(t) / 3.0 + 13.0 / 90.0 * tf.square(tf.square(t))
    return tf.where(near_half, series, exact)


def continuous_bernoulli(target: tf.Tensor, reconstruction: tf.Tensor) -> tf.Tensor:
    """−log p(x|λ) of the continuous Bernoulli per image, batch mean: the cross-entropy minus Σ_i log C(λ_i).

    Unlike the Bernoulli, it is a density on grey levels x ∈ [0, 1] (Loaiza-Ganem & Cunningham, 2019), so a
    VAE's ELBO with it is a true bound on log p(x) of the grey-level images ("cb").
    """
    normaliser = tf.reduce_sum(continuous_bernoulli_log_normaliser(_flat(reconstruction)), axis=1)
    return binary_cross_entropy(target, reconstruction) - tf.reduce_mean(normaliser)


#: Reconstruction losses are summed over the pixels of an image, as in the textbook objectives
#: (Ng's sparse autoencoder, Rifai's contractive one, the VAE's ELBO): a penalty such as β Σ_j KL
#: is then weighed against the error of a whole image, not of an average pixel, which would make
#: it 784 times stronger on MNIST and leave a model that ignores its input.
RECONSTRUCTION = {
    "mse": squared_error,
    "bce": binary_cross_entropy,
    "mae": absolute_error,
    "cb": continuous_bernoulli,
}


def negative_log_likelihood(target: tf.Tensor, reconstruction: tf.Tensor, loss: str) -> tf.Tensor:
    """−log p(x|z) in nats per image for the VAE's decoder: the likelihood behind each loss, with its constants.

    bce: Bernoulli decoder; cb: continuous Bernoulli; mse: Gaussian with unit variance; mae: Laplace with unit
    scale. Summing (not averaging) over pixels is what makes the ELBO a bound on log p(x).
    """
    pixels = float(math.prod(target.shape[1:]))
    if loss in ("bce", "cb"):
        return RECONSTRUCTION[loss](target, reconstruction)
    if loss == "mse":
        return 0.5 * squared_error(target, reconstruction) + 0.5 * pixels * math.log(2.0 * math.pi)
    return absolute_error(target, reconstruction) + pixels * math.log(2.0)


def per_image_negative_log_likelihood(target: tf.Tensor, reconstruction: tf.Tensor, loss: str) -> tf.Tensor:
    """``negative_log_likelihood`` of each image on its own (shape (batch,)), not the batch's mean."""
    return tf.vectorized_map(
        lambda pair: negative_log_likelihood(pair[0][None], pair[1][None], loss),
        (tf.convert_to_tensor(target, tf.float32), tf.convert_to_tensor(reconstruction, tf.float32)),
    )


def bernoulli_kl(rho: float, rho_hat: tf.Tensor) -> tf.Tensor:
    """KL(ρ‖ρ̂) = ρ log(ρ/ρ̂) + (1−ρ) log((1−ρ)/(1−ρ̂)), elementwise; zero only at ρ̂ = ρ."""
    rho_hat = tf.clip_by_value(tf.convert_to_tensor(rho_hat, dtype=tf.float32), EPSILON, 1.0 - EPSILON)
    return rho * tf.math.log(rho / rho_hat) + (1.0 - rho) * tf.math.log((1.0 - rho) / (1.0 - rho_hat))


def mean_activation(code: tf.Tensor) -> tf.Tensor:
    """ρ̂_j: the mean activation of every code unit over the batch."""
    return tf.reduce_mean(_flat(code), axis=0)


def sparsity_kl(code: tf.Tensor, rho: float, beta: float) -> tf.Tensor:
    """β Σ_j KL(ρ‖ρ̂_j) over the code units (sigmoid activations in (0, 1))."""
    return beta * tf.reduce_sum(bernoulli_kl(rho, mean_activation(code)))


def l1_activity(code: tf.Tensor, lam: float) -> tf.Tensor:
    """λ Σ_j |h_j|, averaged over the batch: pushes activations toward zero, so few units stay active."""
    return lam * tf.reduce_mean(tf.reduce_sum(tf.abs(_flat(code)), axis=1))


def weight_decay(kernels: Iterable[tf.Tensor], alpha: float) -> tf.Tensor:
    """α Σ‖W‖² over the given kernels (biases are not decayed, as is usual)."""
    squares = [tf.reduce_sum(tf.square(kernel)) for kernel in kernels]
    return alpha * tf.add_n(squares) if squares else tf.constant(0.0)


def _activation_slope(activation: Callable[[tf.Tensor], tf.Tensor], pre_activation: tf.Tensor) -> tuple:
    """(φ(a), φ'(a)) for an elementwise φ: the slope by autodiff, so any Keras activation works unchanged."""
    with tf.GradientTape() as tape:
        tape.watch(pre_activation)
        output = activation(pre_activation)
    return output, tape.gradient(output, pre_activation)


def contractive(inputs: tf.Tensor, layers: Sequence[DenseLayer], lam: float) -> tf.Tensor:
    """λ‖∂h/∂x‖²_F: the Jacobian of the code h with respect to the input image x, averaged over the batch.

    ``layers`` are the encoder's dense layers as (kernel W, bias b, activation φ), image side first. For one
    layer the closed form ‖J‖²_F = Σ_j φ'(a_j)² Σ_i W_ij² is exact. With hidden layers J is the exact product
    diag(φ'_L) W_Lᵀ ⋯ diag(φ'_1) W_1ᵀ, chained from the code side (code × width matrices per image): a
    penalty on the last layer alone would not be ‖J‖²_F, and ReLU layers could shrink it by rescaling their
    kernels without contracting anything.
    """
    activity = _flat(inputs)
    slopes = []
    for kernel, bias, activation in layers:
        activity, slope = _activation_slope(activation, tf.matmul(activity, kernel) + bias)
        slopes.append(slope)
    last_kernel = layers[-1][0]
    if len(layers) == 1:
        per_image = tf.reduce_sum(tf.square(slopes[0]) * tf.reduce_sum(tf.square(last_kernel), axis=0), axis=1)
        return lam * tf.reduce_mean(per_image)
    jacobian = slopes[-1][:, :, None] * tf.transpose(last_kernel)[None]  # (batch, code, width of layer L−1)
    for (kernel, _, _), slope in zip(reversed(layers[:-1]), reversed(slopes[:-1]), strict=True):
        jacobian = tf.matmul(jacobian * slope[:, None, :], kernel, transpose_b=True)
    return lam * tf.reduce_mean(tf.reduce_sum(tf.square(jacobian), axis=[1, 2]))


def gaussian_kl_per_dimension(mean: tf.Tensor, log_variance: tf.Tensor) -> tf.Tensor:
    """KL(N(μ, σ²) ‖ N(0, 1)) = ½ (μ² + σ² − log σ² − 1) per dimension, batch mean."""
    return tf.reduce_mean(0.5 * (tf.square(mean) + tf.exp(log_variance) - log_variance - 1.0), axis=0)


def gaussian_kl(mean: tf.Tensor, log_variance: tf.Tensor, beta: float) -> tf.Tensor:
    """β Σ_k KL(q(z_k|x) ‖ N(0, 1)): the VAE's regulariser, in nats per image."""
    return beta * tf.reduce_sum(gaussian_kl_per_dimension(mean, log_variance))


def gaussian_log_density(z: tf.Tensor, mean: tf.Tensor, log_variance: tf.Tensor) -> tf.Tensor:
    """log N(z; μ, diag σ²), summed over the last axis."""
    return -0.5 * tf.reduce_sum(
        math.log(2.0 * math.pi) + log_variance + tf.square(z - mean) / tf.exp(log_variance), axis=-1
    )


def importance_weighted_log_likelihood(
    log_likelihoods: tf.Tensor, samples: tf.Tensor, mean: tf.Tensor, log_variance: tf.Tensor
) -> tf.Tensor:
    """Burda et al.'s estimate of log p(x) per image from K samples z_k ~ q(z|x):
    log (1/K) Σ_k p(x|z_k) p(z_k) / q(z_k|x), with a standard normal prior.

    ``log_likelihoods[k, i]`` is log p(x_i|z_k), ``samples[k, i]`` the z_k drawn for image i from q = N(μ_i, σ_i²).
    With K = 1 it is the ELBO's one-sample estimate; as K grows it rises to log p(x) (never below the mean of the
    K one-sample terms, by Jensen).
    """
    weights = (
        log_likelihoods
        + gaussian_log_density(samples, tf.zeros_like(samples), tf.zeros_like(samples))
        - gaussian_log_density(samples, mean[None], log_variance[None])
    )
    count = tf.cast(tf.shape(weights)[0], weights.dtype)
    return tf.reduce_logsumexp(weights, axis=0) - tf.math.log(count)


def discriminator_loss(real_logits: tf.Tensor, fake_logits: tf.Tensor) -> tf.Tensor:
    """Binary cross-entropy of a discriminator telling prior samples (1) from codes (0)."""
    real = tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.ones_like(real_logits), logits=real_logits)
    fake = tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.zeros_like(fake_logits), logits=fake_logits)
    return tf.reduce_mean(real) + tf.reduce_mean(fake)


def generator_loss(fake_logits: tf.Tensor) -> tf.Tensor:
    """The encoder's adversarial loss: make the discriminator call its codes real."""
    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.ones_like(fake_logits), logits=fake_logits))


def psnr(clean: tf.Tensor, reconstruction: tf.Tensor, max_value: float = 1.0) -> tf.Tensor:
    """Peak signal-to-noise ratio in dB, 10 log10(max² / MSE), averaged over images."""
    mse_per_image = tf.reduce_mean(tf.square(_flat(clean) - _flat(reconstruction)), axis=1)
    mse_per_image = tf.maximum(mse_per_image, 1e-12)
    return tf.reduce_mean(10.0 * tf.math.log(max_value**2 / mse_per_image) / math.log(10.0))


#: SSIM's Gaussian window (Wang et al. 2004): 11 pixels, σ = 1.5; smaller where the image is (8×8 digits)
SSIM_WINDOW, SSIM_SIGMA = 11, 1.5


def ssim(clean: tf.Tensor, other: tf.Tensor, max_value: float = 1.0) -> tf.Tensor:
    """Structural similarity (``tf.image.ssim``), averaged over images: 1 for identical images, lower as local
    means, contrasts and structure part. Its window is never wider than the image, so 8×8 digits have one."""
    clean = tf.convert_to_tensor(clean, tf.float32)
    other = tf.convert_to_tensor(other, tf.float32)
    if clean.shape.rank == 3:  # (N, H, W): one grey channel
        clean, other = clean[..., None], other[..., None]
    window = min(SSIM_WINDOW, int(clean.shape[1]), int(clean.shape[2]))
    per_image = tf.image.ssim(clean, other, max_val=max_value, filter_size=window, filter_sigma=SSIM_SIGMA)
    return tf.reduce_mean(per_image)
