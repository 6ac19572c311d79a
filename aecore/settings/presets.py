"""One-click configurations that reproduce the seed documents' models, each with what it should show.

Every preset is a model that visibly learns in its default epochs (a test trains each and compares it with the
mean image); ``source`` names the figure or table it reproduces and ``expect`` what a person should see.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aecore.errors import AecoreError
from aecore.settings.config import ModelConfig, NoiseConfig, RegularisationConfig, RunConfig, TrainingConfig


@dataclass(frozen=True)
class Preset:
    id: str
    title: str
    source: str
    expect: str
    config: RunConfig

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "source": self.source,
            "expect": self.expect,
            "config": self.config.to_dict(),
        }


PRESETS: dict[str, Preset] = {
    preset.id: preset
    for preset in (
        Preset(
            "seed-conv-denoising",
            "Convolutional denoising, noise factor 0.2",
            "the seed paper's Figure (10): its 2,561-parameter convolutional model on Gaussian noise of factor 0.2",
            "rows of noisy digits and, under them, clean reconstructions: the test PSNR well above the noisy input's",
            RunConfig(
                model=ModelConfig(variant="conv_denoising", loss="bce"),
                noise=NoiseConfig(kind="gaussian", level=0.2),
                training=TrainingConfig(epochs=10),
            ),
        ),
        Preset(
            "tf-tutorial-denoiser",
            "The TensorFlow tutorial's convolutional denoiser",
            'the TensorFlow tutorial "Intro to Autoencoders": its denoiser (Conv 16 and 8 with stride 2, ConvT 8 and '
            "16, Conv 1; 3,217 parameters) on Fashion-MNIST with Gaussian noise of factor 0.2, val MSE 0.0072 after 5 "
            "epochs",
            "clothes cleaned of their noise, a test MSE per pixel at or under the tutorial's 0.0072: beside the seed "
            "paper's 2,561-parameter model on the same budget, the gap is its architecture's",
            RunConfig(
                dataset="fashion-mnist",
                model=ModelConfig(variant="conv_denoising", channels=(16, 8), downsampling="stride", loss="mse"),
                noise=NoiseConfig(kind="gaussian", level=0.2),
                training=TrainingConfig(epochs=5, batch_size=32, learning_rate=1e-3),
            ),
        ),
        Preset(
            "seed-deep",
            "Deep 400-200-100-20-10",
            "the seed report's §3.2 and Figs. 5-6: stacked dense layers with leaky ReLU and a 10-D code",
            "sharp reconstructions, and a traversal in which moving one of the 10 code values changes one style "
            "of the digit (slant, width, stroke)",
            RunConfig(
                model=ModelConfig(variant="deep", hidden=(400, 200, 100, 20), latent_dim=10, activation="leaky_relu"),
                training=TrainingConfig(epochs=10),
            ),
        ),
        Preset(
            "seed-sparse",
            "Sparse ρ = 0.2, β = 2, α = 0.3 (summed loss)",
            "the seed report's §3.3-3.4 and Figs. 9 and 11-13: one sigmoid layer of 64 units with its best ρ, β and "
            "α, the loss summed over a batch of 32 as the report's (about 3,000 per batch, as in its tables)",
            "recognisable reconstructions and units whose mean activations ρ̂ⱼ spread out in the KL plot (the "
            "dead model had every one at exactly ρ). Beside a summed reconstruction of about 3,700 per batch, β·KL is "
            "small, so the units settle between ρ and ½: the reason the report's losses hardly change with ρ "
            "(Fig. 11). With the mean reduction the same α and β weigh 32 times more and the model outputs only the "
            "average digit; with the mean reduction and α = 0 the units move toward ρ (about 0.3 after 10 epochs)",
            # every setting it depends on is pinned (the learning rate, the initialisation, the batch size), so a
            # later change of the sparse variant's defaults does not move the seed's model
            RunConfig(
                model=ModelConfig(
                    variant="sparse", hidden=(), latent_dim=64, loss="bce", reduction="sum", init="glorot_uniform"
                ),
                regularisation=RegularisationConfig(rho=0.2, beta=2.0, alpha=0.3, sparsity="kl"),
                training=TrainingConfig(epochs=10, batch_size=32, learning_rate=3e-3),
            ),
        ),
        Preset(
            "sparse-code",
            "Sparse code, ρ = 0.05",
            "the textbook sparse autoencoder (Ng's lecture notes; the seed paper's §A): 64 sigmoid units asked to be "
            "on for 5 % of the images, β = 8, learning rate 0.01",
            "units that are each on for a few images and off for the rest: on the Sparsity page the mean ρ̂ sits at "
            "about 0.07, nearly every unit within ±0.05 of ρ, about 2 of the 64 units on (h > 0.5) for an image, and "
            "the first-layer weights as strokes",
            RunConfig(
                model=ModelConfig(variant="sparse", hidden=(), latent_dim=64, loss="mse", init="glorot_uniform"),
                regularisation=RegularisationConfig(rho=0.05, beta=8.0, sparsity="kl"),
                training=TrainingConfig(epochs=5, batch_size=32, learning_rate=0.01),
            ),
        ),
        Preset(
            "seed-vae-2d",
            "VAE 400-100-2",
            "the seed report's §4 and Fig. 16: a 2-D Gaussian code and the manifold of digits it decodes to",
            "a manifold grid in which the digits turn smoothly into one another, and a 2-D code scatter whose "
            "classes form regions around the origin",
            RunConfig(
                model=ModelConfig(variant="vae", hidden=(400, 100), latent_dim=2, loss="bce"),
                regularisation=RegularisationConfig(beta=1.0),
                training=TrainingConfig(epochs=20),
            ),
        ),
        Preset(
            "seed-aae",
            "AAE with an 8-D code",
            "the seed report's §6 and Figs. 25-26: adversarial training of the code toward N(0, I)",
            "reconstructions that sharpen epoch by epoch (Fig. 26), a code scatter (its first two principal "
            "components) filling a round N(0, I) cloud with the classes as regions of it (Fig. 25), and the "
            "generator and discriminator losses settling near ln 2 and 2 ln 2. Fig. 25 draws a 2-D code: set the "
            "code size to 2 to see it unprojected; reconstructions then blur to about 13.5 dB, only 1.6 dB above the "
            "average image, as a 2-D code held to N(0, I) keeps little of a digit",
            RunConfig(
                model=ModelConfig(variant="aae", hidden=(400, 100), latent_dim=8, loss="bce"),
                regularisation=RegularisationConfig(prior="normal"),
                training=TrainingConfig(epochs=10),
            ),
        ),
        Preset(
            "seed-fashion-dense",
            "Dense 128-64-32 with MAE on Fashion-MNIST",
            "the seed assignment: a dense 784-128-64-32 autoencoder with ReLU and mean absolute error on Fashion-MNIST",
            "clothes reconstructed with their shape and most of their shading after one epoch already",
            RunConfig(
                dataset="fashion-mnist",
                model=ModelConfig(variant="undercomplete", hidden=(128, 64), latent_dim=32, loss="mae"),
                training=TrainingConfig(epochs=10, batch_size=256),
            ),
        ),
    )
}


def preset(preset_id: str) -> Preset:
    """The preset with this id, or a message listing the ids there are."""
    if preset_id not in PRESETS:
        raise AecoreError(f"Unknown preset '{preset_id}'; choose one of: {', '.join(PRESETS)}.")
    return PRESETS[preset_id]
