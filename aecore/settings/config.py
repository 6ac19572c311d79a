"""Run configuration: what to train, on what, and how; validated and JSON round-trippable.

One ``RunConfig`` describes a run completely, so a saved config reproduces the run and
the dashboard, the command line and the job manager all speak the same language.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from aecore.errors import AecoreError

ACTIVATIONS = ("relu", "leaky_relu", "sigmoid", "tanh")


RECONSTRUCTION_LOSSES = ("mse", "bce", "mae", "cb")


#: what a VAE's ELBO is under each reconstruction loss: (the decoder's likelihood, what the number compares with)
#: the VAE decoders whose likelihood is a density on grey levels, so that an estimate of log p(x) means something
DENSITY_LOSSES = ("cb", "mse", "mae")
#: the most draws of q(z|x) per image the importance-sampled likelihood takes (each is a decoder pass)
MAX_NLL_SAMPLES = 10_000


ELBO_MEANINGS = {
    "bce": (
        "Bernoulli",
        "other Bernoulli-decoder VAEs on the same images only: on grey levels the Bernoulli is not a density, so "
        "this is not a bound on log p(x)",
    ),
    "cb": (
        "continuous Bernoulli",
        "any density model of the same grey-level images: a true lower bound on log p(x)",
    ),
    "mse": (
        "Gaussian, unit variance",
        "other unit-variance Gaussian decoders only: it carries the constant (D/2)·log 2π, about 720 nats for a "
        "784-pixel image",
    ),
    "mae": (
        "Laplace, unit scale",
        "other unit-scale Laplace decoders only: it carries the constant D·log 2, about 543 nats for a 784-pixel image",
    ),
}


#: how a batch's per-image losses are combined: averaged (the default) or summed, as the seed report did
REDUCTIONS = ("mean", "sum")


#: the decoder's last layer: probabilities of grey levels (sigmoid), or any value (linear, squared / absolute error)
OUTPUTS = ("sigmoid", "linear")


#: how the encoder's and decoder's kernels start: Glorot uniform (Keras' default), or uniform in ±1/√fan-in
#: (PyTorch's default for a dense layer, and DEC's VarianceScaling(1/3, fan_in) initialisation)
INITIALISERS = ("glorot_uniform", "fan_in_uniform")


#: Adam, or SGD with momentum 0.9 (as DEC pretrains its autoencoder)
OPTIMIZERS = ("adam", "sgd")


#: DEC's SGD rate of 1 on a per-pixel mean, on aecore's losses summed over the 784 pixels
SGD_SUGGESTED_RATE = 1 / 784


#: the largest SGD step (learning rate, times the batch size if the loss sums over the batch) not cautioned: with
#: the defaults, 3 epochs of mnist-5k, the deep model reached 12.5 dB of test PSNR at 0.0013 and fell to 8.9-9.0 dB
#: at 0.002-0.005, below the 11.9 dB of a model that outputs the mean image
SGD_LARGEST_STEP = 0.0015


#: losses that read the output as probabilities of grey levels, so need the sigmoid output
PROBABILITY_LOSSES = {"bce": "binary cross-entropy", "cb": "continuous Bernoulli"}


NOISE_KINDS = ("gaussian", "salt_pepper", "masking", "block")
#: each noise kind's name wherever a page or the command line names it
NOISE_NAMES = {
    "gaussian": "Gaussian",
    "salt_pepper": "salt and pepper",
    "masking": "masking",
    "block": "block occlusion",
}


SPARSITY_PENALTIES = ("kl", "l1")


PRIORS = ("normal", "mixture")


#: bounds that keep one run from taking a shared classroom server's memory
MAX_WIDTH, MAX_LAYERS = 4096, 10
#: a convolution's feature maps hold batch × height × width × channels numbers, so channels are bounded tighter
MAX_CHANNELS, MAX_CONV_LAYERS = 64, 4


#: how the convolutional model shrinks the image: 2×2 max pooling after a convolution (the seed paper), or
#: convolutions with stride 2 (the TensorFlow tutorial's denoiser)
DOWNSAMPLINGS = ("pool", "stride")


@dataclass(frozen=True)
class ModelConfig:
    """Architecture. A setting left as ``None`` takes the variant's default (see ``resolve``)."""

    variant: str = "undercomplete"
    hidden: tuple[int, ...] | None = None
    latent_dim: int | None = None
    activation: str | None = None
    loss: str | None = None
    dropout: float = 0.0
    batch_norm: bool = False
    #: "sum" multiplies every per-image term by the batch size: the seed report's loss scale, against which
    #: β and α weigh about a batch size less than against the mean
    reduction: str = "mean"
    output: str = "sigmoid"
    init: str = "glorot_uniform"
    #: the convolutional model's filters per encoder convolution (the last is the code's) and how it downsamples
    channels: tuple[int, ...] | None = None
    downsampling: str | None = None


@dataclass(frozen=True)
class RegularisationConfig:
    """Weights of the penalty terms; a variant reads only those its registry entry lists.

    rho: target mean activation of a code unit (sparse, KL form).
    beta: weight of the sparsity KL (sparse) or of the Gaussian KL (VAE, β-VAE).
    alpha: L2 weight decay on every kernel, for every variant.
    lam: weight of the L1 activity penalty (sparse, L1 form) or of the contractive term.
    """

    rho: float | None = None
    beta: float | None = None
    alpha: float = 0.0
    lam: float | None = None
    sparsity: str = "kl"
    prior: str = "normal"


@dataclass(frozen=True)
class NoiseConfig:
    """Corruption applied to the input during training; the target stays clean."""

    kind: str = "gaussian"
    level: float | None = None


@dataclass(frozen=True)
class TrainingConfig:
    """Small batches and a brisk rate by default: on the 3,600 images of mnist-5k, batch 32 at 3e-3
    reconstructs clearly better in 5 epochs than batch 128 at 1e-3 for every variant (measured). The learning
    rate left as ``None`` takes the variant's default (the deep model's codes cluster better at 1e-3)."""

    epochs: int = 5
    batch_size: int = 32
    learning_rate: float | None = None
    optimizer: str = "adam"
    seed: int = 0
    device: str = "cpu"
    #: compile the training step with XLA (None: the variant's default). It fuses the many small ops of a
    #: dense step (1.6–1.8× the throughput of plain ``fit``, benchmarks/engine_variants.py) for about 1 s more
    #: before the first loss point, but halves the speed of the convolutional model on a CPU.
    xla: bool | None = None


@dataclass(frozen=True)
class RunConfig:
    dataset: str = "mnist-5k"
    model: ModelConfig = field(default_factory=ModelConfig)
    regularisation: RegularisationConfig = field(default_factory=RegularisationConfig)
    noise: NoiseConfig = field(default_factory=NoiseConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunConfig:
        """Rebuild from ``to_dict`` output; unknown keys are a user error, not ignored."""
        parts = {
            "model": ModelConfig,
            "regularisation": RegularisationConfig,
            "noise": NoiseConfig,
            "training": TrainingConfig,
        }
        if not isinstance(data, dict):
            raise AecoreError(f"A config must be a JSON object of sections, got {type(data).__name__}.")
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise AecoreError(f"Unknown config section(s) {sorted(unknown)}; expected {sorted(known)}.")
        kwargs: dict[str, Any] = {}
        for name, value in data.items():
            if name in parts:
                if not isinstance(value, dict):
                    raise AecoreError(f"The config's '{name}' section must be an object of settings, got {value!r}.")
                part_fields = {f.name for f in fields(parts[name])}
                bad = set(value) - part_fields
                if bad:
                    raise AecoreError(f"Unknown {name} setting(s) {sorted(bad)}; expected {sorted(part_fields)}.")
                value = dict(value)
                for widths in ("hidden", "channels"):  # JSON has no tuples; validate() checks the widths
                    if isinstance(value.get(widths), list):
                        value[widths] = tuple(value[widths])
                kwargs[name] = parts[name](**value)
            else:
                kwargs[name] = value
        return cls(**kwargs)

    @classmethod
    def from_json(cls, text: str) -> RunConfig:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise AecoreError(f"The config is not valid JSON: {error}.") from error
        return cls.from_dict(data)

    def with_changes(self, **sections: dict[str, Any]) -> RunConfig:
        """A copy with some settings changed, e.g. ``with_changes(noise={"level": 0.2})``."""
        changed = {name: replace(getattr(self, name), **values) for name, values in sections.items()}
        return replace(self, **changed)
