"""Plotly figure builders: numpy arrays in, ``go.Figure`` out, nothing of the UI.

Every figure sets ``layout.uirevision`` to one constant, so a zoom or a hidden legend entry survives the
live refreshes of a training run. TensorFlow is imported only inside ``kl_penalty_curve`` so pages open fast.
"""

from __future__ import annotations

import pandas  # noqa: F401  (see below)
import plotly.graph_objects as go
from plotly.colors import qualitative

#: Constant on every figure: plotly keeps the user's zoom and legend clicks while this value stays the same.
UIREVISION = "aecore"


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
