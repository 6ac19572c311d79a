"""The adversarial autoencoder: a discriminator on the code pushes q(z) toward a prior p(z)."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from aecore.errors import AecoreError
from aecore.models import losses
from aecore.models.base import Autoencoder, descend, make_optimizer, replica_share
from aecore.tensorflow_runtime import keras, tf

#: the mixture prior of the AAE paper: 10 Gaussians on a circle in 2-D
MIXTURE_COMPONENTS = 10
MIXTURE_RADIUS = 4.0
MIXTURE_STD = 0.5
#: the discriminator and the generator step at a third of the autoencoder's learning rate: three Adam steps per
#: batch at the full rate move the codes faster than the decoder follows (measured on mnist-5k, 3 epochs, seeds 0-1:
#: 13.3-13.4 dB of test PSNR at 3e-3 with a third for the adversary, against 12.9 dB with all three at 1e-3, and
#: seeds that barely learned with all three at 3e-3); the codes still fill the prior (discriminator loss ≈ log 4)
ADVERSARIAL_RATE_SCALE = 1 / 3


@keras.saving.register_keras_serializable(package="aecore")
class AdversarialAutoencoder(Autoencoder):
    """Three phases per batch: reconstruction (encoder + decoder), discriminator, generator (encoder).

    ``total`` is what the autoencoder minimises: reconstruction + weight decay + the
    generator's adversarial loss. The discriminator's own loss is tracked beside it.
    """

    extra_terms = ("adversarial_g", "adversarial_d")
    monitored_terms = ("adversarial_d",)

    def __init__(self, run_config: Any, image_shape: tuple[int, ...], **kwargs: Any) -> None:
        super().__init__(run_config, image_shape, **kwargs)
        if self.run_config.regularisation.prior == "mixture" and self.latent_dim != 2:
            raise AecoreError(
                f"The mixture-of-Gaussians prior is 2-D; set the code size to 2 (it is {self.latent_dim}) "
                "or choose the normal prior."
            )
        self.discriminator = keras.Sequential(
            [
                keras.Input((self.latent_dim,)),
                keras.layers.Dense(128, activation="relu"),
                keras.layers.Dense(128, activation="relu"),
                keras.layers.Dense(1),
            ],
            name="discriminator",
        )
        training = self.run_config.training
        adversarial = replace(training, learning_rate=training.learning_rate * ADVERSARIAL_RATE_SCALE)
        self.discriminator_optimizer = make_optimizer(adversarial)
        self.generator_optimizer = make_optimizer(adversarial)
        self.discriminator_optimizer.build(self.discriminator.trainable_variables)
        self.generator_optimizer.build(self.encoder.trainable_variables)

    @property
    def networks(self) -> list[keras.Model]:
        return [self.encoder, self.decoder, self.discriminator]

    @property
    def optimizers(self) -> list[keras.Optimizer]:
        return [self.optimizer, self.discriminator_optimizer, self.generator_optimizer]

    def sample_prior(self, count: tf.Tensor) -> tf.Tensor:
        """Samples of p(z): N(0, I), or the 2-D mixture of Gaussians placed on a circle."""
        normal = self.random.normal((count, self.latent_dim))
        if self.run_config.regularisation.prior == "normal":
            return normal
        component = self.random.uniform((count,), 0, MIXTURE_COMPONENTS, dtype=tf.int32)
        angle = tf.cast(component, tf.float32) * (2.0 * math.pi / MIXTURE_COMPONENTS)
        centres = MIXTURE_RADIUS * tf.stack([tf.cos(angle), tf.sin(angle)], axis=1)
        return centres + MIXTURE_STD * normal

    def train_step(self, data: Any) -> dict[str, tf.Tensor]:
        clean = self.clean_batch(data)
        inputs = self.corrupt(clean)
        with tf.GradientTape() as tape:
            reconstruction = self.reconstruction_loss(clean, self(inputs, training=True))
            decay = losses.weight_decay(self.autoencoder_kernels, self.live["alpha"])
            objective = reconstruction + decay
            share = replica_share(objective)
        descend(self.optimizer, tape, share, self.encoder.trainable_variables + self.decoder.trainable_variables)

        codes = self.encode(inputs, training=True)
        prior = self.sample_prior(tf.shape(codes)[0])
        with tf.GradientTape() as tape:
            real_logits = self.discriminator(prior, training=True)
            adversarial_d = losses.discriminator_loss(real_logits, self.discriminator(codes, training=True))
            share = replica_share(adversarial_d)
        descend(self.discriminator_optimizer, tape, share, self.discriminator.trainable_variables)

        with tf.GradientTape() as tape:
            adversarial_g = losses.generator_loss(self.discriminator(self.encode(inputs, training=True)))
            share = replica_share(adversarial_g)
        descend(self.generator_optimizer, tape, share, self.encoder.trainable_variables)

        return self.record(
            {
                "reconstruction": reconstruction,
                "adversarial_g": adversarial_g,
                "adversarial_d": adversarial_d,
                "weight_decay": decay,
                "total": objective + adversarial_g,
            },
            clean,
        )

    def penalty_terms(self, inputs: tf.Tensor, codes: tf.Tensor, training: bool) -> dict[str, tf.Tensor]:
        """For validation: how well the codes fool the discriminator and how well it tells them apart."""
        prior = self.sample_prior(tf.shape(codes)[0])
        fake_logits = self.discriminator(codes)
        return {
            "adversarial_g": losses.generator_loss(fake_logits),
            "adversarial_d": losses.discriminator_loss(self.discriminator(prior), fake_logits),
        }
