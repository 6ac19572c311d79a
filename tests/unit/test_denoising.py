"""The Denoising page's computations and figures: noise on a model's input with a fixed seed, the headline PSNR over
the images the noise changed, the PSNR-versus-noise curve (its noisy-input line falls with the level; at the trained
level it is the run's test PSNR), where denoising helps, inpainting masks from a block or a canvas, and the PSNR
inside a mask."""

from __future__ import annotations

import base64
import io
import json
import math

import numpy as np
import pytest

from aecore.errors import AecoreError
from aecore.explore import denoising
from aecore.figures import denoising as denoising_figures
from aecore.settings.config import NOISE_KINDS


@pytest.fixture(scope="module")
def digits() -> np.ndarray:
    """300 real test digits of the embedded MNIST subset, (N, 28, 28, 1) in [0, 1]."""
    from aecore.data.registry import load_dataset

    return np.asarray(load_dataset("mnist-5k").x_test[:300])


def blur(images: np.ndarray) -> np.ndarray:
    """A stand-in model: a 3×3 mean filter, which removes much of the noise and blurs the digits a little."""
    padded = np.pad(images, ((0, 0), (1, 1), (1, 1), (0, 0)), mode="edge")
    height, width = images.shape[1:3]
    shifted = [padded[:, r : r + height, c : c + width] for r in range(3) for c in range(3)]
    return np.mean(shifted, axis=0)


# ---------------------------------------------------------------------------------------------
# PSNR and noise on the model's input


def test_psnr_is_the_textbook_formula_and_infinite_for_identical_images():
    clean = np.zeros((2, 4, 4, 1), np.float32)
    assert denoising.psnr(clean, clean + 0.1) == pytest.approx(20.0, abs=1e-4)  # 10 log10(1 / 0.01)
    assert denoising.psnr(clean, clean + 0.01) == pytest.approx(40.0, abs=1e-3)
    assert denoising.psnr(clean, clean) == math.inf
    with pytest.raises(AecoreError, match="Cannot compare"):
        denoising.psnr(clean, clean[:1])


def test_noise_on_the_input_is_the_same_for_the_same_level_and_the_model_sees_the_noisy_images(digits):
    seen = []

    def model(images):
        seen.append(images.copy())
        return blur(images)

    first = denoising.denoise(model, digits[:8], "gaussian", 0.3)
    again = denoising.denoise(model, digits[:8], "gaussian", 0.3)
    assert np.array_equal(first.noisy, again.noisy), "a slider position always gives the same picture"
    assert np.array_equal(seen[0], first.noisy) and not np.array_equal(first.noisy, first.clean)
    assert first.psnr_noisy == pytest.approx(denoising.psnr(first.clean, first.noisy))
    assert first.psnr_denoised > first.psnr_noisy + 1, "the blur removes much of strong gaussian noise"
    other_seed = denoising.denoise(model, digits[:8], "gaussian", 0.3, seed=7)
    assert not np.array_equal(other_seed.noisy, first.noisy)


def test_ssim_of_input_and_output_is_taken_on_the_images_the_noise_changed(digits):
    result = denoising.denoise(blur, digits[:40], "block", 0.26)
    changed = ~np.all((result.noisy == result.clean).reshape(40, -1), axis=1)
    assert result.ssim_noisy == pytest.approx(denoising.ssim(result.clean[changed], result.noisy[changed]))
    assert result.ssim_denoised == pytest.approx(denoising.ssim(result.clean[changed], result.denoised[changed]))
    assert 0 < result.ssim_noisy < 1
    clean = denoising.denoise(blur, digits[:4], "gaussian", 0.0)
    assert clean.ssim_noisy == pytest.approx(1.0) and clean.ssim_denoised < 1.0, "level 0: every image counts"


def test_at_level_zero_the_input_is_clean_with_infinite_psnr(digits):
    result = denoising.denoise(blur, digits[:4], "masking", 0.0)
    assert np.array_equal(result.noisy, result.clean) and result.psnr_noisy == math.inf
    assert result.psnr_denoised == pytest.approx(denoising.psnr(result.clean, blur(result.clean))), "every image"
    assert result.unchanged == 4 and "left all 4 images unchanged" in result.note


def test_the_headline_psnr_counts_only_the_images_the_noise_changed():
    clean = np.zeros((4, 2, 2, 1), np.float32)
    noisy, output = clean.copy(), clean + 0.01
    noisy[1], noisy[3] = 0.1, 0.2  # images 0 and 2 left unchanged: each would count as 120 dB in a plain mean
    psnr_noisy, psnr_output, unchanged = denoising.psnr_where_changed(clean, noisy, output)
    assert unchanged == 2
    assert psnr_noisy == pytest.approx((20.0 + 10 * math.log10(25)) / 2, abs=1e-3)  # 10 log10(1/0.01), (1/0.04)
    assert psnr_output == pytest.approx(40.0, abs=1e-3)
    assert denoising.psnr_where_changed(clean, clean, output) == (math.inf, pytest.approx(40.0, abs=1e-3), 4)
    with pytest.raises(AecoreError, match="Cannot compare"):
        denoising.psnr_where_changed(clean, noisy[:1], output)


def test_block_noise_that_misses_some_digits_leaves_them_out_of_the_headline_and_says_how_many(digits):
    """A 7-pixel block often lands on a digit's black background: those images once counted as 120 dB each, and
    the page showed 57 dB for the noisy input and a −40 dB gain."""
    images = digits[:40]
    result = denoising.denoise(blur, images, "block", 0.26)
    untouched = np.all((result.noisy == result.clean).reshape(len(images), -1), axis=1)
    assert 0 < untouched.sum() < len(images), "the test needs a draw where the block misses some digits"
    assert result.unchanged == untouched.sum()
    changed = ~untouched
    assert result.psnr_noisy == pytest.approx(denoising.psnr(images[changed], result.noisy[changed]))
    assert result.psnr_denoised == pytest.approx(denoising.psnr(images[changed], result.denoised[changed]))
    assert 5 < result.psnr_noisy < 40 and np.isfinite(result.psnr_denoised)
    assert result.note == f"{untouched.sum()} of 40 images were left unchanged by this noise and are not counted."


def test_the_sentence_on_unchanged_images_fits_every_count():
    assert denoising.unchanged_sentence(0, 500) == ""
    assert denoising.unchanged_sentence(12, 500) == (
        "12 of 500 images were left unchanged by this noise and are not counted."
    )
    assert denoising.unchanged_sentence(1, 8).startswith("1 of 8 images was left unchanged")
    assert denoising.unchanged_sentence(1, 1).startswith("The noise left the image unchanged")


def test_a_level_or_kind_a_user_gets_wrong_says_what_to_change(digits):
    with pytest.raises(AecoreError, match="at most 1"):
        denoising.denoise(blur, digits[:2], "masking", 1.5)
    with pytest.raises(AecoreError, match="Unknown noise kind"):
        denoising.denoise(blur, digits[:2], "speckle", 0.1)


def test_every_noise_kind_has_a_formula_and_a_sentence():
    assert set(denoising.NOISE_MODELS) == set(NOISE_KINDS) == set(denoising.NOISE_LABELS)
    for latex, sentence in denoising.NOISE_MODELS.values():
        assert "\\tilde x" in latex and sentence.endswith(".")


# ---------------------------------------------------------------------------------------------
# The PSNR curve


@pytest.mark.parametrize("kind", NOISE_KINDS)
def test_the_noisy_input_line_falls_steadily_from_infinity_with_the_level(digits, kind):
    curve = denoising.psnr_curve(blur, digits, kind)
    assert len(curve.levels) >= 11 and curve.levels[0] == 0 and curve.levels[-1] == 1
    assert curve.images == len(digits)
    assert curve.psnr_noisy[0] == math.inf and np.all(np.isfinite(curve.psnr_noisy[1:]))
    assert np.all(np.diff(curve.psnr_noisy) <= 0), curve.psnr_noisy
    assert curve.psnr_noisy[-1] < curve.psnr_noisy[1] - 5
    assert np.all(np.isfinite(curve.psnr_denoised))
    assert curve.unchanged[0] == len(digits) and curve.unchanged.shape == curve.levels.shape


def test_the_block_curve_leaves_out_the_digits_its_block_misses_at_each_level(digits):
    curve = denoising.psnr_curve(blur, digits, "block", levels=[0.0, 0.1, 0.26, 0.5])
    assert list(curve.unchanged[1:] > 0) == [True, True, False], curve.unchanged
    assert np.all(curve.psnr_noisy[1:] < 40), "no untouched digit lifts the mean towards 120 dB"
    worst = int(curve.unchanged[1])
    assert curve.unchanged_note() == (
        f"At each level the images its noise left unchanged are not counted: up to {worst} of 300 (at level 0.10)."
    )
    assert denoising.psnr_curve(blur, digits, "gaussian", levels=[0.0, 0.5]).unchanged_note() == ""


def test_the_curve_uses_at_most_a_thousand_images_and_needs_increasing_levels(digits):
    many = np.concatenate([digits] * 4)  # 1,200 images
    assert denoising.psnr_curve(blur, many, "masking", levels=[0.0, 0.5]).images == denoising.CURVE_IMAGES
    with pytest.raises(AecoreError, match="increasing"):
        denoising.psnr_curve(blur, digits, "gaussian", levels=[0.5, 0.1])


def test_where_denoising_helps_is_read_off_the_curve_with_interpolated_ends():
    curve = denoising.PsnrCurve(
        kind="gaussian",
        levels=np.array([0.0, 0.25, 0.5, 0.75, 1.0]),
        psnr_noisy=np.array([math.inf, 20.0, 14.0, 10.0, 8.0]),
        psnr_denoised=np.array([18.0, 18.0, 16.0, 11.0, 7.0]),
        images=10,
        unchanged=np.array([10, 0, 0, 0, 0]),
    )
    # gain: −∞, −2, +2, +1, −1: helps from halfway between 0.25 and 0.5 to halfway between 0.75 and 1
    ranges = curve.helps()
    assert len(ranges) == 1
    assert ranges[0] == pytest.approx((0.375, 0.875))
    assert curve.best() == pytest.approx((0.5, 2.0))
    never = denoising.PsnrCurve(
        "masking", curve.levels, curve.psnr_noisy, np.array([19.0, 19, 13, 9, 7]), 10, curve.unchanged
    )
    assert never.helps() == []
    perfect = denoising.PsnrCurve("masking", curve.levels, curve.psnr_noisy, np.full(5, math.inf), 10, curve.unchanged)
    assert perfect.gain[0] == 0 and perfect.helps() == [(0.25, 1.0)]


def test_the_curve_at_the_trained_level_is_the_runs_own_test_psnr(explore_store):
    """The page's curve and the run's test metrics use one noise draw: at the level it trained on they agree."""
    from aecore.explore.stored_model import TrainedRun
    from aecore.runs.store import RunStore

    root, runs = explore_store
    store = RunStore(root)
    record = store.record(runs["conv_denoising"])
    trained = TrainedRun.load(store.folder(record.id), record)
    noise = trained.config.noise
    assert noise.kind == "gaussian" and noise.level == pytest.approx(0.2)
    metrics = json.loads(store.folder(record.id).file("metrics.json").read_text())
    curve = denoising.psnr_curve(trained.reconstruct, trained.test_images, noise.kind)
    at = int(np.flatnonzero(np.isclose(curve.levels, noise.level))[0])
    assert curve.images == len(trained.dataset.x_test) == 1000
    assert curve.psnr_denoised[at] == pytest.approx(metrics["test_psnr"], abs=1e-3)
    assert curve.psnr_noisy[at] == pytest.approx(metrics["test_psnr_noisy_input"], abs=1e-3)
    at_trained_level = denoising.denoise(trained.reconstruct, trained.test_images, noise.kind, noise.level)
    assert at_trained_level.ssim_denoised == pytest.approx(metrics["test_ssim"], abs=1e-4)
    assert at_trained_level.ssim_noisy == pytest.approx(metrics["test_ssim_noisy_input"], abs=1e-4)
    assert curve.gain[-1] > 0, "a denoising model beats its input under strong gaussian noise"


# ---------------------------------------------------------------------------------------------
# Inpainting


def test_a_block_mask_is_the_square_asked_for_cut_at_the_edge():
    mask = denoising.block_mask((28, 28), 5, 7, 4)
    assert mask.shape == (28, 28) and mask.sum() == 16
    assert mask[5:9, 7:11].all() and not mask[4, 7] and not mask[5, 11]
    assert denoising.block_mask((28, 28), 26, 0, 5).sum() == 2 * 5
    with pytest.raises(AecoreError, match="outside the 28×28 image"):
        denoising.block_mask((28, 28), 28, 0, 3)
    with pytest.raises(AecoreError, match="at least 1 pixel"):
        denoising.block_mask((28, 28), 0, 0, 0)


def test_a_red_stroke_on_the_canvas_becomes_the_mask_at_the_images_size():
    canvas = np.zeros((224, 224, 4), np.uint8)
    canvas[..., :3], canvas[..., 3] = 128, 255  # the grey image under the strokes
    canvas[100:140, 60:80] = (255, 255, 255, 255)  # white parts of the digit are not strokes
    canvas[0:16, 0:16] = (255, 0, 0, 255)  # a red square over image pixels (0..1, 0..1): 8 canvas px per pixel
    canvas[200:203, 200:224] = (255, 0, 0, 255)  # covers 3/8 of pixels in row 25: less than half
    canvas[48:56, 96:104] = (240, 30, 30, 255)  # anti-aliased red still counts: image pixel (6, 12)
    mask = denoising.canvas_mask(canvas, (28, 28))
    assert mask.shape == (28, 28) and mask.dtype == bool
    assert set(zip(*np.nonzero(mask), strict=True)) == {(0, 0), (0, 1), (1, 0), (1, 1), (6, 12)}
    coarse = denoising.canvas_mask(canvas, (14, 14))  # 16 canvas pixels per image pixel
    assert coarse[0, 0] and coarse.sum() == 1, "the same drawing fits any image size"
    with pytest.raises(AecoreError, match="RGB or RGBA"):
        denoising.canvas_mask(np.zeros((10, 10)), (28, 28))


def test_an_untouched_canvas_gives_an_empty_mask():
    transparent = np.zeros((224, 224, 4), np.uint8)
    transparent[..., 0] = 255  # red but fully transparent
    assert not denoising.canvas_mask(transparent, (28, 28)).any()


def test_psnr_inside_a_mask_counts_only_the_hidden_pixels():
    clean = np.zeros((2, 4, 4, 1))
    other = clean.copy()
    other[:, 0, 0] = 0.1  # error only at the hidden pixel
    other[:, 3, 3] = 1.0  # a large error outside the mask does not count
    mask = np.zeros((4, 4), bool)
    mask[0, :2] = True  # pixels (0, 0) with error 0.1 and (0, 1) with none: MSE_M = 0.01 / 2
    assert denoising.masked_psnr(clean, other, mask) == pytest.approx(10 * math.log10(200))
    assert denoising.masked_psnr(clean, clean, mask) == math.inf
    with pytest.raises(AecoreError, match="mask is empty"):
        denoising.masked_psnr(clean, other, np.zeros((4, 4), bool))
    with pytest.raises(AecoreError, match="does not fit"):
        denoising.masked_psnr(clean, other, np.ones((5, 5), bool))


def test_inpainting_hides_the_mask_from_the_model_and_fills_only_the_hole(digits):
    images = digits[:4]
    mask = denoising.block_mask((28, 28), 10, 10, 8)
    seen = []

    def model(masked):
        seen.append(masked.copy())
        return np.full_like(masked, 0.5)

    result = denoising.inpaint(model, images, mask)
    assert np.all(seen[0][:, mask] == 0), "the model receives the hidden pixels as 0"
    assert np.array_equal(seen[0][:, ~mask], images[:, ~mask])
    assert np.all(result.filled[:, mask] == 0.5) and np.array_equal(result.filled[:, ~mask], images[:, ~mask])
    assert result.psnr_masked_input == pytest.approx(denoising.masked_psnr(images, np.zeros_like(images), mask))
    assert result.psnr_in_mask == pytest.approx(denoising.masked_psnr(images, np.full_like(images, 0.5), mask))
    assert result.psnr_filled == pytest.approx(denoising.psnr(images, result.filled))

    perfect = denoising.inpaint(lambda masked: images, images, mask)
    assert perfect.psnr_in_mask == math.inf and np.array_equal(perfect.filled, images)
    with pytest.raises(AecoreError, match="mask is empty"):
        denoising.inpaint(model, images, np.zeros((28, 28), bool))


# ---------------------------------------------------------------------------------------------
# Figures


def mosaic_pixels(figure) -> np.ndarray:
    """The grey values of a mosaic figure's one PNG image."""
    from PIL import Image

    source = figure.data[0].source
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(source.split(",", 1)[1]))).convert("L"))


def test_the_psnr_curve_figure_marks_the_trained_level_and_where_the_model_helps():
    levels = np.linspace(0, 1, 11)
    noisy = np.concatenate([[math.inf], np.linspace(90, 5, 10)])  # 90 dB: the noise barely changed the images
    denoised = np.linspace(18, 10, 11)
    figure = denoising_figures.psnr_versus_noise(levels, noisy, denoised, 0.2, "trained: σ = 0.2", [(0.35, 1.0)])
    names = [trace.name for trace in figure.data]
    assert names == ["noisy input", "model output"]
    assert np.isnan(figure.data[0].y[0]) and figure.data[0].y[1] == 90, "∞ is left out, finite values stay"
    assert list(figure.data[1].y) == list(denoised)
    lines = [shape for shape in figure.layout.shapes if shape.type == "line"]
    bands = [shape for shape in figure.layout.shapes if shape.type == "rect"]
    assert len(lines) == 1 and lines[0].x0 == 0.2
    assert len(bands) == 1 and (bands[0].x0, bands[0].x1) == (0.35, 1.0)
    assert any(annotation.text == "trained: σ = 0.2" for annotation in figure.layout.annotations)
    low, high = figure.layout.yaxis.range
    assert low < 5 and 18 < high < denoising_figures.PSNR_AXIS_CAP + 10, "the 90 dB point runs off the top"
    assert denoising_figures.runs_off_the_top(noisy) and not denoising_figures.runs_off_the_top(denoised)
    plain = denoising_figures.psnr_versus_noise(levels, noisy, denoised)
    assert not plain.layout.shapes
    with pytest.raises(ValueError, match="levels"):
        denoising_figures.psnr_versus_noise(levels, noisy[:5], denoised)


def test_the_rows_figures_show_each_set_of_images_as_one_titled_row(digits):
    images = digits[:3]
    rows = denoising_figures.denoising_rows(images, images, images)
    assert list(rows.layout.yaxis.ticktext) == ["clean", "noisy input", "denoised"]
    mask = denoising.block_mask((28, 28), 0, 0, 4)
    figure = denoising_figures.inpainting_rows(images, mask, images, images)
    assert list(figure.layout.yaxis.ticktext) == ["clean", "masked (grey)", "reconstruction", "filled in"]
    pixels = mosaic_pixels(figure)
    masked_top = 28 + 2  # the second row starts below the first and a 2-pixel gap
    grey = round(denoising_figures.HIDDEN_SHADE * 255)
    assert np.all(np.abs(pixels[masked_top : masked_top + 4, 0:4].astype(int) - grey) <= 1)
    assert np.array_equal(pixels[0:4, 0:4], np.round(images[0, 0:4, 0:4, 0] * 255).astype(np.uint8))


def test_inpainting_rows_take_floats_so_every_row_keeps_its_scale():
    """uint8 rows stacked with the float grey row once drew the reconstruction black: floats in [0, 1] only."""
    from aecore.figures.denoising import inpainting_rows

    clean = np.full((2, 4, 4, 1), 0.25, dtype=np.float32)
    mask = np.zeros((4, 4), dtype=bool)
    mask[1:3, 1:3] = True
    figure = inpainting_rows(clean, mask, clean * 2, clean)
    assert figure.data, "the rows are drawn"
    with pytest.raises(ValueError, match="floats in"):
        inpainting_rows((clean * 255).astype(np.uint8), mask, clean, clean)
