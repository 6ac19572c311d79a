"""The convolutional denoising autoencoder: the seed paper's 2,561-parameter model by default, the TensorFlow
tutorial's 3,217-parameter denoiser with stride 2, or any channels in between."""

from __future__ import annotations

from aecore.models.base import Autoencoder, require_side_divisible
from aecore.settings.variants import resolve
from aecore.tensorflow_runtime import keras


def downsampling_factor(channels: tuple[int, ...], downsampling: str) -> int:
    """How many times smaller each side of the code's feature maps is than the image's: one halving per pooling
    (after every convolution but the last) or per stride-2 convolution (every one)."""
    return 2 ** (len(channels) - 1 if downsampling == "pool" else len(channels))


@keras.saving.register_keras_serializable(package="aecore")
class ConvDenoisingAutoencoder(Autoencoder):
    """Encoder: 3×3 convolutions with the run's channels, each but the last followed by 2×2 max pooling (``pool``:
    with 16, 8, 8 the seed's Conv 16 / pool / Conv 8 / pool / Conv 8), or each with stride 2 (``stride``: with
    16, 8 the tutorial's). Decoder: the mirror, upsampling then a transposed convolution per pooling, the last one
    to the image (``pool``: up / ConvT 8 / up / ConvT 1), or transposed convolutions of stride 2 and a last 3×3
    convolution to the image (``stride``: ConvT 8 / ConvT 16 / Conv 1).

    The code is the last convolution's feature maps, flattened so analysis treats it like any code.
    """

    def _architecture(self) -> tuple[tuple[int, ...], str, int]:
        model = resolve(self.run_config).model  # a run stored before channels were a setting has the seed's
        factor = downsampling_factor(model.channels, model.downsampling)
        return model.channels, model.downsampling, factor

    def build_encoder(self) -> keras.Model:
        channels, downsampling, factor = self._architecture()
        require_side_divisible(self.image_shape, factor, "convolutional denoising")
        conv = {"kernel_size": 3, "padding": "same", "activation": "relu"}
        layers: list[keras.Layer] = [keras.Input(self.image_shape)]
        for index, width in enumerate(channels):
            last = index == len(channels) - 1
            strides = 2 if downsampling == "stride" else 1
            named = {"name": "code"} if last else {}
            layers.append(
                keras.layers.Conv2D(width, strides=strides, kernel_initializer=self.initializer(), **conv, **named)
            )
            if downsampling == "pool" and not last:
                layers.append(keras.layers.MaxPooling2D(2))
        layers.append(keras.layers.Flatten())
        return keras.Sequential(layers, name="encoder")

    def build_decoder(self) -> keras.Model:
        channels, downsampling, factor = self._architecture()
        height, width, image_channels = self.image_shape
        code_shape = (height // factor, width // factor, channels[-1])
        layers: list[keras.Layer] = [
            keras.Input((code_shape[0] * code_shape[1] * code_shape[2],)),
            keras.layers.Reshape(code_shape),
        ]
        if downsampling == "stride":
            layers += [self._transposed(filters, "relu", strides=2) for filters in reversed(channels)]
            layers.append(
                keras.layers.Conv2D(
                    image_channels,
                    3,
                    padding="same",
                    activation=self.output_activation,
                    kernel_initializer=self.initializer(),
                )
            )
            return keras.Sequential(layers, name="decoder")
        # pool: one upsampling per pooling, each followed by a transposed convolution with the channels of the
        # convolution before that pooling, except the outermost, which gives the image
        widths = [*reversed(channels[1:-1]), image_channels]
        for index, filters in enumerate(widths):
            if len(channels) > 1:
                layers.append(keras.layers.UpSampling2D(2))
            last = index == len(widths) - 1
            layers.append(self._transposed(filters, self.output_activation if last else "relu"))
        return keras.Sequential(layers, name="decoder")

    def _transposed(self, filters: int, activation: str | None, strides: int = 1) -> keras.Layer:
        return keras.layers.Conv2DTranspose(
            filters, 3, strides=strides, padding="same", activation=activation, kernel_initializer=self.initializer()
        )
