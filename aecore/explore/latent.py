"""What the Latent space and Sparsity pages compute from a trained run: neighbours, interpolations, traversals
around one image, prior samples, MNIST-style centring of a drawing, unit activity and first-layer weights.

Plain numpy in and out (the model's calls are passed in as functions, as in ``aecore.analysis``), so each piece
is unit-tested without TensorFlow.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from aecore.analysis.traversals import TRAVERSAL_SPAN
from aecore.errors import AecoreError

#: MNIST's digits fit a 20×20 box inside their 28×28 image, centred by centre of mass (LeCun et al.)
MNIST_BOX, MNIST_SIDE = 20, 28
#: a unit is on for an image when its activation is above this (half a sigmoid unit's range): one threshold for
#: every figure of the Sparsity page
ON_THRESHOLD = 0.5
#: a unit's mean activation counts as at its target ρ within this
NEAR_RHO = 0.05
#: a sparse code's units average ρ within this
MEAN_RHO_TOLERANCE = 0.03
#: the mixture prior of the adversarial autoencoder: 10 Gaussians on a circle (as in aecore.models.aae)
MIXTURE_COMPONENTS, MIXTURE_RADIUS, MIXTURE_STD = 10, 4.0, 0.5


def nearest(codes: np.ndarray, query: np.ndarray, count: int = 8, exclude: int | None = None) -> np.ndarray:
    """Indices of the ``count`` codes closest to ``query`` (Euclidean), nearest first."""
    distances = np.linalg.norm(np.asarray(codes, dtype=np.float64) - np.asarray(query, dtype=np.float64), axis=1)
    if exclude is not None:
        distances[exclude] = np.inf
    return np.argsort(distances, kind="stable")[:count]


def interpolate(start: np.ndarray, end: np.ndarray, steps: int = 10) -> np.ndarray:
    """``steps`` points from ``start`` to ``end`` on a straight line, both ends included (codes or pixels)."""
    if steps < 2:
        raise AecoreError(f"An interpolation needs at least 2 steps, got {steps}.")
    weights = np.linspace(0.0, 1.0, steps, dtype=np.float32).reshape(-1, *([1] * np.ndim(start)))
    return (1 - weights) * np.asarray(start, dtype=np.float32) + weights * np.asarray(end, dtype=np.float32)


def widest_dimensions(codes: np.ndarray, count: int = 16) -> np.ndarray:
    """The ``count`` code dimensions whose values spread most over the images (in index order): the ones a
    traversal slider visibly changes. A dead unit (the same value for every image) has no range and is left out."""
    spread = np.asarray(codes, dtype=np.float64).std(axis=0)
    widest = np.argsort(-spread, kind="stable")[:count]
    return np.sort(widest[spread[widest] > 0])


def slider_ranges(codes: np.ndarray, base: np.ndarray, dims: Sequence[int]) -> list[tuple[float, float]]:
    """Where a traversal slider of each of ``dims`` may move ``base``'s code: ± ``TRAVERSAL_SPAN`` standard
    deviations of that dimension over the real codes, as the live traversal grid steps."""
    spread = np.asarray(codes, dtype=np.float64).std(axis=0)
    return [
        (float(base[dim] - TRAVERSAL_SPAN * spread[dim]), float(base[dim] + TRAVERSAL_SPAN * spread[dim]))
        for dim in dims
    ]


def prior_samples(prior: str, latent_dim: int, count: int, seed: int = 0) -> np.ndarray:
    """Codes drawn from p(z): N(0, I) (the VAE's and the AAE's normal prior) or the AAE's 2-D mixture."""
    rng = np.random.default_rng(seed)
    normal = rng.standard_normal((count, latent_dim)).astype(np.float32)
    if prior == "normal":
        return normal
    if prior != "mixture" or latent_dim != 2:
        raise AecoreError(f"Samples come from the normal prior or the 2-D mixture, not {prior!r} in {latent_dim}-D.")
    angle = rng.integers(0, MIXTURE_COMPONENTS, count) * (2 * math.pi / MIXTURE_COMPONENTS)
    centres = MIXTURE_RADIUS * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    return (centres + MIXTURE_STD * normal).astype(np.float32)


def mnist_style(drawing: np.ndarray, side: int = MNIST_SIDE) -> np.ndarray:
    """A drawing (H, W) in [0, 1], white on black, made the way MNIST's digits were: cut to its ink, scaled to
    fit a 20×20 box (the box scales with ``side``), placed in a side×side image with its centre of mass in the
    middle. Returns (side, side, 1) float32 in [0, 1]; an empty drawing is an ``AecoreError``."""
    from PIL import Image

    ink = np.asarray(drawing, dtype=np.float32)
    if ink.ndim != 2:
        raise AecoreError(f"A drawing is one grey image (H, W), got shape {ink.shape}.")
    rows, columns = np.nonzero(ink > 0.05)
    if rows.size == 0:
        raise AecoreError("The canvas is empty: draw a digit first.")
    cut = ink[rows.min() : rows.max() + 1, columns.min() : columns.max() + 1]
    box = max(1, round(MNIST_BOX * side / MNIST_SIDE))
    scale = box / max(cut.shape)
    height, width = max(1, round(cut.shape[0] * scale)), max(1, round(cut.shape[1] * scale))
    small = np.asarray(Image.fromarray((cut * 255).astype(np.uint8)).resize((width, height), Image.LANCZOS)) / 255.0
    image = np.zeros((side, side), dtype=np.float32)
    mass = small.sum()
    centre_row = (small.sum(axis=1) @ np.arange(height)) / mass
    centre_column = (small.sum(axis=0) @ np.arange(width)) / mass
    top = int(round((side - 1) / 2 - centre_row))
    left = int(round((side - 1) / 2 - centre_column))
    top, left = min(max(top, 0), side - height), min(max(left, 0), side - width)
    image[top : top + height, left : left + width] = small
    return np.clip(image, 0.0, 1.0)[..., None]


def population_mean_activation(codes: np.ndarray) -> np.ndarray:
    """ρ̂_j over all the given images: each unit's mean activation (the sparsity KL's ρ̂_j on the population)."""
    return np.asarray(codes, dtype=np.float64).mean(axis=0)


def units_near(rho_hat: np.ndarray, rho: float, tolerance: float = NEAR_RHO) -> int:
    """How many units have ρ̂_j within ±``tolerance`` of the target ρ."""
    return int(np.sum(np.abs(np.asarray(rho_hat) - rho) <= tolerance))


def on_fraction(codes: np.ndarray) -> float:
    """Per image, the fraction of units that are on (above ``ON_THRESHOLD``), averaged over the images: about ρ
    for a code whose units are selective, near 0 for units that all sit at a small ρ̂ for every image."""
    return float(np.mean(np.asarray(codes, dtype=np.float64) > ON_THRESHOLD))


@dataclass(frozen=True)
class Sparsity:
    """The three figures that say whether a sigmoid code is sparse, measured on the test images."""

    rho: float
    mean_rho_hat: float
    units_near_rho: int
    units: int
    on_fraction: float

    @property
    def is_sparse(self) -> bool:
        """The units' mean sits at ρ (±0.03), at least half of them within ±0.05 of it, and per image between ρ/2
        and 2.5ρ of the units are on: selective units, not every unit at ρ for every image."""
        return (
            abs(self.mean_rho_hat - self.rho) <= MEAN_RHO_TOLERANCE
            and self.units_near_rho >= self.units / 2
            and self.rho / 2 <= self.on_fraction <= 2.5 * self.rho
        )


def sparsity(codes: np.ndarray, rho: float) -> Sparsity:
    rho_hat = population_mean_activation(codes)
    return Sparsity(rho, float(rho_hat.mean()), units_near(rho_hat, rho), rho_hat.size, on_fraction(codes))


def sparsity_penalty(rho: float, rho_hat: np.ndarray) -> float:
    """Σ_j KL(ρ‖ρ̂_j), the sparse autoencoder's penalty before its weight β, for mean activations ``rho_hat``
    (clipped into (0, 1) so a dead or saturated unit gives a large number, not infinity)."""
    from aecore.models.losses import bernoulli_kl  # TensorFlow: only once a penalty is asked for

    return float(np.sum(bernoulli_kl(rho, np.clip(rho_hat, 1e-6, 1 - 1e-6)).numpy()))


def active_units(code: np.ndarray, threshold: float = ON_THRESHOLD) -> int:
    """How many units of one image's code are on (above ``threshold``): few, for a sparse code."""
    return int(np.sum(np.asarray(code) > threshold))


def weight_tiles(kernel: np.ndarray, image_shape: tuple[int, ...]) -> np.ndarray:
    """A first layer's weights as images in [0, 1], one tile per unit or filter, each scaled to its own range.

    A dense kernel (pixels, units) gives (units, H, W): what input pattern excites each unit most (the seed
    report's Figs. 4 and 8). A convolution kernel (kh, kw, 1, filters) gives (filters, kh, kw).
    """
    kernel = np.asarray(kernel, dtype=np.float64)
    if kernel.ndim == 2:
        height, width = image_shape[:2]
        if kernel.shape[0] != height * width:
            raise AecoreError(f"A dense kernel of {kernel.shape[0]} inputs does not fit {height}×{width} images.")
        tiles = kernel.T.reshape(-1, height, width)
    elif kernel.ndim == 4:
        tiles = np.moveaxis(kernel[:, :, 0, :], -1, 0)
    else:
        raise AecoreError(f"Expected a dense or a 2-D convolution kernel, got shape {kernel.shape}.")
    low = tiles.min(axis=(1, 2), keepdims=True)
    span = np.maximum(tiles.max(axis=(1, 2), keepdims=True) - low, 1e-12)
    return ((tiles - low) / span).astype(np.float32)


def first_layer_kernel(layers: list) -> np.ndarray:
    """The kernel of the encoder's first layer with weights (Dense or Conv2D), as numpy."""
    for layer in layers:
        kernel = getattr(layer, "kernel", None)
        if kernel is not None:
            return np.asarray(kernel)
    raise AecoreError("The encoder has no layer with weights to show.")


def decode_one(decode: Callable[[np.ndarray], np.ndarray], code: np.ndarray) -> np.ndarray:
    """One code decoded to one (H, W) image."""
    return np.asarray(decode(np.asarray(code, dtype=np.float32)[None]))[0, ..., 0]


def selection_csv(
    indices: Sequence[int], labels: np.ndarray, class_names: Sequence[str], coordinates: np.ndarray
) -> str:
    """A selection on the scatter as CSV: each picked test image's index, its label (by name when the dataset names
    its classes) and its coordinates on the scatter (``coordinates``: one row per index, x, y and z in 3-D)."""
    axes = "xyz"[: coordinates.shape[1]]
    lines = [",".join(["index", "label", *axes])]
    for index, point in zip(indices, coordinates, strict=True):
        label = int(labels[index])
        name = class_names[label] if 0 <= label < len(class_names) else ("" if label < 0 else str(label))
        cells = [str(int(index)), name.replace(",", " "), *(f"{value:.6g}" for value in point)]
        lines.append(",".join(cells))
    return "\n".join(lines) + "\n"
