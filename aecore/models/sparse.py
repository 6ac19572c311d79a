"""The sparse autoencoder: few code units active at once (seed paper, seed report §3.3)."""

from __future__ import annotations

from aecore.models import losses
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
        live = self.live
        if self.run_config.regularisation.sparsity == "kl":
            return {"sparsity_kl": losses.sparsity_kl(codes, live["rho"], live["beta"])}
        return {"l1": self.batch_reduced(losses.l1_activity(codes, live["lam"]))}

    def population_terms(self, codes: tf.Tensor) -> dict[str, tf.Tensor]:
        """ρ̂_j over the whole validation set: KL is convex, so a batch mean's KL grows as batches shrink (about
        0.5 at batch 32 against 0.03 at batch 512 for units whose population mean is exactly ρ); the
        validation value must not depend on the batch size it happens to be computed with."""
        if self.run_config.regularisation.sparsity != "kl":
            return {}
        return {"sparsity_kl": losses.sparsity_kl(codes, self.live["rho"], self.live["beta"])}
