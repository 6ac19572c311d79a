"""The contractive autoencoder: codes that barely move when the input moves a little (seed paper)."""

from __future__ import annotations

from aecore import losses
from aecore.models.base import Autoencoder
from aecore.tensorflow_runtime import keras, tf


@keras.saving.register_keras_serializable(package="aecore")
class ContractiveAutoencoder(Autoencoder):
    """A sigmoid code layer penalised by λ‖J‖²_F in closed form.

    J is the Jacobian of the code with respect to the code layer's input: the image itself
    when there are no hidden layers (the default, and the textbook case), the last hidden
    layer's output otherwise.
    """

    code_activation = "sigmoid"
    extra_terms = ("contractive",)

    def penalty_terms(self, inputs: tf.Tensor, codes: tf.Tensor, training: bool) -> dict[str, tf.Tensor]:
        kernel = self.encoder.get_layer("code").kernel
        return {"contractive": losses.contractive(codes, kernel, self.run_config.regularisation.lam)}
