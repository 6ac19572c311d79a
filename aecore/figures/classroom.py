"""The Class page's figure: every run of a class on one log-scale loss chart, one line each."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from aecore.figures.curves import log_ticks, thinned
from aecore.figures.style import colours, styled


def class_loss_chart(runs: dict[str, tuple[np.ndarray, np.ndarray]], height: int = 420) -> go.Figure:
    """``runs[label] = (batch steps, total loss per batch)``: one line per run on a log axis, against the batch,
    each named on hover (a legend of thirty names would take the chart's place)."""
    figure = go.Figure()
    plotted = []
    for (label, (steps, values)), colour in zip(runs.items(), colours(len(runs)), strict=True):
        finite = np.isfinite(values) & (np.asarray(values) > 0)
        x, y = thinned(np.asarray(steps)[finite], np.asarray(values, dtype=np.float64)[finite])
        plotted.append(y)
        figure.add_trace(
            go.Scatter(
                x=x, y=y, mode="lines", name=label, line={"color": colour, "width": 2},
                hovertemplate=f"<b>{label}</b><br>batch %{{x}}<br>loss %{{y:.3g}}<extra></extra>",
            )
        )  # fmt: skip
    figure = styled(figure, None, "batch", "total loss (log)")
    values = np.concatenate(plotted) if plotted else np.ones(1)
    figure.update_yaxes(type="log", **log_ticks(values if values.size else np.ones(1)))
    figure.update_layout(height=height, showlegend=False, hovermode="closest")
    return figure
