"""The contractive autoencoder: codes that barely move when the input moves a little (seed paper)."""

from __future__ import annotations

from typing import Any

from aecore.errors import AecoreError
from aecore.models import losses
from aecore.models.base import Autoencoder
from aecore.tensorflow_runtime import keras, tf


@keras.saving.register_keras_serializable(package="aecore")
class ContractiveAutoencoder(Autoencoder):
    """A sigmoid code penalised by λ‖∂h/∂x‖²_F, the Jacobian of the code with respect to the input image.

    With no hidden layers (the default, the textbook case) the penalty is the closed form; with hidden layers
    it is the exact chained Jacobian through every encoder layer (see ``losses.contractive``).
    """

    code_activation = "sigmoid"
    extra_terms = ("contractive",)

    def __init__(self, run_config: Any, image_shape: tuple[int, ...], **kwargs: Any) -> None:
        super().__init__(run_config, image_shape, **kwargs)
        model = self.run_config.model
        if model.dropout > 0 or model.batch_norm:
            raise AecoreError(
                "The contractive penalty is the Jacobian of a chain of dense layers: set dropout to 0 and "
                "turn batch normalisation off for the contractive variant."
            )

    @property
    def dense_layers(self) -> list[losses.DenseLayer]:
        """The encoder's dense layers, image side first, as the penalty reads them."""
        return [
            (layer.kernel, layer.bias, layer.activation)
            for layer in self.encoder.layers
            if isinstance(layer, keras.layers.Dense)
        ]

    def penalty_terms(self, inputs: tf.Tensor, codes: tf.Tensor, training: bool) -> dict[str, tf.Tensor]:
        return {"contractive": self.batch_reduced(losses.contractive(inputs, self.dense_layers, self.live["lam"]))}
