"""Image mosaics: many small images as one heatmap, and labelled rows of images."""

from __future__ import annotations

import numpy as np
import pandas  # noqa: F401  (see below)
import plotly.express as px
import plotly.graph_objects as go

from aecore.analysis.pixels import to_uint8
from aecore.figures.style import MOSAIC_MAX_HEIGHT, MOSAIC_MAX_WIDTH, UIREVISION

#: Mosaic tiles are separated by this many white pixels.
MOSAIC_GAP = 2


#: A mosaic's tiles are drawn at most this big, and the whole picture fits in this box (screen pixels).
MOSAIC_MAX_TILE = 64


def image_mosaic(
    grid: np.ndarray,
    row_labels: list[str] | None = None,
    column_labels: list[str] | None = None,
    title: str | None = None,
    max_width: int = MOSAIC_MAX_WIDTH,
) -> go.Figure:
    """Show an (R, C, H, W) grid of grayscale images as ONE picture with thin white gaps and labelled rows/columns.

    One PNG image is far lighter for the browser than R·C separate images. Floats are taken to be in [0, 1].
    Serves traversals, the manifold grid, learned filters and (through ``image_rows``) reconstructions.
    """
    tiles = np.asarray(grid)
    if tiles.ndim == 5 and tiles.shape[-1] == 1:
        tiles = tiles[..., 0]
    if tiles.ndim != 4:
        raise ValueError(f"Expected an image grid shaped (R, C, H, W), got shape {tiles.shape}.")
    rows, columns, height, width = tiles.shape
    if tiles.dtype != np.uint8:
        tiles = to_uint8(tiles.reshape(-1, height, width)).reshape(tiles.shape)
    for labels, count, what in ((row_labels, rows, "row"), (column_labels, columns, "column")):
        if labels is not None and len(labels) != count:
            raise ValueError(f"Got {len(labels)} {what} labels for {count} {what}s.")
    mosaic = np.full(
        (rows * (height + MOSAIC_GAP) - MOSAIC_GAP, columns * (width + MOSAIC_GAP) - MOSAIC_GAP), 255, np.uint8
    )
    for row in range(rows):
        for column in range(columns):
            top, left = row * (height + MOSAIC_GAP), column * (width + MOSAIC_GAP)
            mosaic[top : top + height, left : left + width] = tiles[row, column]
    figure = px.imshow(mosaic, binary_string=True)
    figure.update_traces(hoverinfo="skip", hovertemplate=None)
    axis_style = {"showgrid": False, "zeroline": False, "ticks": "", "title": None}
    figure.update_xaxes(
        **axis_style,
        side="top",
        showticklabels=column_labels is not None,
        tickvals=[column * (width + MOSAIC_GAP) + (width - 1) / 2 for column in range(columns)],
        ticktext=column_labels,
    )
    figure.update_yaxes(
        **axis_style,
        showticklabels=row_labels is not None,
        tickvals=[row * (height + MOSAIC_GAP) + (height - 1) / 2 for row in range(rows)],
        ticktext=row_labels,
    )
    top_margin = (40 if title else 0) + (30 if column_labels is not None else 10)
    left_margin = 10 if row_labels is None else 20 + 8 * max(len(label) for label in row_labels)
    # The figure is sized to the picture (a fixed box would pad it with blank space): show it at its own width.
    tile = min(MOSAIC_MAX_TILE, (max_width - left_margin - 10) / columns, MOSAIC_MAX_HEIGHT / rows)
    figure.update_layout(
        title=title,
        margin={"l": left_margin, "r": 10, "t": top_margin, "b": 10},
        width=round(columns * tile * (width + MOSAIC_GAP) / width) + left_margin + 10,
        height=round(rows * tile * (height + MOSAIC_GAP) / height) + top_margin + 10,
        uirevision=UIREVISION,
    )
    return figure


def image_rows(rows: dict[str, np.ndarray], column_labels: list[str] | None = None) -> go.Figure:
    """One titled row per image set, e.g. "clean", "noisy input", "reconstruction": each (n, H, W) with equal n."""
    shapes = {name: np.shape(images)[:3] for name, images in rows.items()}
    if len(set(shapes.values())) != 1:
        raise ValueError(f"Every row needs the same number and size of images, got {shapes}.")
    return image_mosaic(np.stack([np.asarray(images) for images in rows.values()]), list(rows), column_labels)


def probe_strip(kinds: dict[str, np.ndarray], max_rows: int, max_width: int) -> go.Figure:
    """The probe images as a tall strip: each row shows one image in every kind (clean, noisy, rebuilt), two
    images side by side, at most ``max_rows`` rows; ``kinds`` maps a kind to its (images, H, W) stack."""
    stack = np.stack(list(kinds.values()))  # (kinds, images, H, W)
    groups = 2 if stack.shape[1] >= 2 else 1
    rows = min(max_rows, stack.shape[1] // groups)
    grid = stack[:, : rows * groups].reshape(len(kinds), groups, rows, *stack.shape[2:])
    grid = grid.transpose(2, 1, 0, 3, 4).reshape(rows, groups * len(kinds), *stack.shape[2:])
    figure = image_mosaic(grid, None, list(kinds) * groups, max_width=max_width)
    figure.update_xaxes(tickfont={"size": 11})  # "denoised" beside "clean" over tiles a thumb wide
    return figure
