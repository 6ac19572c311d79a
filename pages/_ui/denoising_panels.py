"""Pieces of the Denoising page that are only layout: PSNR values as text, a formula with its sentence, and the
canvas a mask is painted on (over the first image, so a person sees what they hide)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import streamlit as st

from aecore.analysis.pixels import to_uint8

#: the canvas is this many screen pixels wide and high, whatever the dataset's image size
CANVAS_SIDE = 224
#: the brush paints pure red: ``aecore.explore.denoising.canvas_mask`` finds the strokes by their redness
STROKE_COLOUR = "#FF0000"


def psnr_text(value: float) -> str:
    """A PSNR for a metric: "∞ dB" where nothing differs (no noise), else two decimals."""
    return "∞ dB" if math.isinf(value) else f"{value:.2f} dB"


def psnr_delta(better: float, worse: float) -> str | None:
    """How many dB ``better`` adds over ``worse``, for a metric's delta; None where either is infinite."""
    if math.isinf(better) or math.isinf(worse):
        return None
    return f"{better - worse:+.2f} dB"


def formula(latex: str, sentence: str) -> None:
    """A formula the page uses, with what it means in plain words."""
    st.latex(latex)
    st.caption(sentence)


def mask_canvas(image: np.ndarray, brush: int, key: str) -> np.ndarray | None:
    """A canvas over ``image`` (grey, enlarged) for painting a mask in red; returns its RGBA pixels (None: untouched).

    The image is drawn with nearest-neighbour enlargement so each of its pixels is a visible square to paint over.
    """
    from PIL import Image
    from streamlit_drawable_canvas import st_canvas  # registers a component: only where a canvas is shown

    grey = to_uint8(np.asarray(image)).reshape(np.shape(image)[:2])
    background = Image.fromarray(grey, mode="L").resize((CANVAS_SIDE, CANVAS_SIDE), Image.Resampling.NEAREST)
    drawn: Any = st_canvas(
        stroke_width=brush, stroke_color=STROKE_COLOUR, background_image=background, height=CANVAS_SIDE,
        width=CANVAS_SIDE, drawing_mode="freedraw", return_image_data=True, key=key,
    )  # fmt: skip
    return None if drawn is None else drawn.image_data
