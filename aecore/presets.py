"""One-click configurations that reproduce the seed documents' models."""

from __future__ import annotations

from dataclasses import dataclass

from aecore.config import ModelConfig, NoiseConfig, RegularisationConfig, RunConfig, TrainingConfig


@dataclass(frozen=True)
class Preset:
    name: str
    source: str
    config: RunConfig


PRESETS: dict[str, Preset] = {
    preset.name: preset
    for preset in (
        Preset(
            "Convolutional denoising, noise factor 0.2",
            "the seed paper: the 2,561-parameter model on Gaussian noise",
            RunConfig(
                model=ModelConfig(variant="conv_denoising", loss="bce"),
                noise=NoiseConfig(kind="gaussian", level=0.2),
                training=TrainingConfig(epochs=10),
            ),
        ),
        Preset(
            "Deep 400-200-100-20-10",
            "the seed report: stacked dense layers with leaky ReLU and a 10-D code",
            RunConfig(
                model=ModelConfig(variant="deep", hidden=(400, 200, 100, 20), latent_dim=10, activation="leaky_relu"),
                training=TrainingConfig(epochs=10),
            ),
        ),
        Preset(
            "Sparse ρ = 0.2, β = 2, α = 0.3",
            "the seed report's best ρ, β and α; with α·Σ‖W‖² exactly as written, α = 0.3 shrinks every weight "
            "hard and the reconstructions blur toward the average digit: compare with α = 0",
            RunConfig(
                model=ModelConfig(variant="sparse"),
                regularisation=RegularisationConfig(rho=0.2, beta=2.0, alpha=0.3, sparsity="kl"),
                training=TrainingConfig(epochs=10),
            ),
        ),
        Preset(
            "VAE 400-100-2",
            "the seed report: a 2-D Gaussian code and its manifold grid",
            RunConfig(
                model=ModelConfig(variant="vae", hidden=(400, 100), latent_dim=2, loss="bce"),
                regularisation=RegularisationConfig(beta=1.0),
                training=TrainingConfig(epochs=10),
            ),
        ),
        Preset(
            "AAE with a 2-D code",
            "the seed report: adversarial training of the code toward N(0, I)",
            RunConfig(
                model=ModelConfig(variant="aae", hidden=(400, 100), latent_dim=2, loss="bce"),
                regularisation=RegularisationConfig(prior="normal"),
                training=TrainingConfig(epochs=10),
            ),
        ),
        Preset(
            "Dense 128-64-32 with MAE on Fashion-MNIST",
            "the seed assignment: a dense autoencoder with mean absolute error",
            RunConfig(
                dataset="fashion-mnist",
                model=ModelConfig(variant="undercomplete", hidden=(128, 64), latent_dim=32, loss="mae"),
                training=TrainingConfig(epochs=10, batch_size=256),
            ),
        ),
    )
}
