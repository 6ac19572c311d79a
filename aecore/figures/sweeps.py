"""Figures of a sweep: a metric against one setting with error bars, a heat map over two, and every run's
validation curve coloured by its setting. Arrays in, ``go.Figure`` out, as in ``aecore.figures.style``."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.colors import sample_colorscale

from aecore.figures.style import UIREVISION, styled

COLOURSCALE = "Viridis"


def _axis(values: list) -> tuple[list, dict]:
    """Numbers stay numbers (a log axis when they span more than a decade); anything else becomes a category."""
    if all(isinstance(value, (int, float)) and not isinstance(value, bool) for value in values):
        positive = [value for value in values if value > 0]
        log = len(positive) == len(values) and len(values) > 2 and max(values) / min(values) > 30
        return list(values), {"type": "log"} if log else {}
    return [str(value) for value in values], {"type": "category"}


def metric_against_setting(
    values: list, means: np.ndarray, sds: np.ndarray, counts: list[int], setting: str, metric: str
) -> go.Figure:
    """The mean over seeds at each value of one setting, ± one standard deviation as error bars."""
    x, axis = _axis(values)
    figure = go.Figure(
        go.Scatter(
            x=x,
            y=means,
            error_y={"type": "data", "array": sds, "visible": True},
            mode="lines+markers",
            name=metric,
            customdata=np.stack([np.asarray(sds, dtype=float), np.asarray(counts, dtype=float)], axis=1),
            hovertemplate=f"{setting} = %{{x}}<br>{metric}: %{{y:.4g}} ± %{{customdata[0]:.2g}}"
            "<br>n = %{customdata[1]:.0f}<extra></extra>",
        )
    )
    figure = styled(figure, None, setting, metric)
    figure.update_xaxes(**axis)
    return figure


def metric_heatmap(
    x_values: list,
    y_values: list,
    means: np.ndarray,
    sds: np.ndarray,
    counts: np.ndarray,
    x_setting: str,
    y_setting: str,
    metric: str,
) -> go.Figure:
    """A two-setting sweep: one cell per pair, coloured by the mean; hover shows mean ± sd and n."""
    x_labels = [str(value) for value in x_values]
    y_labels = [str(value) for value in y_values]
    figure = go.Figure(
        go.Heatmap(
            x=x_labels,
            y=y_labels,
            z=means,
            colorscale=COLOURSCALE,
            colorbar={"title": {"text": metric}},
            customdata=np.stack([sds, counts], axis=-1),
            hovertemplate=f"{x_setting} = %{{x}}, {y_setting} = %{{y}}<br>{metric}: %{{z:.4g}} ± "
            "%{customdata[0]:.2g}<br>n = %{customdata[1]:.0f}<extra></extra>",
        )
    )
    figure = styled(figure, None, x_setting, y_setting)
    figure.update_xaxes(type="category")
    figure.update_yaxes(type="category")
    return figure


def curves_by_setting(
    curves: list[tuple[float, str, np.ndarray, np.ndarray]],
    y_title: str,
    log_y: bool = True,
    spreads: list[np.ndarray | None] | None = None,
) -> go.Figure:
    """Every run's validation curve, ``(value, label, epochs, losses)``, coloured by its value of one setting;
    ``y_title`` names the loss and its unit. ``spreads[i]`` (a curve that is the mean of seeds) adds ± one standard
    deviation as error bars."""
    numeric = [value for value, *_ in curves if isinstance(value, (int, float)) and not isinstance(value, bool)]
    low, high = (min(numeric), max(numeric)) if len(numeric) == len(curves) and curves else (0, 0)
    figure = go.Figure()
    categories = list(dict.fromkeys(str(value) for value, *_ in curves))
    for index, (value, label, epochs, losses) in enumerate(curves):
        spread = spreads[index] if spreads else None
        if high > low:
            position = (value - low) / (high - low)
        else:
            position = categories.index(str(value)) / max(len(categories) - 1, 1)
        colour = sample_colorscale(COLOURSCALE, [position])[0]
        figure.add_trace(
            go.Scatter(
                x=epochs,
                y=losses,
                mode="lines+markers",
                name=label,
                legendgroup=str(value),
                line={"color": colour, "width": 1.5},
                marker={"size": 5},
                error_y=None if spread is None else {"type": "data", "array": spread, "thickness": 1, "width": 3},
                hovertemplate=f"{label}<br>epoch %{{x}}: %{{y:.4g}}<extra></extra>",
            )
        )
    figure = styled(figure, None, "epoch", y_title)
    if log_y:
        figure.update_yaxes(type="log")
    figure.update_layout(showlegend=len(curves) <= 12, uirevision=UIREVISION)
    return figure


def importance_bars(labels: list[str], importances: list[float], correlations: list[float], dummy_p95: float,
                    metric: str) -> go.Figure:  # fmt: skip
    """Each setting's permutation importance as a bar, the dummy's 95th percentile as the line to beat; the rank
    correlation on hover and at the bar's end."""
    mattered = [value > dummy_p95 for value in importances]
    figure = go.Figure(
        go.Bar(
            x=importances,
            y=labels,
            orientation="h",
            marker={"color": ["#4f46e5" if beat else "#c7c9d9" for beat in mattered]},
            text=[f"ρₛ {value:+.2f}" if np.isfinite(value) else "" for value in correlations],
            textposition="outside",
            cliponaxis=False,
            customdata=np.column_stack([correlations]),
            hovertemplate="<b>%{y}</b><br>importance %{x:.3g}<br>rank correlation %{customdata[0]:+.2f}<extra></extra>",
        )
    )
    figure.add_vline(
        x=dummy_p95,
        line={"dash": "dash", "color": "#6b7280"},
        annotation={"text": "a random setting's 95th percentile", "yanchor": "bottom", "font": {"size": 11}},
        annotation_position="top right",
    )
    figure = styled(figure, None, f"permutation importance for {metric}", "")
    figure.update_yaxes(autorange="reversed")
    widest = max([dummy_p95, *importances, 0.0])
    figure.update_xaxes(range=[min([0.0, *importances]), widest * 1.25 or 1.0])  # room for the ρₛ text
    figure.update_layout(
        height=140 + 40 * len(labels), showlegend=False, uirevision=UIREVISION, margin={"t": 40, "r": 60}
    )
    return figure


def _dimension(label: str, values: list | np.ndarray) -> dict:
    """A parallel-coordinates axis: numbers as they are, anything else as evenly spaced named ticks."""
    if all(isinstance(value, (int, float, np.floating)) and not isinstance(value, bool) for value in values):
        return {"label": label, "values": np.asarray(values, dtype=np.float64)}
    names = sorted({str(value) for value in values})
    return {
        "label": label,
        "values": [names.index(str(value)) for value in values],
        "tickvals": list(range(len(names))),
        "ticktext": names,
    }


def parallel_coordinates(columns: dict[str, list | np.ndarray], colour_by: str) -> go.Figure:
    """One axis per varying setting and per metric, one line per run, coloured by ``colour_by`` (a metric); drag
    along an axis to keep a range of its lines."""
    colour = np.asarray(columns[colour_by], dtype=np.float64)
    figure = go.Figure(
        go.Parcoords(
            line={
                "color": colour,
                "colorscale": COLOURSCALE,
                "showscale": True,
                "colorbar": {"title": colour_by, "x": 1.04, "thickness": 14},
            },
            dimensions=[_dimension(label, values) for label, values in columns.items()],
            labelangle=0,
        )
    )
    figure.update_layout(height=420, margin={"l": 70, "r": 120, "t": 60, "b": 30}, uirevision=UIREVISION)
    return figure


def scatter_matrix(settings: dict[str, list], metric: str, values: np.ndarray) -> go.Figure:
    """TensorBoard HParams' scatter view: each varying setting against the metric, one panel each, one dot per
    run."""
    from plotly.subplots import make_subplots

    names = list(settings)
    figure = make_subplots(rows=1, cols=max(1, len(names)), shared_yaxes=True, horizontal_spacing=0.04)
    for index, name in enumerate(names, start=1):
        x, axis = _axis(list(settings[name]))
        figure.add_trace(
            go.Scatter(
                x=x, y=values, mode="markers", marker={"size": 8, "color": "#4f46e5", "opacity": 0.75},
                hovertemplate=f"{name} %{{x}}<br>{metric} %{{y:.4g}}<extra></extra>", showlegend=False,
            ),
            row=1, col=index,
        )  # fmt: skip
        figure.update_xaxes(title_text=name, row=1, col=index, **axis)
    figure.update_yaxes(title_text=metric, row=1, col=1)
    figure.update_layout(height=320, margin={"l": 60, "r": 20, "t": 20, "b": 50}, uirevision=UIREVISION)
    return figure
