"""Run configuration: what to train, on what, and how; validated and JSON round-trippable.

One ``RunConfig`` describes a run completely, so a saved config reproduces the run and
the dashboard, the command line and the job manager all speak the same language.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from aecore.errors import AecoreError

ACTIVATIONS = ("relu", "leaky_relu", "sigmoid", "tanh")
RECONSTRUCTION_LOSSES = ("mse", "bce", "mae", "cb")
#: what a VAE's ELBO is under each reconstruction loss: (the decoder's likelihood, what the number compares with)
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
SPARSITY_PENALTIES = ("kl", "l1")
PRIORS = ("normal", "mixture")
#: bounds that keep one run from taking a shared classroom server's memory
MAX_WIDTH, MAX_LAYERS = 4096, 10


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
                if isinstance(value.get("hidden"), list):
                    value["hidden"] = tuple(value["hidden"])  # JSON has no tuples; validate() checks the widths
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


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise AecoreError(message)


def _choice(value: str, choices: tuple[str, ...], what: str) -> None:
    _require(value in choices, f"Unknown {what} '{value}'; choose one of: {', '.join(choices)}.")


def _whole(value: object, at_least: int, what: str) -> None:
    _require(
        isinstance(value, int) and not isinstance(value, bool) and value >= at_least,
        f"{what} must be a whole number of at least {at_least} (got {value!r}).",
    )


def _number(value: object, what: str) -> None:
    _require(
        isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value),
        f"{what} must be a finite number (got {value!r}).",
    )


def validate(config: RunConfig) -> RunConfig:
    """Fill the variant's defaults, check every setting, and return the complete config.

    Raises ``AecoreError`` naming the setting to change, so callers write
    ``config = validate(config)`` and never see a half-specified run.
    """
    from aecore.variants import VARIANTS, resolve  # the registry imports this module

    _choice(config.model.variant, tuple(VARIANTS), "variant")
    config = resolve(config)
    model, reg, noise, train = config.model, config.regularisation, config.noise, config.training
    _require(isinstance(model.hidden, tuple), f"Hidden layer widths must be a list of numbers (got {model.hidden!r}).")
    for width in model.hidden:
        _whole(width, 1, f"Hidden layer widths {list(model.hidden)}: each")
        _require(width <= MAX_WIDTH, f"Hidden layers can be at most {MAX_WIDTH} wide (got {width}).")
    _require(len(model.hidden) <= MAX_LAYERS, f"At most {MAX_LAYERS} hidden layers (got {len(model.hidden)}).")
    _whole(model.latent_dim, 1, "The code size (latent dim)")
    _require(model.latent_dim <= MAX_WIDTH, f"The code size can be at most {MAX_WIDTH} (got {model.latent_dim}).")
    _whole(train.epochs, 1, "Epochs")
    _whole(train.batch_size, 1, "The batch size")
    _whole(train.seed, 0, "The seed")
    _require(isinstance(train.xla, bool), f"xla must be true or false (got {train.xla!r}).")
    numbers = {
        "Dropout": model.dropout,
        "ρ (target activation)": reg.rho,
        "β": reg.beta,
        "α (weight decay)": reg.alpha,
        "λ": reg.lam,
        "The noise level": noise.level,
        "The learning rate": train.learning_rate,
    }
    for what, value in numbers.items():
        _number(value, what)
    _choice(model.activation, ACTIVATIONS, "activation")
    _choice(model.loss, RECONSTRUCTION_LOSSES, "reconstruction loss")
    _choice(model.reduction, REDUCTIONS, "batch reduction")
    _choice(model.output, OUTPUTS, "output layer")
    _choice(model.init, INITIALISERS, "initialisation")
    _choice(train.optimizer, OPTIMIZERS, "optimizer")
    _require(
        model.output == "sigmoid" or model.loss not in PROBABILITY_LOSSES,
        f"The {PROBABILITY_LOSSES.get(model.loss)} loss ({model.loss}) reads the output as grey-level probabilities, "
        "which a linear output layer does not give: choose the sigmoid output, or the squared or absolute error.",
    )
    _require(0.0 <= model.dropout < 1.0, f"Dropout must lie in [0, 1) (got {model.dropout}).")
    _require(0.0 < reg.rho < 1.0, f"ρ (target activation) must lie strictly between 0 and 1 (got {reg.rho}).")
    for name, value in (("β", reg.beta), ("α (weight decay)", reg.alpha), ("λ", reg.lam)):
        _require(value >= 0.0, f"{name} must be 0 or more (got {value}).")
    _choice(reg.sparsity, SPARSITY_PENALTIES, "sparsity penalty")
    _choice(reg.prior, PRIORS, "prior")
    _choice(noise.kind, NOISE_KINDS, "noise kind")
    _require(noise.level >= 0.0, f"The noise level must be 0 or more (got {noise.level}).")
    if noise.kind != "gaussian":
        _require(
            noise.level <= 1.0,
            f"For {noise.kind} noise the level is a fraction of pixels and must be at most 1 (got {noise.level}).",
        )
    _require(train.learning_rate > 0.0, f"The learning rate must be above 0 (got {train.learning_rate}).")
    _require(
        train.device in ("cpu", "gpu", "all") or re.fullmatch(r"gpu:\d+", train.device) is not None,
        f"Unknown device '{train.device}'; choose cpu, gpu (the first GPU), gpu:N or all.",
    )
    return config


def cautions(config: RunConfig) -> list[str]:
    """Settings of a validated config that are allowed but, measured, keep the model from learning: said before the
    run starts, never refused (seeing a model diverge can be the lesson)."""
    from aecore.variants import VARIANTS  # the registry imports this module

    train = config.training
    untrainable = VARIANTS[config.model.variant].untrainable_with.get(train.optimizer)
    if untrainable:
        return [untrainable]
    notes = []
    if train.optimizer == "sgd":
        # a loss summed over the batch makes every gradient, so SGD's step, batch-size times larger again
        scale = train.batch_size if config.model.reduction == "sum" else 1
        if train.learning_rate * scale > SGD_LARGEST_STEP:
            summed = f" on a loss summed over batches of {train.batch_size}" if scale > 1 else ""
            notes.append(
                f"SGD at learning rate {train.learning_rate:g}{summed} can wreck the model: the losses sum over 784 "
                f"pixels, so its steps are 784 times larger than on a per-pixel mean; above about {SGD_LARGEST_STEP:g} "
                f"the deep model did worse than the mean image. Try {SGD_SUGGESTED_RATE / scale:.2g} (DEC's rate), "
                "or Adam."
            )
    return notes
