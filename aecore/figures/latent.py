"""Figures of the Latent space and Sparsity pages: codes you can select, a single image, unit activity bars,
weight tiles. Arrays in, ``go.Figure`` out, as in ``aecore.figures.style``."""

from __future__ import annotations

import numpy as np
import pandas  # noqa: F401  (see below)
import plotly.graph_objects as go

from aecore.figures.mosaics import image_mosaic
from aecore.figures.style import UIREVISION, colours, styled


def selectable_codes(
    points: np.ndarray,
    labels: np.ndarray,
    class_names: list[str],
    axis_titles: list[str],
    marker: np.ndarray | None = None,
    indices: np.ndarray | None = None,
) -> go.Figure:
    """Codes coloured by class; each point carries its test image's index (``customdata``: ``indices``, by default
    the point's row) so a selection on the page names the image. ``marker`` (a point) adds a drawn digit as a black
    star."""
    dims = points.shape[1]
    indices = np.arange(len(points)) if indices is None else np.asarray(indices)
    figure = go.Figure()
    classes = np.unique(labels)
    for label, colour in zip(classes, colours(len(classes)), strict=True):
        chosen = np.flatnonzero(labels == label)
        name = class_names[int(label)] if int(label) < len(class_names) else str(label)
        style = {"size": 5 if dims == 2 else 2.5, "color": colour, "opacity": 0.75}
        hover = f"{name} · test image %{{customdata}}<extra></extra>"
        if dims == 2:
            trace = go.Scattergl(
                x=points[chosen, 0], y=points[chosen, 1], customdata=indices[chosen], hovertemplate=hover
            )
        else:
            x, y, z = points[chosen].T
            trace = go.Scatter3d(x=x, y=y, z=z, customdata=indices[chosen], hovertemplate=hover)
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
    """One bar per code unit for one image, one panel per model (sparse beside plain), each on its own y axis: a
    sigmoid code lives in 0..1 and a linear one may span ±10, so one shared axis would flatten the sparse bars."""
    from plotly.subplots import make_subplots

    figure = make_subplots(rows=1, cols=len(codes), subplot_titles=list(codes), horizontal_spacing=0.08)
    for column, ((name, code), colour) in enumerate(zip(codes.items(), colours(len(codes)), strict=True), start=1):
        values = np.ravel(code)
        figure.add_trace(
            go.Bar(x=np.arange(1, values.size + 1), y=values, name=name, marker={"color": colour}, showlegend=False),
            row=1,
            col=column,
        )
    styled(figure, None, "code unit", None)
    figure.update_yaxes(title_text=y_title, row=1, col=1)
    figure.update_annotations(font_size=12)
    figure.update_layout(bargap=0.1, margin={"t": 40})
    return figure


def weight_grid(tiles: np.ndarray, columns: int = 16, max_width: int = 900) -> go.Figure:
    """Weight tiles (N, h, w) in [0, 1] as a grid, row-major, ``columns`` wide."""
    count = len(tiles)
    rows = -(-count // columns)
    padded = np.zeros((rows * columns, *tiles.shape[1:]), dtype=np.float32)
    padded[:count] = tiles
    return image_mosaic((padded * 255).astype(np.uint8).reshape(rows, columns, *tiles.shape[1:]), max_width=max_width)


#: Scatters draw at most this many points (a seeded subset): more only hides structure and slows the page.
MAX_SCATTER_POINTS = 5000


def rho_hat_histogram(rho_hat: np.ndarray, rho: float) -> go.Figure:
    """How the units' mean activations ρ̂_j spread around the target ρ (a sparse code piles them up near ρ)."""
    figure = go.Figure(
        go.Histogram(x=np.asarray(rho_hat, dtype=np.float64).ravel(), xbins={"start": 0, "end": 1, "size": 0.025})
    )
    figure.add_vline(  # the label beside the line, not across it
        x=rho, line_dash="dash", line_color="grey", annotation_text=f"ρ = {rho:g}", annotation_xshift=6
    )
    figure.update_xaxes(range=[0, 1])
    figure.update_layout(bargap=0.05)
    return styled(figure, None, "ρ̂ (mean activation of a unit)", "units")


def bar_per_dimension(values: np.ndarray, title: str, y_title: str) -> go.Figure:
    """One bar per code dimension z1..zK, e.g. the VAE's KL per dimension (near 0: a dimension it does not use)."""
    values = np.asarray(values, dtype=np.float64).ravel()
    figure = go.Figure(go.Bar(x=[f"z{dim}" for dim in range(1, values.size + 1)], y=values))
    return styled(figure, title, "code dimension", y_title)


def latent_scatter(
    points: np.ndarray,
    labels: np.ndarray | None = None,
    class_names: list[str] | None = None,
    title: str | None = None,
    axis_titles: list[str] | None = None,
) -> go.Figure:
    """2-D or 3-D scatter of codes, one colour and legend entry per class, at most 5,000 points (seeded subset).

    ``class_names[label]`` names integer labels; otherwise the label itself is shown.
    """
    points = np.asarray(points, dtype=np.float32)
    if points.ndim != 2 or points.shape[1] not in (2, 3):
        raise ValueError(f"Expected points shaped (N, 2) or (N, 3), got shape {points.shape}.")
    if labels is not None:
        labels = np.asarray(labels).ravel()
        if len(labels) != len(points):
            raise ValueError(f"Got {len(labels)} labels for {len(points)} points.")
    if len(points) > MAX_SCATTER_POINTS:
        keep = np.sort(np.random.default_rng(0).choice(len(points), size=MAX_SCATTER_POINTS, replace=False))
        points = points[keep]
        labels = None if labels is None else labels[keep]
    dims = points.shape[1]
    axis_titles = axis_titles or [f"z{dim}" for dim in range(1, dims + 1)]
    if labels is None:
        groups = [("codes", points)]
    else:
        classes = np.unique(labels)
        groups = [(class_names[int(c)] if class_names is not None else str(c), points[labels == c]) for c in classes]
    figure = go.Figure()
    for (name, chosen), colour in zip(groups, colours(len(groups)), strict=True):
        marker = {"size": 4 if dims == 2 else 2.5, "color": colour, "opacity": 0.75}
        if dims == 2:
            figure.add_trace(go.Scattergl(x=chosen[:, 0], y=chosen[:, 1], mode="markers", name=name, marker=marker))
        else:
            figure.add_trace(
                go.Scatter3d(x=chosen[:, 0], y=chosen[:, 1], z=chosen[:, 2], mode="markers", name=name, marker=marker)
            )
    if dims == 3:
        figure.update_layout(
            scene={f"{axis}axis": {"title": text} for axis, text in zip("xyz", axis_titles, strict=True)}
        )
        return styled(figure, title, None, None)
    return styled(figure, title, axis_titles[0], axis_titles[1])
