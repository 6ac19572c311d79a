"""The variant registry: one entry per autoencoder, the single place the UI and CLI read from.

Adding a variant means adding its module under ``aecore/models`` and one ``Variant`` entry
here; the dashboard builds its controls from ``Variant.hyperparameters`` (settings described in
``aecore.settings.parameters``) and shows ``formula``. This module imports no TensorFlow, so pages can list
variants instantly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from aecore.settings.config import RunConfig
from aecore.settings.parameters import PARAMETERS, Parameter

#: what every variant gets unless its entry or the user says otherwise
COMMON_DEFAULTS: dict[str, dict[str, Any]] = {
    "model": {"hidden": (128, 64), "latent_dim": 32, "activation": "relu", "loss": "mse"},
    "regularisation": {"rho": 0.05, "beta": 1.0, "lam": 0.1},
    "noise": {"level": 0.0},
    "training": {"xla": True, "learning_rate": 3e-3},
}

#: settings every variant uses, so no entry lists them
COMMON_HYPERPARAMETERS = (
    "output",
    "init",
    "alpha",
    "reduction",
    "noise_kind",
    "noise_level",
    "epochs",
    "batch_size",
    "learning_rate",
    "optimizer",
    "seed",
    "xla",
)


@dataclass(frozen=True)
class Variant:
    name: str
    title: str
    #: "module:Class" under aecore.models, imported only when a model is built (pages open without TensorFlow)
    model_class: str
    description: str
    hyperparameters: tuple[str, ...]
    seed: str
    formula: str
    explanation: str
    #: "linear", "sigmoid" (ρ̂ and the KL plot make sense), "gaussian" (VAE) or "feature_map" (conv)
    code_kind: str
    defaults: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: (label, help) of settings that mean something else in this variant: β is the VAE's KL weight
    labels: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: optimizer -> why, measured, it does not train this variant (said before a run, never refused)
    untrainable_with: dict[str, str] = field(default_factory=dict)
    #: setting -> (another setting, the value it needs) for a setting that only means something with that choice:
    #: the Train page hides it otherwise (the sparse model's λ weighs the L1 penalty, its ρ and β the KL one)
    applies_when: dict[str, tuple[str, str]] = field(default_factory=dict)

    def applies(self, name: str, settings: Mapping[str, Any]) -> bool:
        """Whether the setting ``name`` acts on a run with these settings (named as in the registry)."""
        condition = self.applies_when.get(name)
        return condition is None or settings.get(condition[0]) == condition[1]

    @property
    def settings(self) -> tuple[str, ...]:
        """Every setting this variant shows, in registry order: its own hyperparameters, then the common ones."""
        return self.hyperparameters + COMMON_HYPERPARAMETERS

    def parameter(self, name: str) -> Parameter:
        """How ``name`` is edited in this variant: the common entry, with this variant's label and help."""
        if name not in self.labels:
            return PARAMETERS[name]
        label, help_text = self.labels[name]
        return replace(PARAMETERS[name], label=label, help=help_text)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "hyperparameters": list(self.settings),
            "seed": self.seed,
        }


#: what it takes for the sparse variant's units to become selective within its default epochs (measured; the
#: Sparsity page says it too)
SPARSITY_RECIPE = (
    "It takes β = 8 against the per-image loss and a learning rate of 0.01: with β = 2 at 0.003 the units stayed "
    "well above a small ρ and never switched fully on or off within a short run."
)

_ARCHITECTURE = ("hidden", "latent_dim", "activation", "loss", "dropout", "batch_norm")
_WEIGHT_DECAY = r" + \alpha \sum_l \lVert W_l \rVert^2"

VARIANTS: dict[str, Variant] = {
    variant.name: variant
    for variant in (
        Variant(
            name="undercomplete",
            title="Undercomplete",
            model_class="base:Autoencoder",
            description="Dense encoder and decoder around a narrow code: the bottleneck forces a compression.",
            hyperparameters=_ARCHITECTURE,
            seed="all seeds (002 §3.1, 003, 004)",
            formula=r"\mathcal{L} = \ell\big(x, g(f(\tilde x))\big)" + _WEIGHT_DECAY,
            explanation=(
                "The encoder f squeezes the image into a code smaller than the image and the decoder g rebuilds it. "
                "Because the code is narrow, the network must keep only what matters most to rebuild the input."
            ),
            code_kind="linear",
        ),
        Variant(
            name="deep",
            title="Deep",
            model_class="base:Autoencoder",
            description="The seed report's stacked dense autoencoder 400-200-100-20-10 with leaky ReLU.",
            hyperparameters=_ARCHITECTURE,
            seed="002 §3.2",
            formula=r"\mathcal{L} = \ell\big(x, g_1 \circ \dots \circ g_L (f_L \circ \dots \circ f_1(\tilde x))\big)"
            + _WEIGHT_DECAY,
            explanation=(
                "Stacking layers lets each one build on the features of the one before. "
                "Moving one of the 10 code values at a time (a traversal) shows what each has learned."
            ),
            code_kind="linear",
            # 1e-3, not 3e-3: k-means on its codes (Fashion-MNIST, 784-500-500-2000-10) scored a higher NMI at
            # every checkpoint from epoch 10 on, over three seeds and both activations (benchmarks/quality.py)
            defaults={
                "model": {"hidden": (400, 200, 100, 20), "latent_dim": 10, "activation": "leaky_relu"},
                "training": {"learning_rate": 1e-3},
            },
        ),
        Variant(
            name="conv_denoising",
            title="Convolutional denoising",
            model_class="conv:ConvDenoisingAutoencoder",
            description="The seed paper's 2,561-parameter convolutional model trained on noisy input, clean target; "
            "its channels and downsampling can be changed (the TensorFlow tutorial's denoiser is a preset).",
            hyperparameters=("channels", "downsampling", "loss"),
            seed="000/001 (the seed paper)",
            formula=r"\mathcal{L} = \ell\big(x, g(f(x + \sigma\,\epsilon))\big),\ \epsilon \sim \mathcal{N}(0, I)"
            + _WEIGHT_DECAY,
            explanation=(
                "The input is corrupted with noise but the target is the clean image, so the model must learn "
                "what digits look like to remove the noise. Convolutions share their small filters across the image."
            ),
            code_kind="feature_map",
            defaults={
                "model": {"loss": "bce", "channels": (16, 8, 8), "downsampling": "pool"},
                "noise": {"level": 0.2},
                "training": {"xla": False},
            },
            untrainable_with={
                # measured: 9.8-10.4 dB of test PSNR, under the mean image's 11.9 dB (docs/guide.md, Conventions)
                "sgd": "SGD did not train this model at any rate tried (0.0005 to 0.2, up to 20 epochs): it stayed "
                "below the mean image. Use Adam."
            },
        ),
        Variant(
            name="sparse",
            title="Sparse",
            model_class="sparse:SparseAutoencoder",
            description="A sigmoid code with a sparsity penalty: β·Σ KL(ρ‖ρ̂_j), or λ·Σ|h| with the L1 choice.",
            hyperparameters=("hidden", "latent_dim", "activation", "loss", "sparsity", "rho", "beta", "lam"),
            seed="000 §A, 002 §3.3",
            formula=r"\begin{aligned} \mathcal{L} &= \ell(x, \hat x) "
            r"+ \beta \sum_j \Big[\rho \log\frac{\rho}{\hat\rho_j} + (1-\rho) \log\frac{1-\rho}{1-\hat\rho_j}\Big] "
            r"\\ &\quad" + _WEIGHT_DECAY + r" \end{aligned}",
            explanation=(
                "ρ̂_j is how active code unit j is on average over a batch; the KL term is zero only when it equals "
                "the target ρ. A small ρ lets only a few units fire for any one image, so each learns a distinct part. "
                + SPARSITY_RECIPE
            ),
            code_kind="sigmoid",
            applies_when={"rho": ("sparsity", "kl"), "beta": ("sparsity", "kl"), "lam": ("sparsity", "l1")},
            # measured on mnist-5k, 5 epochs, seeds 0-3 (tests/unit/test_sparsity.py trains it): at ρ = 0.05 the
            # mean ρ̂ is 0.069-0.071, 58-62 of 64 units lie within ±0.05 of ρ, 3.5-3.7 % of the units are on
            # (h > 0.5) per image and the test PSNR is 4.1 dB above the mean image's; β = 2 at 0.003 left ρ̂ at 0.14
            defaults={
                "model": {"hidden": (), "latent_dim": 64},
                "regularisation": {"rho": 0.2, "beta": 8.0},
                "training": {"learning_rate": 0.01},
            },
        ),
        Variant(
            name="contractive",
            title="Contractive",
            model_class="contractive:ContractiveAutoencoder",
            description="A sigmoid code penalised by λ‖J‖²_F, the squared Jacobian of the code w.r.t. the image.",
            hyperparameters=("hidden", "latent_dim", "activation", "loss", "lam"),
            seed="000 §C",
            formula=r"\begin{aligned} \mathcal{L} &= \ell(x, \hat x) + \lambda \Big\lVert \frac{\partial h}{\partial x}"
            r" \Big\rVert_F^2" + _WEIGHT_DECAY + r" \\ \Big\lVert \frac{\partial h}{\partial x} \Big\rVert_F^2"
            r" &= \sum_j \big(h_j (1-h_j)\big)^2 \sum_i W_{ij}^2 \ \text{(no hidden layers)} \end{aligned}",
            explanation=(
                "The penalty is large when a small change of the input moves the code a lot, so the code learns to "
                "ignore directions the data never varies in. J is the Jacobian of the code with respect to the "
                "input image, through the whole encoder: the closed form above when the code layer reads the image "
                "directly, the exact product of every layer's Jacobian when there are hidden layers."
            ),
            code_kind="sigmoid",
            # 0.01, not the common 3e-3: a sigmoid code with its Jacobian penalty stayed near the mean image for the
            # first epochs (12.4 dB after 3 epochs on mnist-5k against the mean image's 11.9); at 0.01, 13.9 dB
            defaults={"model": {"hidden": (), "latent_dim": 64}, "training": {"learning_rate": 0.01}},
            labels={
                "lam": (
                    "λ (contractive weight)",
                    "Weight of the contractive penalty λ‖∂h/∂x‖²_F: the Jacobian of the code with respect to the "
                    "input image, through every encoder layer.",
                )
            },
        ),
        Variant(
            name="vae",
            title="Variational (β-VAE)",
            model_class="vae:VariationalAutoencoder",
            description="A Gaussian code sampled by reparameterisation; loss = −log p(x|z) + β·KL(q(z|x)‖N(0,I)).",
            hyperparameters=("hidden", "latent_dim", "activation", "loss", "dropout", "batch_norm", "beta"),
            seed="002 §4, 003, 004",
            formula=r"\begin{aligned} \mathcal{L} &= -\mathbb{E}_{q(z|x)}[\log p(x|z)] \\ "
            r"&\quad + \beta \sum_k \tfrac12\big(\mu_k^2 + \sigma_k^2 - \log\sigma_k^2 - 1\big)"
            + _WEIGHT_DECAY
            + r" \end{aligned}",
            explanation=(
                "The encoder outputs a mean and a variance for every code dimension and the decoder sees a sample, "
                "z = μ + σε. The KL term pulls every q(z|x) toward N(0, I), so any point of the code space decodes "
                "to a plausible image; β = 1 is the plain VAE, larger β trades detail for a tidier code."
            ),
            code_kind="gaussian",
            defaults={"model": {"hidden": (400, 100), "latent_dim": 2, "loss": "bce"}},
            labels={
                "beta": (
                    "β (KL weight)",
                    "Weight of KL(q(z|x) ‖ N(0, I)) in the loss: 1 is the plain VAE, larger values give a tidier "
                    "code and blurrier reconstructions.",
                )
            },
        ),
        Variant(
            name="aae",
            title="Adversarial (AAE)",
            model_class="aae:AdversarialAutoencoder",
            description="A discriminator on the code pushes q(z) toward a prior p(z): normal or a 2-D mixture.",
            hyperparameters=("hidden", "latent_dim", "activation", "loss", "prior"),
            seed="002 §6",
            formula=r"\begin{aligned} &\min_{f,g}\ \ell(x, g(f(x)))" + _WEIGHT_DECAY + r" \\ "
            r"&\max_D\ \mathbb{E}_{z\sim p(z)}[\log D(z)] + \mathbb{E}_{x}[\log(1 - D(f(x)))] \\ "
            r"&\min_f\ -\mathbb{E}_{x}[\log D(f(x))]"
            r"\end{aligned}",
            explanation=(
                "Each batch has three phases: the autoencoder learns to reconstruct, the discriminator learns to tell "
                "codes from prior samples, then the encoder learns to fool it by minimising −log D(f(x)), the "
                "non-saturating form of log(1 − D(f(x))) that still gives gradients while D wins easily. The codes "
                "come to fill the prior's shape. α decays the encoder's and decoder's weight matrices only; the "
                "discriminator is not decayed."
            ),
            code_kind="linear",
            # the common 3e-3 for the autoencoder; its adversary steps at a third of it
            # (aecore/models/aae.py, ADVERSARIAL_RATE_SCALE), so a short run visibly learns
            defaults={"model": {"hidden": (400, 100), "latent_dim": 2, "loss": "bce"}},
        ),
    )
}


def resolve(config: RunConfig) -> RunConfig:
    """Replace every setting left as ``None`` by the variant's default, else the common one."""
    variant = VARIANTS[config.model.variant]
    changes: dict[str, dict[str, Any]] = {}
    for section, common in COMMON_DEFAULTS.items():
        defaults = {**common, **variant.defaults.get(section, {})}
        current = getattr(config, section)
        missing = {name: value for name, value in defaults.items() if getattr(current, name) is None}
        if missing:
            changes[section] = missing
    return config.with_changes(**changes) if changes else config


def changed_settings(before: RunConfig, after: RunConfig) -> list[str]:
    """The settings ``after`` sets otherwise than ``before`` (each config's defaults filled in first): "variant",
    "dataset", then registry names in registry order, only those the later variant shows. What the Train page
    names when the controls no longer match a preset or the running run."""
    before, after = resolve(before), resolve(after)
    changed = [name for name in ("variant", "dataset") if _top_level(before, name) != _top_level(after, name)]
    for name in VARIANTS[after.model.variant].settings:
        parameter = PARAMETERS[name]
        if getattr(getattr(before, parameter.section), parameter.field) != getattr(
            getattr(after, parameter.section), parameter.field
        ):
            changed.append(name)
    return changed


def _top_level(config: RunConfig, name: str) -> str:
    return config.model.variant if name == "variant" else config.dataset
