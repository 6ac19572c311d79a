"""Loss curves as they grow batch by batch, runs compared on one chart, and the KL penalty curve."""

from __future__ import annotations

import numpy as np
import pandas  # noqa: F401  (see below)
import plotly.graph_objects as go

from aecore.errors import AecoreError
from aecore.figures.curve_terms import coinciding_terms, term_label
from aecore.figures.style import colours, styled

#: Batch curves longer than this are drawn from evenly spaced points (the browser slows with many more).
MAX_LINE_POINTS = 2000


def thinned(steps: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """At most MAX_LINE_POINTS evenly spaced points of a curve, always keeping the first and the latest."""
    if len(steps) <= MAX_LINE_POINTS:
        return steps, values
    keep = np.unique(np.linspace(0, len(steps) - 1, MAX_LINE_POINTS).round().astype(int))
    return steps[keep], values[keep]


def log_ticks(values: np.ndarray) -> dict[str, list]:
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
    markers: list[tuple[float, str]] | None = None,
    references: dict[str, float] | None = None,
) -> go.Figure:
    """Every loss term per batch as a line, its validation values per epoch as dashed markers in the same colour.

    ``epoch_steps`` are the global batch indices where each epoch ended, so both share one x axis. Also serves
    a single term over time (e.g. the sparsity term per epoch): pass one term and ``x_title="epoch"``. With no
    terms yet it is the empty chart a run will fill, its x axis to ``x_max`` (the run's length) if given. Terms
    whose curves coincide (the total when no penalty is on) are drawn once, named for all of them. ``markers``
    are ``(batch, label)`` pairs drawn as labelled vertical lines just before that batch: settings changed live.
    ``references`` are losses drawn as labelled horizontal lines (``aecore.explore.baselines``).
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
        x, y = thinned(batch_steps, np.asarray(batch_terms[name], dtype=np.float64))
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
        drawn_values = [*batch_terms.values(), *validation_terms.values(), list((references or {}).values())]
        plotted = [np.asarray(values, dtype=np.float64) for values in drawn_values]
        figure.update_yaxes(type="log", **log_ticks(np.concatenate([np.ravel(v) for v in plotted] or [np.ones(1)])))
    figure = styled(figure, None, x_title, y_title)
    if x_max is not None:
        figure.update_xaxes(range=[0, x_max])
    if not figure.data:  # no loss values yet: no made-up scale on the y axis
        figure.update_yaxes(showticklabels=False)
    span = [0.0, float(x_max or (batch_steps[-1] if batch_steps.size else 1.0))]
    for (label, value), dash in zip((references or {}).items(), ("dash", "dot", "dashdot"), strict=False):
        # a trace, not a shape: on a log axis plotly places a shape's annotation by log10 of its value
        figure.add_trace(
            go.Scatter(
                x=span, y=[value, value], mode="lines", name=f"{label}: {value:.3g}", hoverinfo="name",
                line={"color": "#555", "dash": dash, "width": 1.2},
            )
        )  # fmt: skip
    for batch, label in markers or []:
        figure.add_vline(
            x=batch - 0.5,
            line={"dash": "dot", "color": "#444", "width": 1.5},
            annotation={"text": label, "textangle": -90, "font": {"size": 11}},
            annotation_position="top left",
        )
    # In a row above the plot: a legend beside a half-page chart squeezes the curves.
    figure.update_layout(legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0, "itemsizing": "constant"})
    return figure


def compared_curves(
    runs: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]],
    term: str,
    log_y: bool = False,
    spreads: dict[str, np.ndarray] | None = None,
) -> go.Figure:
    """One loss term of several runs on one axis: ``runs[name] = (epochs, per-batch values, epoch ends, validation)``,
    x in epochs so runs with other batch sizes line up; one colour per run, validation dashed. ``spreads[name]``
    (seeds shown as their mean) draws ± one standard deviation around the per-batch line as a band."""
    figure = go.Figure()
    plotted = []
    for (name, (x, values, epoch_ends, validation)), colour in zip(runs.items(), colours(len(runs)), strict=True):
        x_thin, y_thin = thinned(np.asarray(x), np.asarray(values, dtype=np.float64))
        if spreads and name in spreads:
            _, sd_thin = thinned(np.asarray(x), np.asarray(spreads[name], dtype=np.float64))
            band_x = np.concatenate([x_thin, x_thin[::-1]])
            band_y = np.concatenate([y_thin + sd_thin, np.maximum(y_thin - sd_thin, 1e-12)[::-1]])
            figure.add_trace(
                go.Scatter(
                    x=band_x, y=band_y, fill="toself", fillcolor=colour, opacity=0.18, line={"width": 0},
                    hoverinfo="skip", legendgroup=name, showlegend=False, name=f"{name} ± sd",
                )
            )  # fmt: skip
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
        figure.update_yaxes(type="log", **log_ticks(np.concatenate(plotted or [np.ones(1)])))
    figure = styled(figure, None, "epoch", term.replace("_", " "))
    figure.update_layout(legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0})
    return figure


def kl_penalty_curve(rho: float, rho_hat: np.ndarray | None = None) -> go.Figure:
    """The sparsity penalty KL(ρ‖ρ̂) against ρ̂, zero at ρ̂ = ρ (the seed paper's Figure 5), with every unit on it.

    Each hidden unit j sits at (ρ̂_j, KL(ρ‖ρ̂_j)): how far its mean activation is from the target, and
    how much it costs.
    """
    from aecore.models.losses import bernoulli_kl  # imports TensorFlow: only here, so pages open fast

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
