"""Figures of the Denoising page: clean / noisy / denoised rows, the PSNR-versus-noise-level curve, and inpainting
rows with the hidden pixels shown in grey. Arrays in, ``go.Figure`` out, as in ``aecore.figures.style``."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from aecore.figures.mosaics import image_rows
from aecore.figures.style import colours, styled

#: the curve's PSNR axis stops here: above it the noise barely changes the images it touches (it says little)
PSNR_AXIS_CAP = 50.0
#: how the hidden pixels look in the "masked" row (the model itself receives them as 0, black)
HIDDEN_SHADE = 0.5


def runs_off_the_top(psnr: np.ndarray) -> bool:
    """Whether some finite PSNR lies above the curve's axis (the page then says why)."""
    values = np.asarray(psnr, dtype=np.float64)
    return bool(np.any(np.isfinite(values) & (values > PSNR_AXIS_CAP)))


def denoising_rows(clean: np.ndarray, noisy: np.ndarray, denoised: np.ndarray) -> go.Figure:
    """Three rows of the same images: clean, with noise (the model's input), and the model's output."""
    return image_rows({"clean": clean, "noisy input": noisy, "denoised": denoised})


def inpainting_rows(clean: np.ndarray, mask: np.ndarray, reconstruction: np.ndarray, filled: np.ndarray) -> go.Figure:
    """Four rows: clean, masked (hidden pixels in grey: on a black background a black hole would not show), the
    model's reconstruction of the masked input, and the clean image filled in with it inside the mask. Every row
    is float in [0, 1] (uint8 rows would be stacked with the grey row into one array of another scale)."""
    clean = np.asarray(clean, dtype=np.float32)
    if clean.max(initial=0.0) > 1.0:
        raise ValueError("Inpainting rows take images as floats in [0, 1].")
    hidden = np.asarray(mask, dtype=bool).reshape((1, *np.shape(mask)) + (1,) * (clean.ndim - 3))
    shown = np.where(hidden, np.float32(HIDDEN_SHADE), clean)
    return image_rows({"clean": clean, "masked (grey)": shown, "reconstruction": reconstruction, "filled in": filled})


def psnr_versus_noise(
    levels: np.ndarray,
    psnr_noisy: np.ndarray,
    psnr_denoised: np.ndarray,
    trained_level: float | None = None,
    trained_label: str = "trained",
    helps: Sequence[tuple[float, float]] = (),
    x_title: str = "noise level",
) -> go.Figure:
    """PSNR of the noisy input and of the model's output against the noise level.

    ``trained_level`` draws a dashed line where the model was trained; ``helps`` (ranges of level) are shaded where
    the output beats its input. An infinite PSNR (the input at level 0) is left out of the line; values above
    ``PSNR_AXIS_CAP`` run off the top of the chart and show when hovered.
    """
    levels = np.asarray(levels, dtype=np.float64)
    noisy = np.asarray(psnr_noisy, dtype=np.float64)
    denoised = np.asarray(psnr_denoised, dtype=np.float64)
    if not levels.shape == noisy.shape == denoised.shape:
        raise ValueError(f"Got {levels.size} levels, {noisy.size} input and {denoised.size} output PSNR values.")
    figure = go.Figure()
    input_colour, output_colour = colours(2)
    for start, end in helps:
        figure.add_vrect(x0=start, x1=end, fillcolor="rgba(44, 160, 44, 0.10)", line_width=0, layer="below")
    if helps:
        figure.add_annotation(
            x=(helps[0][0] + helps[0][1]) / 2, y=1, yref="paper", yanchor="bottom", showarrow=False,
            text="output beats input", font={"color": "rgb(44, 120, 44)"},
        )  # fmt: skip
    hover = "level %{x:.2f}: %{y:.2f} dB<extra>%{fullData.name}</extra>"
    figure.add_trace(
        go.Scatter(
            x=levels, y=np.where(np.isfinite(noisy), noisy, np.nan), mode="lines+markers", name="noisy input",
            line={"color": input_colour, "dash": "dot"}, hovertemplate=hover,
        )
    )  # fmt: skip
    figure.add_trace(
        go.Scatter(
            x=levels, y=denoised, mode="lines+markers", name="model output",
            line={"color": output_colour, "width": 2.5}, hovertemplate=hover,
        )
    )  # fmt: skip
    if trained_level is not None:
        figure.add_vline(
            x=trained_level, line={"color": "black", "dash": "dash", "width": 1.5},
            annotation_text=trained_label, annotation_position="bottom right",
        )  # fmt: skip
    finite = np.concatenate([noisy[np.isfinite(noisy)], denoised[np.isfinite(denoised)]])
    shown = finite[finite <= PSNR_AXIS_CAP]
    low = float(shown.min()) if shown.size else 0.0
    high = float(shown.max()) if shown.size else PSNR_AXIS_CAP
    margin = max(1.0, 0.06 * (high - low))
    figure.update_yaxes(range=[low - margin, high + 2 * margin])
    figure.update_xaxes(range=[levels.min() - 0.02, levels.max() + 0.02])
    figure = styled(figure, None, x_title, "PSNR (dB)")
    figure.update_layout(legend={"orientation": "h", "yanchor": "bottom", "y": 1.06, "x": 0})
    return figure
