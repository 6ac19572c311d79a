"""The Denoising page's computations: a trained model's output on noisy input, the PSNR-versus-noise-level curve,
and inpainting of a masked block or a drawn mask, with the PSNR inside the mask.

Everything takes a ``reconstruct`` callable (numpy images in, numpy images out, e.g. ``TrainedRun.reconstruct``),
so it needs no model to be tested. The noise is ``aecore.data.noise`` with the test metrics' fixed seed: a slider
position always gives the same picture, and the curve at the level a run trained on reproduces that run's test
PSNR. TensorFlow is imported only when something is computed, so the page opens fast.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from aecore.analysis.pixels import changed_images
from aecore.errors import AecoreError
from aecore.settings.config import NOISE_NAMES

Reconstruct = Callable[[np.ndarray], np.ndarray]

#: the levels of the PSNR curve: 0 to 1 in steps of 0.05 (about 1.5 s for 1,000 images with the conv model)
CURVE_LEVELS = np.round(np.linspace(0.0, 1.0, 21), 2)
#: the curve uses at most this many test images, so it takes a second or two, not a minute
CURVE_IMAGES = 1000
#: a canvas pixel is part of the mask when its red exceeds its green and its blue by more than this (of 255)
STROKE_REDNESS = 128
#: an image pixel is hidden when at least this fraction of its area on the canvas is painted
MASK_COVERAGE = 0.5

PSNR_FORMULA = (
    r"\begin{gathered} \mathrm{PSNR}(x, \hat x) = 10 \log_{10} \frac{1}{\mathrm{MSE}} \\"
    r"\mathrm{MSE} = \frac{1}{n} \sum_{i=1}^{n} (x_i - \hat x_i)^2 \end{gathered}"
)
PSNR_EXPLANATION = (
    "Peak signal-to-noise ratio in decibels for pixels in [0, 1], computed per image over its n pixels and averaged "
    "over the images (as the run's test PSNR is): higher is closer to the clean image, +3 dB halves the squared "
    "error. An image the noise leaves unchanged has no PSNR of its own (it would be infinite), so the input's and "
    "the output's PSNR are both taken over the images the noise changed."
)
MASKED_PSNR_FORMULA = (
    r"\mathrm{PSNR}_M = 10 \log_{10} \frac{1}{\mathrm{MSE}_M}, \qquad"
    r"\mathrm{MSE}_M = \frac{1}{|M|} \sum_{i \in M} (x_i - \hat x_i)^2"
)
INPAINTING_FORMULA = (
    r"\hat x = g\big(f(x \odot (1 - m))\big), \qquad x_{\text{filled}} = m \odot \hat x + (1 - m) \odot x"
)
INPAINTING_EXPLANATION = (
    "The mask m is 1 on the hidden pixels, which the model receives as 0 (black); the filled image keeps every "
    "visible pixel and takes the model's guess inside the mask. PSNR_M measures only the hidden pixels M of the "
    "images shown, so it says how well the model guessed what it could not see."
)

#: each noise model of ``aecore.data.noise``, as a formula and a plain sentence; p (or σ) is the noise level
NOISE_MODELS: dict[str, tuple[str, str]] = {
    "gaussian": (
        r"\tilde x = \operatorname{clip}_{[0, 1]}\big(x + \sigma\, \epsilon\big),"
        r"\qquad \epsilon \sim \mathcal{N}(0, I)",
        "Every pixel gets normal noise scaled by the level σ (the seed paper's noise factor), clipped into [0, 1].",
    ),
    "salt_pepper": (
        r"\tilde x_i = \begin{cases} 0 & u_i < p/2 \\ 1 & p/2 \le u_i < p \\ x_i & \text{otherwise} \end{cases},"
        r"\qquad u_i \sim \mathcal{U}(0, 1)",
        "A fraction p of the pixels is replaced, half by black (pepper) and half by white (salt).",
    ),
    "masking": (
        r"\tilde x_i = \begin{cases} 0 & u_i < p \\ x_i & \text{otherwise} \end{cases},"
        r"\qquad u_i \sim \mathcal{U}(0, 1)",
        "A fraction p of the pixels is set to black, as if they were dropped.",
    ),
    "block": (  # two lines: on one it ran past the right edge of its column at 1280 px
        r"\begin{aligned} \tilde x &= x \odot (1 - B), \\"
        r"B &= \text{a square of side } \operatorname{round}(p H) \text{ at a random place} \end{aligned}",
        "One square whose side is the fraction p of the image's height, placed uniformly at random, is blacked out "
        "in each image.",
    ),
}

#: the noise kinds' names (``NOISE_NAMES``, the Train page's words) to start a sentence with
NOISE_LABELS = {kind: name[0].upper() + name[1:] for kind, name in NOISE_NAMES.items()}


def psnr(clean: np.ndarray, other: np.ndarray) -> float:
    """``aecore.models.losses.psnr`` (the run's test PSNR), but +∞ when no image differs at all."""
    from aecore.models.losses import psnr as mean_psnr  # imports TensorFlow: only once a PSNR is wanted

    clean, other = np.asarray(clean, dtype=np.float32), np.asarray(other, dtype=np.float32)
    if clean.shape != other.shape:
        raise AecoreError(f"Cannot compare images of shape {clean.shape} with images of shape {other.shape}.")
    if np.array_equal(clean, other):
        return math.inf
    return float(mean_psnr(clean, other))


def ssim(clean: np.ndarray, other: np.ndarray) -> float:
    """``aecore.models.losses.ssim`` (the run's test SSIM) of two sets of images of the same shape."""
    from aecore.models.losses import ssim as mean_ssim  # imports TensorFlow: only once an SSIM is wanted

    clean, other = np.asarray(clean, dtype=np.float32), np.asarray(other, dtype=np.float32)
    if clean.shape != other.shape:
        raise AecoreError(f"Cannot compare images of shape {clean.shape} with images of shape {other.shape}.")
    return float(mean_ssim(clean, other))


def psnr_where_changed(clean: np.ndarray, noisy: np.ndarray, output: np.ndarray) -> tuple[float, float, int]:
    """PSNR of the noisy input and of the output (dB) over the images the noise changed, and how many it left alone.

    An image the noise left unchanged has no PSNR of its own: in a mean of per-image PSNRs it would count as 120 dB
    (``aecore.models.losses.psnr``) and lift the input's headline by tens of dB. So both PSNRs, and their gain, are
    taken over the changed images only. Where the noise changed no image (level 0), the input is the clean image
    (∞ dB) and the output's PSNR is over every image: the model's own reconstruction error.
    """
    clean, noisy = np.asarray(clean, dtype=np.float32), np.asarray(noisy, dtype=np.float32)
    changed = changed_images(clean, noisy)
    unchanged = len(clean) - int(changed.sum())
    if not changed.any():
        return math.inf, psnr(clean, output), unchanged
    return psnr(clean[changed], noisy[changed]), psnr(clean[changed], np.asarray(output)[changed]), unchanged


def unchanged_sentence(unchanged: int, images: int) -> str:
    """What the headline PSNRs leave out, in the words the page and the command line share ("" when nothing)."""
    if unchanged == 0:
        return ""
    if unchanged == images:
        return (
            f"The noise left {'the image' if images == 1 else f'all {images:,} images'} unchanged: the input is the "
            "clean image (∞ dB) and the output's PSNR is the model's own reconstruction error."
        )
    verb = "was" if unchanged == 1 else "were"
    return f"{unchanged:,} of {images:,} images {verb} left unchanged by this noise and are not counted."


@dataclass(frozen=True)
class Denoised:
    """Clean images, their noisy version and the model's output, with the PSNR (dB) and SSIM of input and output
    over the images the noise changed (``psnr_where_changed``; every image where it changed none), and how many it
    left unchanged."""

    clean: np.ndarray
    noisy: np.ndarray
    denoised: np.ndarray
    psnr_noisy: float
    psnr_denoised: float
    unchanged: int
    ssim_noisy: float
    ssim_denoised: float

    @property
    def note(self) -> str:
        """How many images the headline leaves out, as a sentence ("" when none)."""
        return unchanged_sentence(self.unchanged, len(self.clean))


def denoise(reconstruct: Reconstruct, images: np.ndarray, kind: str, level: float, seed: int | None = None) -> Denoised:
    """Corrupt ``images`` with a fixed seed (default: the test metrics' own) and run the model on them.

    Raises ``AecoreError`` for an unknown kind or a level out of range.
    """
    from aecore.data.noise import corrupt_images
    from aecore.training.evaluation import TEST_NOISE_SEED

    seed = TEST_NOISE_SEED if seed is None else seed
    clean = np.asarray(images, dtype=np.float32)
    noisy = corrupt_images(clean, kind, float(level), seed=seed)
    denoised = np.asarray(reconstruct(noisy), dtype=np.float32).reshape(clean.shape)
    changed = changed_images(clean, noisy)
    scored = changed if changed.any() else np.ones(len(clean), dtype=bool)
    similarity = ssim(clean[scored], noisy[scored]), ssim(clean[scored], denoised[scored])
    return Denoised(clean, noisy, denoised, *psnr_where_changed(clean, noisy, denoised), *similarity)


@dataclass(frozen=True)
class PsnrCurve:
    """PSNR of the noisy input and of the model's output at each noise level (dB; +∞ for the input at level 0), over
    the images the noise changed at that level, and how many it left unchanged there (``psnr_where_changed``)."""

    kind: str
    levels: np.ndarray
    psnr_noisy: np.ndarray
    psnr_denoised: np.ndarray
    images: int
    unchanged: np.ndarray

    @property
    def gain(self) -> np.ndarray:
        """What the model adds over its input at each level (dB); −∞ at level 0, where the input is the clean image
        (0 where both are perfect)."""
        with np.errstate(invalid="ignore"):
            gain = self.psnr_denoised - self.psnr_noisy
        return np.where(np.isnan(gain), 0.0, gain)

    def helps(self) -> list[tuple[float, float]]:
        """The ranges of noise level where the output beats the noisy input, ends found by linear interpolation."""
        gain, levels = self.gain, self.levels
        better = gain > 0
        ranges: list[tuple[float, float]] = []
        start = None
        for index, wins in enumerate(better):
            if wins and start is None:
                start = levels[0] if index == 0 else _crossing(levels, gain, index - 1)
            if not wins and start is not None:
                ranges.append((float(start), float(_crossing(levels, gain, index - 1))))
                start = None
        if start is not None:
            ranges.append((float(start), float(levels[-1])))
        return ranges

    def best(self) -> tuple[float, float]:
        """The level where the model adds most over its input, and how much (dB)."""
        index = int(np.argmax(self.gain))
        return float(self.levels[index]), float(self.gain[index])

    def unchanged_note(self) -> str:
        """How many images the noise left unchanged above level 0, at worst, as a sentence ("" when none)."""
        noisy_levels = np.flatnonzero(self.levels > 0)
        if not noisy_levels.size or not self.unchanged[noisy_levels].any():
            return ""
        worst = noisy_levels[int(np.argmax(self.unchanged[noisy_levels]))]
        return (
            f"At each level the images its noise left unchanged are not counted: up to {self.unchanged[worst]:,} of "
            f"{self.images:,} (at level {self.levels[worst]:.2f})."
        )


def _crossing(levels: np.ndarray, gain: np.ndarray, index: int) -> float:
    """Where the gain crosses 0 between ``levels[index]`` and ``levels[index + 1]`` (the far end if one is infinite)."""
    low, high = gain[index], gain[index + 1]
    if not (np.isfinite(low) and np.isfinite(high)) or low == high:
        return float(levels[index + 1])
    return float(levels[index] + (levels[index + 1] - levels[index]) * low / (low - high))


def psnr_curve(
    reconstruct: Reconstruct,
    images: np.ndarray,
    kind: str,
    levels: np.ndarray = CURVE_LEVELS,
    seed: int | None = None,
    progress: Callable[[float, str], None] | None = None,
) -> PsnrCurve:
    """PSNR of input and output over noise levels, on at most ``CURVE_IMAGES`` images and one fixed seed.

    One seed for every level makes the input's line fall steadily: more noise of the same draw only moves pixels
    further (Gaussian) or hits more of them (masking, salt and pepper), so the curve shows the model, not chance.
    ``progress`` hears each level as it starts (fraction done, what is happening), then 1.0.
    """
    levels = np.asarray(levels, dtype=np.float64)
    if levels.ndim != 1 or levels.size < 2 or np.any(np.diff(levels) <= 0):
        raise AecoreError("The noise levels of a PSNR curve must be at least two increasing numbers.")
    clean = np.asarray(images, dtype=np.float32)[:CURVE_IMAGES]
    if len(clean) == 0:
        raise AecoreError("The PSNR curve needs at least one test image; this dataset has none.")
    report = progress or (lambda fraction, what: None)
    noisy_values, output_values, unchanged = [], [], []
    for index, level in enumerate(levels):
        what = f"{NOISE_LABELS.get(kind, kind)} noise at level {level:g} ({index + 1} of {levels.size} levels)"
        report(index / levels.size, f"{what} on {len(clean):,} test images…")
        result = denoise(reconstruct, clean, kind, float(level), seed)
        noisy_values.append(result.psnr_noisy)
        output_values.append(result.psnr_denoised)
        unchanged.append(result.unchanged)
    report(1.0, f"All {levels.size} noise levels done")
    return PsnrCurve(kind, levels, np.array(noisy_values), np.array(output_values), len(clean), np.array(unchanged))


# ---------------------------------------------------------------------------------------------
# Inpainting


def block_mask(shape: tuple[int, int], top: int, left: int, size: int) -> np.ndarray:
    """A (H, W) boolean mask, True on a square of side ``size`` whose top-left corner is (``top``, ``left``).

    A square that runs past the right or bottom edge is cut there, so any corner inside the image is valid.
    """
    height, width = int(shape[0]), int(shape[1])
    if not (0 <= top < height and 0 <= left < width):
        raise AecoreError(
            f"The block's corner ({top}, {left}) is outside the {height}×{width} image: choose a row below {height} "
            f"and a column below {width}."
        )
    if size < 1:
        raise AecoreError(f"The block's side must be at least 1 pixel (got {size}).")
    mask = np.zeros((height, width), dtype=bool)
    mask[top : top + size, left : left + size] = True
    return mask


def canvas_mask(image_data: np.ndarray, shape: tuple[int, int], coverage: float = MASK_COVERAGE) -> np.ndarray:
    """The (H, W) mask a person painted in red on a canvas (RGBA, any size), at the dataset's image size.

    The canvas shows the image in grey under the strokes, so a painted canvas pixel is one clearly redder than it
    is green or blue; each image pixel is hidden when at least ``coverage`` of its area on the canvas is painted.
    """
    from PIL import Image

    pixels = np.asarray(image_data)
    if pixels.ndim != 3 or pixels.shape[2] < 3:
        raise AecoreError(f"A canvas drawing must be an (H, W, RGB or RGBA) array; got shape {pixels.shape}.")
    rgb = pixels[..., :3].astype(np.int32)
    if pixels.dtype != np.uint8:
        rgb = np.round(np.clip(pixels[..., :3], 0.0, 1.0) * 255).astype(np.int32)
    painted = rgb[..., 0] - np.maximum(rgb[..., 1], rgb[..., 2]) > STROKE_REDNESS
    if pixels.shape[2] == 4:
        painted &= pixels[..., 3] > 0
    height, width = int(shape[0]), int(shape[1])
    covered = Image.fromarray(painted.astype(np.float32)).resize((width, height), Image.Resampling.BOX)
    return np.asarray(covered) >= coverage


def masked_psnr(clean: np.ndarray, other: np.ndarray, mask: np.ndarray) -> float:
    """PSNR over the masked pixels only, pooled over the images (dB; +∞ when they agree there exactly)."""
    clean = np.asarray(clean, dtype=np.float64)
    other = np.asarray(other, dtype=np.float64)
    hidden = np.broadcast_to(_image_mask(mask, clean.shape), clean.shape)
    if not hidden.any():
        raise AecoreError("The mask is empty: choose a block of at least one pixel, or paint on the canvas.")
    mse = float(np.mean((clean[hidden] - other[hidden]) ** 2))
    return math.inf if mse == 0 else 10.0 * math.log10(1.0 / mse)


def _image_mask(mask: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """A (H, W) mask shaped to broadcast over images of ``shape`` ((N, H, W) or (N, H, W, C))."""
    mask = np.asarray(mask, dtype=bool)
    if mask.shape != tuple(shape[1:3]):
        raise AecoreError(f"A {mask.shape} mask does not fit images of {shape[1]}×{shape[2]} pixels.")
    return mask.reshape((1, *mask.shape) + (1,) * (len(shape) - 3))


@dataclass(frozen=True)
class Inpainted:
    """Images with the mask hidden, the model's reconstruction and the filled-in result, with PSNR inside the mask."""

    clean: np.ndarray
    mask: np.ndarray
    masked: np.ndarray
    reconstruction: np.ndarray
    filled: np.ndarray
    psnr_masked_input: float
    psnr_in_mask: float
    psnr_filled: float


def inpaint(reconstruct: Reconstruct, images: np.ndarray, mask: np.ndarray) -> Inpainted:
    """Hide the masked pixels (set to 0, as block noise does), reconstruct, and fill the hole with the output."""
    clean = np.asarray(images, dtype=np.float32)
    if clean.ndim not in (3, 4):
        raise AecoreError(f"Images to inpaint must have shape (N, H, W) or (N, H, W, C); got {clean.shape}.")
    hidden = _image_mask(mask, clean.shape)
    if not hidden.any():
        raise AecoreError("The mask is empty: choose a block of at least one pixel, or paint on the canvas.")
    masked = np.where(hidden, np.float32(0.0), clean)
    reconstruction = np.asarray(reconstruct(masked), dtype=np.float32).reshape(clean.shape)
    filled = np.where(hidden, reconstruction, clean)
    return Inpainted(
        clean=clean,
        mask=np.asarray(mask, dtype=bool),
        masked=masked,
        reconstruction=reconstruction,
        filled=filled,
        psnr_masked_input=masked_psnr(clean, masked, mask),
        psnr_in_mask=masked_psnr(clean, reconstruction, mask),
        psnr_filled=psnr(clean, filled),
    )
