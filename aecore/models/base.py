"""The common base of every variant: networks, noise as a training mode, loss terms as metrics.

A variant differs from the plain autoencoder only where it really differs: the networks it
builds and the penalty terms it adds (``penalty_terms``); the adversarial autoencoder also
replaces ``train_step``. Everything else (denoising, weight decay, metrics, saving) is here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from aecore.data.noise import corrupt
from aecore.errors import AecoreError
from aecore.models import losses
from aecore.settings.config import RunConfig
from aecore.settings.live import LIVE_SETTINGS, setting_value
from aecore.tensorflow_runtime import keras, tf


def kernel_initializer(name: str) -> Any:
    """A fresh initializer per layer (Keras draws each unseeded one from the run's global seed)."""
    if name == "fan_in_uniform":  # uniform in ±√(1/fan_in): VarianceScaling's limit is √(3·scale/fan_in)
        return keras.initializers.VarianceScaling(scale=1 / 3, mode="fan_in", distribution="uniform")
    return keras.initializers.get(name)


def make_optimizer(training: Any) -> keras.Optimizer:
    """The run's optimizer: Adam, or SGD with momentum 0.9 (DEC's pretraining)."""
    if training.optimizer == "sgd":
        return keras.optimizers.SGD(training.learning_rate, momentum=0.9)
    return keras.optimizers.Adam(training.learning_rate)


def dense_stack(widths: tuple[int, ...], model: Any) -> list[keras.Layer]:
    """Dense layers with the optional batch normalisation and dropout between them (seed 004)."""
    layers: list[keras.Layer] = []
    for width in widths:
        layers.append(
            keras.layers.Dense(width, activation=model.activation, kernel_initializer=kernel_initializer(model.init))
        )
        if model.batch_norm:
            layers.append(keras.layers.BatchNormalization())
        if model.dropout > 0:
            layers.append(keras.layers.Dropout(model.dropout))
    return layers


class Autoencoder(keras.Model):
    """A dense autoencoder: image -> hidden layers -> code -> mirrored hidden layers -> image.

    Subclasses set ``code_activation`` and ``extra_terms`` and override ``penalty_terms``.
    The networks are built eagerly from a known input shape, so the model has all its
    weights as soon as it exists and saves / loads without a sample batch.
    """

    #: names of the penalty terms this variant adds, in display order
    extra_terms: tuple[str, ...] = ()
    #: terms tracked for the curves but not part of ``total``: minimised by another network (the AAE's
    #: discriminator) or shown unweighted beside their weighted share of the loss (the VAE's KL)
    monitored_terms: tuple[str, ...] = ()
    #: activation of the code layer; None means linear
    code_activation: str | None = None

    def __init__(self, run_config: dict[str, Any] | RunConfig, image_shape: tuple[int, ...], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.run_config = run_config if isinstance(run_config, RunConfig) else RunConfig.from_dict(run_config)
        self.image_shape = tuple(int(s) for s in image_shape)
        self.hidden = self.run_config.model.hidden
        self.latent_dim = self.run_config.model.latent_dim
        self.random = tf.random.Generator.from_seed(self.run_config.training.seed)
        self.live = LiveSettings(self.run_config)
        self.encoder = self.build_encoder()
        self.decoder = self.build_decoder()
        self.term_trackers = {name: keras.metrics.Mean(name=name) for name in self.loss_term_names}
        self.built = True  # every weight exists already: the networks were built from keras.Input

    # ---- networks -------------------------------------------------------------------------
    def build_encoder(self) -> keras.Model:
        model = self.run_config.model
        return keras.Sequential(
            [
                keras.Input(self.image_shape),
                keras.layers.Flatten(),
                *dense_stack(self.hidden, model),
                self.code_layer(),
            ],
            name="encoder",
        )

    def code_layer(self) -> keras.Layer:
        """The encoder's last layer, named ``code`` (the contractive penalty reads its kernel)."""
        return keras.layers.Dense(
            self.latent_dim, activation=self.code_activation, kernel_initializer=self.initializer(), name="code"
        )

    def initializer(self) -> Any:
        """A fresh kernel initializer of the run's kind, one per layer."""
        return kernel_initializer(self.run_config.model.init)

    @property
    def output_activation(self) -> str | None:
        """The decoder's last activation: the sigmoid, or none (a linear output)."""
        return "sigmoid" if self.run_config.model.output == "sigmoid" else None

    def build_decoder(self) -> keras.Model:
        model = self.run_config.model
        return keras.Sequential(
            [
                keras.Input((self.latent_dim,)),
                *dense_stack(tuple(reversed(self.hidden)), model),
                keras.layers.Dense(
                    int(np.prod(self.image_shape)),
                    activation=self.output_activation,
                    kernel_initializer=self.initializer(),
                ),
                keras.layers.Reshape(self.image_shape),
            ],
            name="decoder",
        )

    # ---- the autoencoder's interface ------------------------------------------------------
    @property
    def code_size(self) -> int:
        return int(np.prod(self.encoder.output_shape[1:]))

    def encode(self, images: tf.Tensor, training: bool = False) -> tf.Tensor:
        """The code of every image, flattened to (batch, code_size)."""
        return self.encoder(images, training=training)

    def decode(self, codes: tf.Tensor, training: bool = False) -> tf.Tensor:
        return self.decoder(codes, training=training)

    def call(self, images: tf.Tensor, training: bool = False) -> tf.Tensor:
        return self.decode(self.encode(images, training=training), training=training)

    def corrupt(self, images: tf.Tensor) -> tf.Tensor:
        """The training input: the clean batch corrupted by the run's noise (identity for a run started at level 0,
        whose level cannot change while it trains)."""
        noise = self.run_config.noise
        if noise.level == 0:
            return images
        return corrupt(images, noise.kind, self.live["noise_level"], self.random.make_seeds(1)[:, 0])

    def live_value(self, name: str) -> float:
        """The value in force of a setting that can change while the run trains (``aecore.settings.live``)."""
        if name == "learning_rate":
            return float(keras.ops.convert_to_numpy(self.optimizer.learning_rate))
        return float(self.live[name].numpy())

    def set_live(self, name: str, value: float) -> None:
        """Change such a setting between two calls of steps: the compiled steps read it, no new trace. A new
        learning rate scales every optimiser's (the AAE's adversarial ones keep their ratio to the main one)."""
        if name == "learning_rate":
            ratio = value / self.live_value("learning_rate")
            for optimizer in self.optimizers:
                optimizer.learning_rate.assign(keras.ops.convert_to_numpy(optimizer.learning_rate) * ratio)
        else:
            self.live[name].assign(value)

    # ---- losses ---------------------------------------------------------------------------
    @property
    def loss_term_names(self) -> tuple[str, ...]:
        return ("reconstruction", *self.extra_terms, "weight_decay", "total")

    @property
    def autoencoder_kernels(self) -> list[tf.Variable]:
        """The kernels α decays: every weight matrix of the encoder and the decoder."""
        return [w for w in self.encoder.trainable_weights + self.decoder.trainable_weights if "kernel" in w.path]

    def batch_reduced(self, per_image_mean: tf.Tensor) -> tf.Tensor:
        """A per-image term as the run combines a batch: its mean, or with ``reduction='sum'`` its sum over a
        training batch (the mean times the batch size, for validation batches of any size alike)."""
        model, training = self.run_config.model, self.run_config.training
        return per_image_mean * float(training.batch_size) if model.reduction == "sum" else per_image_mean

    def per_image_reconstruction(self, target: tf.Tensor, reconstruction: tf.Tensor) -> tf.Tensor:
        """The reconstruction loss of an average image, whatever the batch reduction: what runs compare by."""
        return losses.RECONSTRUCTION[self.run_config.model.loss](target, reconstruction)

    def reconstruction_loss(self, target: tf.Tensor, reconstruction: tf.Tensor) -> tf.Tensor:
        return self.batch_reduced(self.per_image_reconstruction(target, reconstruction))

    def penalty_terms(self, inputs: tf.Tensor, codes: tf.Tensor, training: bool) -> dict[str, tf.Tensor]:
        """The variant's own terms; the plain autoencoder has none (its bottleneck is the regulariser)."""
        return {}

    def data_terms(self, inputs: tf.Tensor, target: tf.Tensor, training: bool) -> dict[str, tf.Tensor]:
        """The terms that depend on the batch: reconstruction and the variant's penalties."""
        codes = self.encode(inputs, training=training)
        terms = {"reconstruction": self.reconstruction_loss(target, self.decode(codes, training=training))}
        terms.update(self.penalty_terms(inputs, codes, training))
        return terms

    def loss_terms(self, inputs: tf.Tensor, target: tf.Tensor, training: bool) -> dict[str, tf.Tensor]:
        """Every loss term for one batch, and under ``total`` the sum the autoencoder minimises."""
        terms = self.data_terms(inputs, target, training)
        terms["weight_decay"] = losses.weight_decay(self.autoencoder_kernels, self.live["alpha"])
        terms["total"] = tf.add_n([value for name, value in terms.items() if name not in self.monitored_terms])
        return terms

    # ---- Keras steps ----------------------------------------------------------------------
    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        return list(self.term_trackers.values())

    def record(self, terms: dict[str, tf.Tensor], images: tf.Tensor) -> dict[str, tf.Tensor]:
        """Accumulate the epoch means and return this batch's values (the live curve plots batches).

        Each batch counts by its number of images, as in Keras, so a last, smaller batch weighs less; an empty
        batch (one replica's share of a last batch smaller than the replica count) adds nothing.
        """
        count = tf.cast(tf.shape(images)[0], tf.float32)
        for name, value in terms.items():
            self.term_trackers[name].update_state(tf.where(count > 0, value, 0.0), sample_weight=count)
        return terms

    @staticmethod
    def clean_batch(data: Any) -> tf.Tensor:
        return data[0] if isinstance(data, (tuple, list)) else data

    @staticmethod
    def input_and_target(data: Any) -> tuple[tf.Tensor, tf.Tensor]:
        """A validation batch: (corrupted input, clean target) pairs, or clean images that are both."""
        return tuple(data) if isinstance(data, (tuple, list)) else (data, data)

    def train_step(self, data: Any) -> dict[str, tf.Tensor]:
        clean = self.clean_batch(data)
        with tf.GradientTape() as tape:
            terms = self.loss_terms(self.corrupt(clean), clean, training=True)
            objective = replica_share(terms["total"])
        descend(self.optimizer, tape, objective, self.encoder.trainable_variables + self.decoder.trainable_variables)
        return self.record(terms, clean)

    def test_step(self, data: Any) -> dict[str, tf.Tensor]:
        """Losses without training; the input comes corrupted already (a fixed draw), so the validation curve
        measures the model, not this epoch's noise."""
        inputs, target = self.input_and_target(data)
        return self.record(self.loss_terms(inputs, target, training=False), target)

    def population_terms(self, codes: tf.Tensor) -> dict[str, tf.Tensor]:
        """Terms that belong to a whole set of images, not to a batch (the sparsity KL of ρ̂ over the
        validation set); they replace the batch means of the same names in the validation record."""
        return {}

    def diagnostics(self, images: tf.Tensor) -> dict[str, tf.Tensor]:
        """What the live view shows beyond the losses and the codes themselves (the VAE's KL per dimension)."""
        return {}

    @property
    def networks(self) -> list[keras.Model]:
        """The sub-networks, in the order data flows through them."""
        return [self.encoder, self.decoder]

    @property
    def optimizers(self) -> list[keras.Optimizer]:
        """Every optimiser whose state a checkpoint must keep for training to resume as it was."""
        return [self.optimizer]

    def layer_table(self) -> list[dict[str, Any]]:
        """Keras' summary as rows: network, layer, type, output shape, parameter count."""
        return [
            {
                "network": network.name,
                "layer": layer.name,
                "type": type(layer).__name__,
                "output shape": str((None, *layer.output.shape[1:])),
                "parameters": layer.count_params(),
            }
            for network in self.networks
            for layer in network.layers
        ]

    # ---- saving ---------------------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        return {"run_config": self.run_config.to_dict(), "image_shape": list(self.image_shape)}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Autoencoder:
        return cls(**config)


class LiveSettings:
    """The settings a run may change while it trains (but the learning rate, the optimisers' own), as variables
    the compiled steps read (``aecore.settings.live``). A plain object, not a Keras one: the model's weights and
    checkpoints stay as they were."""

    def __init__(self, config: RunConfig) -> None:
        names = [name for name in LIVE_SETTINGS if name != "learning_rate"]
        self.variables = {
            name: tf.Variable(float(setting_value(config, name)), trainable=False, dtype=tf.float32, name=name)
            for name in names
        }

    def __getitem__(self, name: str) -> tf.Variable:
        return self.variables[name]


def replica_share(loss: tf.Tensor) -> tf.Tensor:
    """This replica's share of the loss: Keras sums gradients across GPUs, so each must be divided."""
    return loss / tf.distribute.get_strategy().num_replicas_in_sync


def descend(optimizer: keras.Optimizer, tape: tf.GradientTape, loss: tf.Tensor, variables: list) -> None:
    """One optimiser step on ``variables`` down the gradient of ``loss`` recorded on ``tape``."""
    optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))


def require_side_divisible(image_shape: tuple[int, ...], factor: int, variant: str) -> None:
    """A convolutional model halves the image's sides at each pooling or stride-2 convolution, so they must be
    divisible by the product of those halvings."""
    height, width = image_shape[:2]
    if height % factor or width % factor:
        raise AecoreError(
            f"The {variant} model shrinks the image's sides {factor} times, so they must be divisible by {factor}; "
            f"this dataset's images are {height}×{width}. Choose another dataset, fewer convolutions, or a dense "
            "variant."
        )
