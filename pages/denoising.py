"""Denoising and inpainting: a trained model on noise of any kind and level, where denoising helps along the noise
level, and what it fills in where part of the image is hidden. Every number comes from ``aecore.explore.denoising``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from aecore.analysis.pixels import to_uint8
from aecore.errors import AecoreError
from aecore.explore import denoising
from aecore.figures import denoising as denoising_figures
from aecore.settings.config import NOISE_KINDS, NOISE_NAMES
from pages import _ui as ui
from pages._ui import denoising_panels as panels
from pages._ui.explore import computed_once, model_stamp, run_picker

if TYPE_CHECKING:
    from aecore.explore.stored_model import TrainedRun

#: how many images the noise and inpainting rows show
SHOWN = 8
LEVEL_KEY = "denoising_level"
KIND_KEY = "denoising_kind"


def psnr_curve(trained: TrainedRun, kind: str) -> denoising.PsnrCurve:
    """The PSNR curve of one run and noise kind, computed once under a progress bar (a level at a time, seconds on a
    busy server) and kept for every later rerun."""
    return computed_once(
        "psnr curve",
        (trained.record.id, model_stamp(trained.record.id), kind),
        "Computing the PSNR curve… (once per run and noise kind)",
        lambda progress: denoising.psnr_curve(trained.reconstruct, trained.test_images, kind, progress=progress),
    )


def level_symbol(kind: str) -> str:
    return "σ" if kind == "gaussian" else "p"


def trained_on(trained: TrainedRun) -> str:
    noise = trained.config.noise
    if not noise.level:
        return "trained without noise"
    return (
        f"trained on {denoising.NOISE_LABELS[noise.kind].lower()} noise, {level_symbol(noise.kind)} = {noise.level:g}"
    )


def noise_section(trained: TrainedRun) -> str:
    """Noise kind and level on the probe images; returns the kind, which the curve below uses too."""
    noise = trained.config.noise
    st.markdown(f"**Noise on the trained model** · this run was {trained_on(trained)}")
    left, right = st.columns([1, 2], gap="large")
    with left:
        kind = st.selectbox(
            "Noise kind", NOISE_KINDS, index=NOISE_KINDS.index(noise.kind), format_func=NOISE_NAMES.get,
            key=KIND_KEY, help="How the images are corrupted; the model's target was always the clean image.",
        )  # fmt: skip
    with right:
        panels.formula(*denoising.NOISE_MODELS[kind])
    noisy_rows(trained, kind, noise.level if noise.level else 0.2)
    return kind


def noisy_rows(trained: TrainedRun, kind: str, default_level: float) -> None:
    """The slider and what it changes, in a fragment: moving it redraws only these rows and numbers."""

    @st.fragment
    def rows() -> None:
        left, right = st.columns([1, 2], gap="large")
        with left:
            meaning = "its standard deviation" if kind == "gaussian" else "the fraction of pixels (block: of the side)"
            level = st.slider(
                "Noise level", 0.0, 1.0, float(default_level), 0.01, key=LEVEL_KEY,
                help=f"{level_symbol(kind)}, {meaning}, applied to the images on the right.",
            )  # fmt: skip
            images = trained.dataset.probe_images[:SHOWN]
            result = ui.guarded(lambda: denoising.denoise(trained.reconstruct, images, kind, level), "Cannot add noise")
            if result is None:
                return
            # one above the other: side by side in this column their labels and values would be cut at 1280 px
            st.metric(
                "PSNR of the noisy input", panels.psnr_text(result.psnr_noisy),
                help="Over the images the noise changed; ∞ where it changed none (at level 0 the input is clean).",
            )  # fmt: skip
            st.metric(
                "PSNR of the output",
                panels.psnr_text(result.psnr_denoised),
                delta=panels.psnr_delta(result.psnr_denoised, result.psnr_noisy),
                help="The delta is what the model adds over its noisy input, on the same images.",
            )
            st.metric(
                "SSIM, input → output",
                f"{result.ssim_noisy:.2f} → {result.ssim_denoised:.2f}",
                delta=f"{result.ssim_denoised - result.ssim_noisy:+.2f}",
                help="Structural similarity to the clean images (1: the same; it follows edges and local contrast, "
                "where PSNR counts every pixel's error alike), over the same images as the PSNR.",
            )
            st.caption(f"Over these {len(images)} images, with the same noise draw at every level (a fixed seed).")
            if result.note:
                st.caption(result.note)
        with right:
            figure = denoising_figures.denoising_rows(
                to_uint8(result.clean), to_uint8(result.noisy), to_uint8(result.denoised)
            )
            ui.shown_chart(figure, "denoising_rows", height=None, width="content")

    rows()


def curve_section(trained: TrainedRun, kind: str) -> None:
    noise, label = trained.config.noise, denoising.NOISE_LABELS[kind]
    st.markdown(f"**PSNR versus noise level** · {label.lower()} noise on the test images")
    curve = ui.guarded(lambda: psnr_curve(trained, kind), "Cannot draw the PSNR curve")
    if curve is None:
        return
    trained_level, trained_label = None, ""
    if not noise.level:
        trained_level, trained_label = 0.0, "trained without noise"
    elif noise.kind == kind:
        trained_level, trained_label = noise.level, f"trained: {level_symbol(kind)} = {noise.level:g}"
    helps = curve.helps()
    figure = denoising_figures.psnr_versus_noise(
        curve.levels, curve.psnr_noisy, curve.psnr_denoised, trained_level, trained_label, helps,
        x_title=f"noise level {level_symbol(kind)}",
    )  # fmt: skip
    left, right = st.columns([3, 2], gap="large")
    with left:
        ui.shown_chart(figure, "denoising_psnr_curve")
    with right:
        st.markdown(curve_summary(curve, helps))
        if noise.level and noise.kind != kind:
            st.caption(f"This run was {trained_on(trained)}: here it meets a kind of noise it never saw.")
        st.caption(f"{curve.images:,} test images, {len(curve.levels)} levels, one noise draw for every level.")
        if unchanged := curve.unchanged_note():
            st.caption(unchanged)
        if denoising_figures.runs_off_the_top(curve.psnr_noisy):
            st.caption(
                f"The input's line leaves the chart above {denoising_figures.PSNR_AXIS_CAP:.0f} dB at low levels: "
                "there the noise barely changes the images it touches. Hover to read it."
            )
        panels.formula(denoising.PSNR_FORMULA, denoising.PSNR_EXPLANATION)


def curve_summary(curve: denoising.PsnrCurve, helps: list[tuple[float, float]]) -> str:
    """Where denoising helps and where it stops, in one or two sentences read off the curve."""
    if not helps:
        return (
            "At no level does the output beat its noisy input: what the model removes of this noise is less than "
            f"its own reconstruction error ({curve.psnr_denoised[0]:.1f} dB on clean images)."
        )
    best_level, best_gain = curve.best()
    spans = ", ".join(f"{start:.2f} to {end:.2f}" for start, end in helps)
    text = (
        f"The output beats its noisy input from level {spans} (shaded), most at {best_level:.2f}: {best_gain:+.1f} dB."
    )
    start, end = helps[0][0], helps[-1][1]
    if start > curve.levels[0]:
        text += f" Below {start:.2f} the noise costs less than the model's own reconstruction error."
    if end < curve.levels[-1]:
        text += f" Above {end:.2f} the model stops helping: too little of the image is left to recover."
    return text


def inpainting_section(trained: TrainedRun) -> None:
    @st.fragment
    def inpainting() -> None:
        st.markdown("**Inpainting** · hide part of the images and let the model fill it in")
        height, width = trained.dataset.image_shape[:2]
        left, right = st.columns([2, 3], gap="large")
        with left:
            mode = st.radio("Mask", ["Block", "Draw"], horizontal=True, key="inpaint_mode")
            last = max(0, len(trained.test_images) - SHOWN)
            first = int(st.number_input("First test image", 0, last, 0, key="inpaint_first"))
            images = trained.test_images[first : first + SHOWN]
            if mode == "Block":
                size = st.slider("Block side (pixels)", 1, min(height, width), max(1, height // 3), key="inpaint_size")
                top = st.slider("Block top row", 0, height - 1, height // 3, key="inpaint_top")
                left_column = st.slider("Block left column", 0, width - 1, width // 3, key="inpaint_left")
                mask = ui.guarded(lambda: denoising.block_mask((height, width), top, left_column, size), "Bad block")
            else:
                brush = st.slider("Brush", 4, 40, 16, key="inpaint_brush", help="Stroke width on the canvas.")
                drawing = panels.mask_canvas(images[0], brush, key="inpaint_canvas")
                st.caption(f"Paint in red over test image {first}; the same mask hides all {SHOWN} images.")
                mask = None
                if drawing is not None:
                    mask = ui.guarded(lambda: denoising.canvas_mask(drawing, (height, width)), "Cannot read the mask")
        with right:
            if mask is None or not mask.any():
                if mode == "Draw":
                    st.info("Paint on the canvas to hide part of the images.", icon=":material/brush:")
                return
            result = ui.guarded(lambda: denoising.inpaint(trained.reconstruct, images, mask), "Cannot inpaint")
            if result is None:
                return
            # floats in [0, 1] for every row: the grey of the hidden pixels is one too
            figure = denoising_figures.inpainting_rows(result.clean, result.mask, result.reconstruction, result.filled)
            ui.shown_chart(figure, "inpainting_rows", height=None, width="content")
            metrics = st.columns(3)
            metrics[0].metric(
                "Masked input", panels.psnr_text(result.psnr_masked_input), help="PSNR_M of the input: hidden = 0."
            )
            metrics[1].metric(
                "Output in the mask",
                panels.psnr_text(result.psnr_in_mask),
                delta=panels.psnr_delta(result.psnr_in_mask, result.psnr_masked_input),
                help="PSNR_M of the model's reconstruction: how well it guessed the hidden pixels.",
            )
            metrics[2].metric(
                "Filled-in images", panels.psnr_text(result.psnr_filled), help="PSNR of the whole filled-in images."
            )
            st.caption(f"{int(mask.sum())} of {height * width} pixels hidden in each of the {SHOWN} images.")
        panels.formula(denoising.INPAINTING_FORMULA, denoising.INPAINTING_EXPLANATION)
        st.latex(denoising.MASKED_PSNR_FORMULA)

    inpainting()


st.title("Denoising and inpainting")
st.caption("How well a trained model removes noise, where along the noise level it helps, and what it fills in.")
trained = run_picker(per_run_keys=(KIND_KEY, LEVEL_KEY, "inpaint_first", "inpaint_size", "inpaint_top", "inpaint_left"))
if trained is not None:
    try:
        chosen_kind = noise_section(trained)
        curve_section(trained, chosen_kind)
        st.divider()
        inpainting_section(trained)
    except AecoreError as error:  # a run whose dataset or model cannot serve this page
        st.error(f"This run cannot be shown here: {error}", icon=":material/error:")
