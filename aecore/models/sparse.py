"""The sparse autoencoder: few code units active at once (seed paper, seed report §3.3)."""

from __future__ import annotations

from aecore import losses
from aecore.models.base import Autoencoder
from aecore.tensorflow_runtime import keras, tf


@keras.saving.register_keras_serializable(package="aecore")
class SparseAutoencoder(Autoencoder):
    """A sigmoid code penalised by β Σ_j KL(ρ‖ρ̂_j) or, with ``sparsity='l1'``, by λ Σ|h|."""

    code_activation = "sigmoid"

    @property
    def extra_terms(self) -> tuple[str, ...]:
        return ("sparsity_kl",) if self.run_config.regularisation.sparsity == "kl" else ("l1",)

    def penalty_terms(self, inputs: tf.Tensor, codes: tf.Tensor, training: bool) -> dict[str, tf.Tensor]:
        reg = self.run_config.regularisation
        if reg.sparsity == "kl":
            return {"sparsity_kl": losses.sparsity_kl(codes, reg.rho, reg.beta)}
        return {"l1": losses.l1_activity(codes, reg.lam)}
