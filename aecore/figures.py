"""Plotly figure builders: numpy arrays in, ``go.Figure`` out, nothing of the UI.

Every figure sets ``layout.uirevision`` to one constant, so a zoom or a hidden legend entry survives the
live refreshes of a training run. TensorFlow is imported only inside ``kl_penalty_curve`` so pages open fast.
"""

from __future__ import annotations

import numpy as np
import pandas  # noqa: F401  (see below)
import plotly.express as px
import plotly.graph_objects as go
from plotly.colors import qualitative

from aecore.analysis import to_uint8
from aecore.curve_terms import coinciding_terms, term_label
from aecore.errors import AecoreError

# pandas is imported above, under Python's import lock, for a reason: plotly looks pandas up in ``sys.modules``
# without that lock, so a figure built while another thread (the server's TensorFlow warm-up, through Keras) was
# halfway through importing pandas failed with "partially initialized module 'pandas' has no attribute 'Series'".

#: Constant on every figure: plotly keeps the user's zoom and legend clicks while this value stays the same.
UIREVISION = "aecore"
#: Batch curves longer than this are drawn from evenly spaced points (the browser slows with many more).
MAX_LINE_POINTS = 2000
#: Scatters draw at most this many points (a seeded subset): more only hides structure and slows the page.
MAX_SCATTER_POINTS = 5000
#: Mosaic tiles are separated by this many white pixels.
MOSAIC_GAP = 2
#: A mosaic's tiles are drawn at most this big, and the whole picture fits in this box (screen pixels).
MOSAIC_MAX_TILE = 64
MOSAIC_MAX_WIDTH, MOSAIC_MAX_HEIGHT = 640, 760


def _use_slim_template() -> None:
    """Make plotly's white template, cut to the trace types drawn here, every new figure's template.

    Every ``go.Figure()`` copies the default template into itself, and naming one copies that too: with
    ``plotly_white`` (defaults for about forty trace types) on top of plotly's own, the two copies were most of
    the time of building a loss chart, which a live view does about once a second per run.
    """
    import plotly.io as pio

    white = pio.templates["plotly_white"]
    kinds = ("scatter", "scattergl", "bar", "heatmap", "histogram", "image")
    data = {kind: white.data[kind] for kind in kinds if white.data[kind]}
    pio.templates["aecore_white"] = go.layout.Template(layout=white.layout, data=data)
    pio.templates.default = "aecore_white"


_use_slim_template()


def styled(figure: go.Figure, title: str | None, x_title: str | None, y_title: str | None) -> go.Figure:
    """The look shared by every figure: white template, compact margins, axis titles, a constant uirevision."""
    figure.update_layout(
        title=title,
        margin={"l": 60, "r": 20, "t": 50 if title else 20, "b": 50},
        uirevision=UIREVISION,
        legend={"itemsizing": "constant"},
    )
    figure.update_xaxes(title=x_title)
    figure.update_yaxes(title=y_title)
    return figure


def colours(count: int) -> list[str]:
    """``count`` distinct colours: plotly's ten defaults, or 24 (repeating) when there are more things to tell apart."""
    palette = qualitative.Plotly if count <= len(qualitative.Plotly) else qualitative.Dark24
    return [palette[index % len(palette)] for index in range(count)]


def _thinned(steps: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """At most MAX_LINE_POINTS evenly spaced points of a curve, always keeping the first and the latest."""
    if len(steps) <= MAX_LINE_POINTS:
        return steps, values
    keep = np.unique(np.linspace(0, len(steps) - 1, MAX_LINE_POINTS).round().astype(int))
    return steps[keep], values[keep]


def _log_ticks(values: np.ndarray) -> dict[str, list]:
    """Ticks at 1, 2 and 5 × 10^k written out in full (plotly's own minor labels read "5, 2, 100, 5, 2")."""
    positive = values[np.isfinite(values) & (values > 0)]
    if positive.size == 0:
        return {}
    low, high = int(np.floor(np.log10(positive.min()))), int(np.ceil(np.log10(positive.max())))
    for mantissas in ((1, 2, 5), (1,)):
        ticks = [m * 10.0**k for k in range(low, high + 1) for m in mantissas]
        ticks = [t for t in ticks if positive.min() / 2 <= t <= positive.max() * 2]
        if len(ticks) <= 8:
            break
    return {"tickvals": ticks, "ticktext": [f"{tick:g}" for tick in ticks]}


def loss_curves(
    batch_steps: np.ndarray,
    batch_terms: dict[str, np.ndarray],
    epoch_steps: np.ndarray,
    validation_terms: dict[str, np.ndarray],
    log_y: bool = False,
    x_title: str = "batch",
    y_title: str = "loss",
    x_max: float | None = None,
) -> go.Figure:
    """Every loss term per batch as a line, its validation values per epoch as dashed markers in the same colour.

    ``epoch_steps`` are the global batch indices where each epoch ended, so both share one x axis. Also serves
    a single term over time (e.g. the sparsity term per epoch): pass one term and ``x_title="epoch"``. With no
    terms yet it is the empty chart a run will fill, its x axis to ``x_max`` (the run's length) if given. Terms
    whose curves coincide (the total when no penalty is on) are drawn once, named for all of them.
    """
    batch_steps, epoch_steps = np.asarray(batch_steps), np.asarray(epoch_steps)
    for name, values in batch_terms.items():
        if np.shape(values) != batch_steps.shape:
            raise ValueError(f"Term {name!r} has {np.size(values)} values for {batch_steps.size} batch steps.")
    for name, values in validation_terms.items():
        if np.shape(values) != epoch_steps.shape:
            raise ValueError(f"Validation term {name!r} has {np.size(values)} values for {epoch_steps.size} epochs.")
    drawn = coinciding_terms(batch_terms, validation_terms)
    colour_of = dict(zip(drawn, colours(len(drawn)), strict=True))
    figure = go.Figure()
    for name in drawn:
        if name not in batch_terms:
            continue
        x, y = _thinned(batch_steps, np.asarray(batch_terms[name], dtype=np.float64))
        figure.add_trace(
            go.Scatter(
                x=x,
                y=y,
                mode="lines",
                name=term_label(drawn[name]),
                legendgroup=name,
                # the total as a wide, faint band under the others: it runs close to its largest term, which
                # would vanish under a line drawn on top of it
                line={"color": colour_of[name], "width": 4 if name == "total" else 1.5},
                opacity=0.45 if name == "total" else None,
                zorder=-1 if name == "total" else 0,
            )
        )
    for name in drawn:
        if name not in validation_terms:
            continue
        figure.add_trace(
            go.Scatter(
                x=epoch_steps,
                y=np.asarray(validation_terms[name], dtype=np.float64),
                mode="lines+markers",
                name=f"{term_label(drawn[name])} (validation)",
                legendgroup=name,  # one legend entry per term: dashed is validation, as the page says
                showlegend=name not in batch_terms,
                line={"color": colour_of[name], "dash": "dash", "width": 2},
                marker={"size": 7},
            )
        )
    if log_y:
        plotted = [
            np.asarray(values, dtype=np.float64) for values in [*batch_terms.values(), *validation_terms.values()]
        ]
        figure.update_yaxes(type="log", **_log_ticks(np.concatenate([np.ravel(v) for v in plotted] or [np.ones(1)])))
    figure = styled(figure, None, x_title, y_title)
    if x_max is not None:
        figure.update_xaxes(range=[0, x_max])
    if not figure.data:  # no loss values yet: no made-up scale on the y axis
        figure.update_yaxes(showticklabels=False)
    # In a row above the plot: a legend beside a half-page chart squeezes the curves.
    figure.update_layout(legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0, "itemsizing": "constant"})
    return figure


def compared_curves(
    runs: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]],
    term: str,
    log_y: bool = False,
) -> go.Figure:
    """One loss term of several runs on one axis: ``runs[name] = (epochs, per-batch values, epoch ends, validation)``,
    x in epochs so runs with other batch sizes line up; one colour per run, validation dashed."""
    figure = go.Figure()
    plotted = []
    for (name, (x, values, epoch_ends, validation)), colour in zip(runs.items(), colours(len(runs)), strict=True):
        x_thin, y_thin = _thinned(np.asarray(x), np.asarray(values, dtype=np.float64))
        figure.add_trace(
            go.Scatter(
                x=x_thin, y=y_thin, mode="lines", name=name, legendgroup=name, line={"color": colour, "width": 1.5}
            )
        )
        if len(validation):
            figure.add_trace(
                go.Scatter(
                    x=epoch_ends,
                    y=validation,
                    mode="lines+markers",
                    name=f"{name} (validation)",
                    legendgroup=name,
                    showlegend=False,
                    line={"color": colour, "dash": "dash", "width": 2},
                    marker={"size": 6},
                )
            )
        plotted += [np.ravel(values), np.ravel(validation)]
    if log_y:
        figure.update_yaxes(type="log", **_log_ticks(np.concatenate(plotted or [np.ones(1)])))
    figure = styled(figure, None, "epoch", term.replace("_", " "))
    figure.update_layout(legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0})
    return figure


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


def kl_penalty_curve(rho: float, rho_hat: np.ndarray | None = None) -> go.Figure:
    """The sparsity penalty KL(ρ‖ρ̂) against ρ̂, zero at ρ̂ = ρ (the seed paper's Figure 5), with every unit on it.

    Each hidden unit j sits at (ρ̂_j, KL(ρ‖ρ̂_j)): how far its mean activation is from the target, and
    how much it costs.
    """
    from aecore.losses import bernoulli_kl  # imports TensorFlow: only here, so pages open fast

    if not 0.0 < rho < 1.0:
        raise AecoreError(f"The target activation ρ must lie strictly between 0 and 1, got {rho}.")
    p = np.union1d(np.linspace(0.001, 0.999, 999), [rho])
    figure = go.Figure(
        go.Scatter(x=p, y=bernoulli_kl(rho, p).numpy(), mode="lines", name=f"KL({rho:g}‖ρ̂)", line={"width": 2})
    )
    figure.add_vline(  # the label beside the line, not across it
        x=rho, line_dash="dash", line_color="grey", annotation_text=f"ρ = {rho:g}", annotation_xshift=6
    )
    if rho_hat is not None:
        units = np.asarray(rho_hat, dtype=np.float64).ravel()
        figure.add_trace(
            go.Scatter(
                x=units,
                y=bernoulli_kl(rho, units).numpy(),
                mode="markers",
                name="units",
                customdata=np.arange(1, units.size + 1),
                hovertemplate="unit %{customdata}<br>ρ̂ = %{x:.3f}<br>KL = %{y:.4f}<extra></extra>",
                marker={"size": 7, "opacity": 0.7},
            )
        )
    figure.update_xaxes(range=[0, 1])
    return styled(figure, None, "ρ̂ (mean activation of a unit)", "KL(ρ‖ρ̂)")


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
