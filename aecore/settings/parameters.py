"""Every setting a run has, as the dashboard and the command line edit it: kind, range, label and help.

The Train page builds a control from each ``Parameter``, the CLI an option, links a URL parameter; a variant may
relabel one (``Variant.parameter``). ``config_from_settings`` turns flat settings back into a ``RunConfig``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from aecore.errors import AecoreError
from aecore.settings.config import (
    ACTIVATIONS,
    DOWNSAMPLINGS,
    INITIALISERS,
    MAX_LAYERS,
    MAX_WIDTH,
    NOISE_KINDS,
    OPTIMIZERS,
    OUTPUTS,
    PRIORS,
    RECONSTRUCTION_LOSSES,
    REDUCTIONS,
    SPARSITY_PENALTIES,
    RunConfig,
)

#: a width as people type it: ASCII digits only (str.isdigit also takes "²", which int() refuses)
ASCII_DIGITS = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class Parameter:
    """How one setting is edited: where it lives in ``RunConfig``, its label, help and range."""

    section: str
    field: str
    label: str
    help: str
    kind: str  # "float", "int", "choice", "bool" or "widths"
    minimum: float | None = None
    maximum: float | None = None
    step: float | None = None
    choices: tuple[str, ...] = ()
    log_scale: bool = False
    #: the range the command line, imported archives and stored runs accept, where it is wider than the page's
    #: (the page keeps a classroom's runs short; a script may train for hours)
    cli_range: tuple[float, float] | None = None
    #: the command line's other spellings of the option (``--lr``), beside ``--`` and the name with dashes
    aliases: tuple[str, ...] = ()
    #: its name in a one-cell summary of a run's settings (the Runs table, comparisons); None: not summarised
    short: str | None = None
    #: widths as a person would type them, shown in an empty box and in the message about a mistyped one
    example: str = ""

    def flags(self, name: str) -> tuple[str, ...]:
        """The command line's option strings for the setting called ``name``: ``--latent-dim``, ``--lr``."""
        return ("--" + name.replace("_", "-"), *self.aliases)


PARAMETERS: dict[str, Parameter] = {
    "hidden": Parameter(
        "model",
        "hidden",
        "Hidden layers",
        "Widths of the encoder's hidden layers, comma separated (the decoder mirrors them); empty for none.",
        "widths",
        short="hidden",
        example="128, 64",
    ),
    "latent_dim": Parameter(
        "model", "latent_dim", "Code size", "Number of units in the code (bottleneck).", "int", 1, 512, 1, short="code"
    ),
    "activation": Parameter(
        "model", "activation", "Activation", "Non-linearity of the hidden layers.", "choice", choices=ACTIVATIONS
    ),
    "loss": Parameter(
        "model",
        "loss",
        "Reconstruction loss",
        "How the reconstruction is compared with the clean image: squared error, binary cross-entropy, absolute "
        "error or the continuous Bernoulli's −log p(x|x̂) (cross-entropy plus the normaliser that makes it a "
        "density on grey levels), each summed over the pixels of an image, as in the textbook objectives.",
        "choice",
        choices=RECONSTRUCTION_LOSSES,
    ),
    "reduction": Parameter(
        "model",
        "reduction",
        "Batch reduction",
        "mean: every per-image term is averaged over the batch. sum: summed over a batch (the mean times the "
        "batch size, validation too), the seed report's scale: its losses of about 3,000 are sums, so its α and β "
        "weigh against a loss a batch size larger than the mean.",
        "choice",
        choices=REDUCTIONS,
    ),
    "output": Parameter(
        "model",
        "output",
        "Output layer",
        "sigmoid: every pixel of the reconstruction in (0, 1), as the cross-entropy losses need. linear: any value, "
        "for the squared or absolute error (DEC's autoencoder).",
        "choice",
        choices=OUTPUTS,
    ),
    "init": Parameter(
        "model",
        "init",
        "Initial weights",
        "How the encoder's and decoder's kernels are drawn: Glorot uniform (Keras' default), or uniform in "
        "±1/√fan-in (PyTorch's default for a dense layer, and DEC's initialisation).",
        "choice",
        choices=INITIALISERS,
    ),
    "dropout": Parameter(
        "model",
        "dropout",
        "Dropout",
        "Fraction of hidden units dropped at random while training.",
        "float",
        0.0,
        0.9,
        0.05,
    ),
    "batch_norm": Parameter(
        "model", "batch_norm", "Batch normalisation", "Normalise every hidden layer's outputs over the batch.", "bool"
    ),
    "channels": Parameter(
        "model",
        "channels",
        "Channels",
        "Filters of each convolution of the encoder, comma separated; the last one's feature maps are the code. "
        "The decoder mirrors them.",
        "widths",
        short="channels",
        example="16, 8, 8",
    ),
    "downsampling": Parameter(
        "model",
        "downsampling",
        "Downsampling",
        "pool: each convolution but the last is followed by 2×2 max pooling, undone by upsampling before a "
        "transposed convolution (the seed paper's model). stride: every convolution has stride 2, undone by "
        "transposed convolutions of stride 2 and a last 3×3 convolution to the image (the TensorFlow tutorial's "
        "denoiser).",
        "choice",
        choices=DOWNSAMPLINGS,
    ),
    "sparsity": Parameter(
        "regularisation",
        "sparsity",
        "Sparsity penalty",
        "kl: β·Σ KL(ρ‖ρ̂_j) on mean activations; l1: λ·Σ|h| on every activation.",
        "choice",
        choices=SPARSITY_PENALTIES,
    ),
    "rho": Parameter(
        "regularisation",
        "rho",
        "ρ (target activation)",
        "The mean activation each code unit should have; strictly between 0 and 1.",
        "float",
        0.01,
        0.99,
        0.01,
        short="ρ",
    ),
    "beta": Parameter(
        "regularisation",
        "beta",
        "β (sparsity weight)",
        "Weight of the sparsity penalty β·Σ_j KL(ρ‖ρ̂_j) on the code units' mean activations.",
        "float",
        0.0,
        20.0,
        0.1,
        short="β",
    ),
    "lam": Parameter(
        "regularisation",
        "lam",
        "λ (L1 weight)",
        "Weight of the L1 activity penalty λ·Σ_j |h_j| on the code units (the L1 sparsity choice).",
        "float",
        0.0,
        1.0,
        1e-4,
        log_scale=True,
        short="λ",
    ),
    "prior": Parameter(
        "regularisation",
        "prior",
        "Prior p(z)",
        "The distribution the adversary pushes the codes toward.",
        "choice",
        choices=PRIORS,
    ),
    "alpha": Parameter(
        "regularisation",
        "alpha",
        "α (weight decay)",
        "Weight of the L2 penalty α·Σ‖W‖² on every weight matrix of the encoder and the decoder (biases and the "
        "AAE's discriminator are not decayed).",
        "float",
        0.0,
        1.0,
        1e-4,
        log_scale=True,
        short="α",
    ),
    "noise_kind": Parameter(
        "noise",
        "kind",
        "Noise kind",
        "How inputs are corrupted while training; the target stays clean.",
        "choice",
        choices=NOISE_KINDS,
    ),
    "noise_level": Parameter(
        "noise",
        "level",
        "Noise level",
        "Gaussian: the noise factor σ; other kinds: the fraction of pixels (or block side) "
        "corrupted. 0 trains a plain autoencoder.",
        "float",
        0.0,
        1.0,
        0.05,
        short="noise",
    ),
    "epochs": Parameter(
        "training", "epochs", "Epochs", "Passes over the training images.", "int", 1, 200, 1, cli_range=(1, 10_000)
    ),
    "batch_size": Parameter(
        "training", "batch_size", "Batch size", "Images per gradient step.", "int", 1, 4096, 16, short="batch"
    ),
    "learning_rate": Parameter(
        "training",
        "learning_rate",
        "Learning rate",
        "The optimizer's step size.",
        "float",
        1e-5,
        1.0,
        1e-4,
        log_scale=True,
        aliases=("--lr",),
        short="lr",
    ),
    "optimizer": Parameter(
        "training",
        "optimizer",
        "Optimizer",
        "Adam, or SGD with momentum 0.9 (DEC's pretraining). The losses are sums over an image's pixels, so SGD's "
        "step is about 784 times that of a per-pixel mean: DEC's rate of 1 on a mean is 1/784 ≈ 0.0013 here.",
        "choice",
        choices=OPTIMIZERS,
    ),
    "seed": Parameter(
        "training",
        "seed",
        "Seed",
        "Seed of the weights, the shuffling and the noise: the same seed repeats a run.",
        "int",
        0,
        2**31 - 1,
        1,
    ),
    "xla": Parameter(
        "training",
        "xla",
        "XLA compilation",
        "Compile the training step with XLA: it fuses a dense model's many small operations (1.6–1.8× the "
        "speed of plain Keras fit) for about a second more before the first loss point; on a CPU it slows "
        "convolutions down, so the convolutional model leaves it off.",
        "bool",
    ),
}


def width_parts(text: str) -> Iterator[str]:
    """The comma-separated parts of ``text`` one at a time: a check that stops early never splits the rest."""
    start = 0
    while start <= len(text):
        end = text.find(",", start)
        end = len(text) if end < 0 else end
        yield text[start:end]
        start = end + 1


def parse_widths(text: str, what: str = "Hidden layers", example: str = "128, 64") -> tuple[int, ...]:
    """``"400, 200, 100"`` -> (400, 200, 100): how people type layer widths (``what``); empty means none.

    Linear in the text and stops at the first width beyond a limit: a link with 50,000 widths costs no more
    than its first eleven.
    """
    widths: list[int] = []
    for part in width_parts(text.replace(";", ",")):
        part = part.strip()
        if not part:
            continue
        shown = part if len(part) <= 20 else f"{part[:20]}…"
        digits = part.lstrip("0")
        if not ASCII_DIGITS.fullmatch(part) or not digits:
            raise AecoreError(
                f"{what} must be whole numbers of at least 1 separated by commas, like {example} (got '{shown}')."
            )
        if len(digits) > len(str(MAX_WIDTH)) or int(digits) > MAX_WIDTH:  # never int() of a 5,000-digit text
            raise AecoreError(f"{what} can be at most {MAX_WIDTH} wide (got {shown}).")
        widths.append(int(digits))
        if len(widths) > MAX_LAYERS:
            raise AecoreError(f"At most {MAX_LAYERS} {what.lower()} (got more than {MAX_LAYERS}).")
    return tuple(widths)


def parsed_widths(name: str, text: str) -> tuple[int, ...]:
    """The widths typed for the setting ``name`` (``hidden``, ``channels``), its label in any message."""
    parameter = PARAMETERS[name]
    return parse_widths(text, parameter.label, parameter.example)


def config_from_settings(
    dataset: str, variant: str, device: str, settings: dict[str, Any], base: RunConfig | None = None
) -> RunConfig:
    """A run config from flat settings named as in ``PARAMETERS`` (what the page's controls and the CLI hold).

    A setting left out, or given as None, keeps ``base``'s value (a preset's), else the variant's default;
    ``hidden`` may be typed text.
    """
    sections: dict[str, dict[str, Any]] = {
        "model": {"variant": variant},
        "regularisation": {},
        "noise": {},
        "training": {"device": device},
    }
    for name, value in settings.items():
        if value is None:
            continue
        parameter = PARAMETERS[name]
        if parameter.kind == "widths" and isinstance(value, str):
            value = parsed_widths(name, value)
        sections[parameter.section][parameter.field] = value
    return replace(base or RunConfig(), dataset=dataset).with_changes(**sections)
