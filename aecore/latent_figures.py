"""Figures of the Latent space and Sparsity pages: codes you can select, a single image, unit activity bars,
weight tiles. Arrays in, ``go.Figure`` out, as in ``aecore.figures``."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from aecore.figures import UIREVISION, colours, image_mosaic, styled


def selectable_codes(
    points: np.ndarray,
    labels: np.ndarray,
    class_names: list[str],
    axis_titles: list[str],
    marker: np.ndarray | None = None,
) -> go.Figure:
    """Codes coloured by class; each point carries its test image's index (``customdata``) so a selection on the
    page names the image. ``marker`` (a point) adds a drawn digit as a black star."""
    dims = points.shape[1]
    figure = go.Figure()
    classes = np.unique(labels)
    for label, colour in zip(classes, colours(len(classes)), strict=True):
        chosen = np.flatnonzero(labels == label)
        name = class_names[int(label)] if int(label) < len(class_names) else str(label)
        style = {"size": 5 if dims == 2 else 2.5, "color": colour, "opacity": 0.75}
        hover = f"{name} · test image %{{customdata}}<extra></extra>"
        if dims == 2:
            trace = go.Scattergl(x=points[chosen, 0], y=points[chosen, 1], customdata=chosen, hovertemplate=hover)
        else:
            trace = go.Scatter3d(
                x=points[chosen, 0], y=points[chosen, 1], z=points[chosen, 2], customdata=chosen, hovertemplate=hover
            )
        trace.update(mode="markers", name=name, marker=style)
        figure.add_trace(trace)
    if marker is not None:
        star = {"size": 16 if dims == 2 else 8, "color": "black", "symbol": "star" if dims == 2 else "diamond"}
        coordinates = dict(zip("xyz", ([value] for value in np.ravel(marker)[:dims]), strict=False))
        trace = go.Scatter(**coordinates) if dims == 2 else go.Scatter3d(**coordinates)
        trace.update(mode="markers", name="your drawing", marker=star, hoverinfo="name")
        figure.add_trace(trace)
    if dims == 3:
        figure.update_layout(scene={f"{axis}axis": {"title": t} for axis, t in zip("xyz", axis_titles, strict=True)})
        figure = styled(figure, None, None, None)
    else:
        figure = styled(figure, None, axis_titles[0], axis_titles[1])
    figure.update_layout(
        uirevision=UIREVISION, legend={"itemsizing": "constant"}, dragmode="select" if dims == 2 else None
    )
    return figure


def unit_activity(codes: dict[str, np.ndarray], y_title: str = "activation") -> go.Figure:
    """One bar per code unit for one image, a group of bars per model (sparse beside plain)."""
    figure = go.Figure()
    for (name, code), colour in zip(codes.items(), colours(len(codes)), strict=True):
        values = np.ravel(code)
        figure.add_trace(go.Bar(x=np.arange(1, values.size + 1), y=values, name=name, marker={"color": colour}))
    figure.update_layout(barmode="group", bargap=0.1, uirevision=UIREVISION)
    return styled(figure, None, "code unit", y_title)


def weight_grid(tiles: np.ndarray, columns: int = 16, max_width: int = 900) -> go.Figure:
    """Weight tiles (N, h, w) in [0, 1] as a grid, row-major, ``columns`` wide."""
    count = len(tiles)
    rows = -(-count // columns)
    padded = np.zeros((rows * columns, *tiles.shape[1:]), dtype=np.float32)
    padded[:count] = tiles
    return image_mosaic((padded * 255).astype(np.uint8).reshape(rows, columns, *tiles.shape[1:]), max_width=max_width)
