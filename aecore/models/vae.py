"""The variational autoencoder (β-VAE): a Gaussian code, sampled by reparameterisation."""

from __future__ import annotations

from aecore.models import losses
from aecore.models.base import Autoencoder
from aecore.tensorflow_runtime import keras, tf


@keras.saving.register_keras_serializable(package="aecore")
class VariationalAutoencoder(Autoencoder):
    """Loss = −log p(x|z) + β KL(q(z|x) ‖ N(0, I)), both in nats per image; β = 1 is a plain VAE.

    The reconstruction loss picks the decoder's likelihood: ``bce`` Bernoulli, ``mse``
    Gaussian (unit variance), ``mae`` Laplace (unit scale). ``encode`` returns the mean μ.
    """

    #: ``kl`` is KL(q(z|x) ‖ N(0, I)) itself, in nats per image, plotted but not summed: the loss holds
    #: ``beta_kl`` = β·KL, so at β ≠ 1 the curve a student reads is still the divergence
    extra_terms = ("kl", "beta_kl")
    monitored_terms = ("kl",)

    def code_layer(self) -> keras.Layer:
        """μ and log σ² side by side: 2 × latent_dim outputs, split by ``moments``."""
        return keras.layers.Dense(2 * self.latent_dim, kernel_initializer=self.initializer(), name="code")

    @property
    def code_size(self) -> int:
        return self.latent_dim

    def moments(self, images: tf.Tensor, training: bool = False) -> tuple[tf.Tensor, tf.Tensor]:
        """μ and log σ² of q(z|x)."""
        mean, log_variance = tf.split(self.encoder(images, training=training), 2, axis=-1)
        return mean, log_variance

    def encode(self, images: tf.Tensor, training: bool = False) -> tf.Tensor:
        return self.moments(images, training)[0]

    def per_image_reconstruction(self, target: tf.Tensor, reconstruction: tf.Tensor) -> tf.Tensor:
        """−log p(x|z) in nats per image, with the likelihood's constants."""
        return losses.negative_log_likelihood(target, reconstruction, self.run_config.model.loss)

    def reparameterise(self, mean: tf.Tensor, log_variance: tf.Tensor) -> tf.Tensor:
        """z = μ + σ ε with ε ~ N(0, I): a sample that gradients can flow through."""
        return mean + tf.exp(0.5 * log_variance) * self.random.normal(tf.shape(mean))

    def data_terms(self, inputs: tf.Tensor, target: tf.Tensor, training: bool) -> dict[str, tf.Tensor]:
        mean, log_variance = self.moments(inputs, training)
        reconstruction = self.decode(self.reparameterise(mean, log_variance), training=training)
        divergence = self.batch_reduced(losses.gaussian_kl(mean, log_variance, 1.0))
        return {
            "reconstruction": self.reconstruction_loss(target, reconstruction),
            "kl": divergence,
            "beta_kl": self.live["beta"] * divergence,
        }

    def negative_elbo(self, inputs: tf.Tensor, target: tf.Tensor) -> tf.Tensor:
        """−ELBO with β = 1 (one sample of z), nats per image: the bound on −log p(x), whatever β trained."""
        mean, log_variance = self.moments(inputs)
        reconstruction = self.decode(self.reparameterise(mean, log_variance))
        return self.per_image_reconstruction(target, reconstruction) + losses.gaussian_kl(mean, log_variance, 1.0)

    def importance_log_likelihood(self, images: tf.Tensor, samples: int, random: tf.random.Generator) -> tf.Tensor:
        """log p(x) per image, estimated from ``samples`` draws of q(z|x) (Burda et al.): as many decoder passes."""
        mean, log_variance = self.moments(images)
        draws = mean[None] + tf.exp(0.5 * log_variance)[None] * random.normal((samples, *mean.shape))
        decoded = self.decode(tf.reshape(draws, (-1, mean.shape[-1])))
        repeated = tf.reshape(tf.repeat(images[None], samples, axis=0), (-1, *images.shape[1:]))
        nll = losses.per_image_negative_log_likelihood(repeated, decoded, self.run_config.model.loss)
        return losses.importance_weighted_log_likelihood(-tf.reshape(nll, (samples, -1)), draws, mean, log_variance)

    def diagnostics(self, images: tf.Tensor) -> dict[str, tf.Tensor]:
        mean, log_variance = self.moments(images)
        return {"kl_per_dimension": losses.gaussian_kl_per_dimension(mean, log_variance)}
