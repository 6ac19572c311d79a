"""The seed paper's convolutional denoising autoencoder: 2,561 parameters on 28×28×1."""

from __future__ import annotations

from aecore.models.base import Autoencoder, require_side_divisible
from aecore.tensorflow_runtime import keras


@keras.saving.register_keras_serializable(package="aecore")
class ConvDenoisingAutoencoder(Autoencoder):
    """Conv 16 / pool / Conv 8 / pool / Conv 8 | up / ConvT 8 / up / ConvT 1, exactly as in the seed.

    The code is the (H/4, W/4, 8) feature map, flattened so analysis treats it like any code.
    """

    def build_encoder(self) -> keras.Model:
        require_side_divisible(self.image_shape, 4, "convolutional denoising")
        conv = {"kernel_size": 3, "padding": "same", "activation": "relu"}
        return keras.Sequential(
            [
                keras.Input(self.image_shape),
                keras.layers.Conv2D(16, **conv, kernel_initializer=self.initializer()),
                keras.layers.MaxPooling2D(2),
                keras.layers.Conv2D(8, **conv, kernel_initializer=self.initializer()),
                keras.layers.MaxPooling2D(2),
                keras.layers.Conv2D(8, **conv, kernel_initializer=self.initializer(), name="code"),
                keras.layers.Flatten(),
            ],
            name="encoder",
        )

    def build_decoder(self) -> keras.Model:
        height, width, channels = self.image_shape
        conv = {"kernel_size": 3, "padding": "same"}
        return keras.Sequential(
            [
                keras.Input((height // 4 * width // 4 * 8,)),
                keras.layers.Reshape((height // 4, width // 4, 8)),
                keras.layers.UpSampling2D(2),
                keras.layers.Conv2DTranspose(8, activation="relu", **conv, kernel_initializer=self.initializer()),
                keras.layers.UpSampling2D(2),
                keras.layers.Conv2DTranspose(
                    channels, activation=self.output_activation, **conv, kernel_initializer=self.initializer()
                ),
            ],
            name="decoder",
        )
