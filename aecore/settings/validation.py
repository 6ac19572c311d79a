"""Validation of a run configuration: fill the variant's defaults, check every setting, name what to change.

Apart from ``config`` because it needs the variant registry, which is built on the config's types.
"""

from __future__ import annotations

import math
import re

from aecore.errors import AecoreError
from aecore.settings.config import (
    ACTIVATIONS,
    DENSITY_LOSSES,
    DOWNSAMPLINGS,
    INITIALISERS,
    MAX_CHANNELS,
    MAX_CONV_LAYERS,
    MAX_LAYERS,
    MAX_NLL_SAMPLES,
    MAX_WIDTH,
    NOISE_KINDS,
    OPTIMIZERS,
    OUTPUTS,
    PRIORS,
    PROBABILITY_LOSSES,
    RECONSTRUCTION_LOSSES,
    REDUCTIONS,
    SGD_LARGEST_STEP,
    SGD_SUGGESTED_RATE,
    SPARSITY_PENALTIES,
    RunConfig,
)
from aecore.settings.parameters import PARAMETERS
from aecore.settings.variants import VARIANTS, resolve

#: the most epochs a run may have: the command line's and an imported archive's limit (the page offers fewer)
MAX_EPOCHS = int(PARAMETERS["epochs"].cli_range[1])
MAX_BATCH_SIZE = int(PARAMETERS["batch_size"].maximum)
MAX_SEED = int(PARAMETERS["seed"].maximum)


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
    _choice(config.model.variant, tuple(VARIANTS), "variant")
    config = resolve(config)
    model, reg, noise, train = config.model, config.regularisation, config.noise, config.training
    _require(isinstance(model.hidden, tuple), f"Hidden layer widths must be a list of numbers (got {model.hidden!r}).")
    _require(len(model.hidden) <= MAX_LAYERS, f"At most {MAX_LAYERS} hidden layers (got {len(model.hidden)}).")
    for layer, width in enumerate(model.hidden, start=1):  # after the count: each message names one width
        _whole(width, 1, f"Hidden layer {layer}'s width")
        _require(width <= MAX_WIDTH, f"Hidden layers can be at most {MAX_WIDTH} wide (got {width}).")
    if model.channels is not None:  # set for the convolutional model only
        _require(
            isinstance(model.channels, tuple) and 1 <= len(model.channels) <= MAX_CONV_LAYERS,
            f"Give 1 to {MAX_CONV_LAYERS} convolutions' channels, like 16, 8, 8 (got {model.channels!r}).",
        )
        for layer, width in enumerate(model.channels, start=1):
            _whole(width, 1, f"Convolution {layer}'s channels")
            _require(width <= MAX_CHANNELS, f"A convolution can have at most {MAX_CHANNELS} channels (got {width}).")
    if model.downsampling is not None:
        _choice(model.downsampling, DOWNSAMPLINGS, "downsampling")
    _whole(model.latent_dim, 1, "The code size (latent dim)")
    _require(model.latent_dim <= MAX_WIDTH, f"The code size can be at most {MAX_WIDTH} (got {model.latent_dim}).")
    _whole(train.epochs, 1, "Epochs")
    _require(train.epochs <= MAX_EPOCHS, f"At most {MAX_EPOCHS:,} epochs (got {train.epochs:,}).")
    _whole(train.batch_size, 1, "The batch size")
    _require(
        train.batch_size <= MAX_BATCH_SIZE,
        f"The batch size can be at most {MAX_BATCH_SIZE:,} (got {train.batch_size:,}).",
    )
    _whole(train.seed, 0, "The seed")
    _require(train.seed <= MAX_SEED, f"The seed can be at most {MAX_SEED:,} (got {train.seed:,}).")
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


def check_nll_request(config: RunConfig, samples: int) -> None:
    """Refuse what has no log-likelihood to estimate, before anything trains or loads."""
    if config.model.variant != "vae":
        raise AecoreError("The log-likelihood (--nll) is the VAE's: other autoencoders define no p(x).")
    if config.model.loss not in DENSITY_LOSSES:
        raise AecoreError(
            f"The {config.model.loss} decoder is not a density on grey-level images, so it has no log-likelihood to "
            "estimate: train the VAE with the continuous Bernoulli (cb), squared error (Gaussian) or absolute error "
            "(Laplace)."
        )
    if not 1 <= samples <= MAX_NLL_SAMPLES:
        raise AecoreError(
            f"The number of samples must be 1 to {MAX_NLL_SAMPLES:,} (got {samples}); 100 to 1,000 is usual."
        )
