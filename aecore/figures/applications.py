"""Figures of the Applications page: anomaly score histograms, the ROC curve, a confusion matrix and rows of
nearest neighbours. Arrays in, ``go.Figure`` out, as in ``aecore.figures.style``."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from aecore.figures.mosaics import MOSAIC_GAP, image_mosaic
from aecore.figures.style import styled

NORMAL_COLOUR, HELD_OUT_COLOUR = "#1f77b4", "#d62728"
SAME_CLASS_COLOUR, OTHER_CLASS_COLOUR = "#2ca02c", "#d62728"
#: histogram bins shared by both groups, so their bars line up
HISTOGRAM_BINS = 60


def score_histograms(
    normal_scores: np.ndarray, held_out_scores: np.ndarray, threshold: float | None = None
) -> go.Figure:
    """The reconstruction errors of the normal and the held-out test images, as shares of their own group (the
    groups differ in size), on shared bins; a dashed line marks the threshold above which an image is flagged."""
    normal, held = np.ravel(normal_scores), np.ravel(held_out_scores)
    everything = np.concatenate([normal, held])
    if everything.size == 0:
        raise ValueError("Need at least one score to draw the histograms.")
    low, high = float(everything.min()), float(everything.max())
    bins = {"start": low, "end": high, "size": max(high - low, 1e-12) / HISTOGRAM_BINS}
    figure = go.Figure()
    for scores, name, colour in ((normal, "normal", NORMAL_COLOUR), (held, "held-out", HELD_OUT_COLOUR)):
        figure.add_trace(
            go.Histogram(
                x=scores,
                name=f"{name} ({scores.size:,})",
                xbins=bins,
                histnorm="percent",
                marker={"color": colour},
                opacity=0.6,
                hovertemplate="error %{x}<br>%{y:.1f}% of the group<extra>" + name + "</extra>",
            )
        )
    figure.update_layout(barmode="overlay", bargap=0.02)
    if threshold is not None:
        figure.add_vline(x=threshold, line={"dash": "dash", "color": "black", "width": 1.5})
        figure.add_annotation(
            x=threshold, y=1, yref="paper", text="threshold", showarrow=False, xanchor="left", yanchor="top"
        )
    figure = styled(figure, None, "reconstruction error (mean squared, per pixel)", "% of the group")
    figure.update_layout(legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0})
    return figure


def roc_figure(
    false_positive_rate: np.ndarray,
    true_positive_rate: np.ndarray,
    auc: float,
    point: tuple[float, float] | None = None,
) -> go.Figure:
    """The ROC curve with its area, the diagonal of a detector that guesses, and the threshold's operating point."""
    figure = go.Figure()
    figure.add_trace(
        go.Scatter(
            x=[0, 1], y=[0, 1], mode="lines", name="guessing (AUC 0.5)", line={"dash": "dot", "color": "#999999"}
        )
    )
    figure.add_trace(
        go.Scatter(
            x=np.ravel(false_positive_rate),
            y=np.ravel(true_positive_rate),
            mode="lines",
            name=f"reconstruction error (AUC {auc:.3f})",
            line={"color": HELD_OUT_COLOUR, "width": 2},
            fill="tozeroy",
            fillcolor="rgba(214, 39, 40, 0.08)",
            hovertemplate="false alarms %{x:.3f}<br>recall %{y:.3f}<extra></extra>",
        )
    )
    if point is not None:
        figure.add_trace(
            go.Scatter(
                x=[point[0]],
                y=[point[1]],
                mode="markers",
                name="the threshold",
                marker={"size": 12, "color": "black", "symbol": "x"},
            )
        )
    figure = styled(figure, None, "false positive rate (normal images flagged)", "true positive rate (recall)")
    figure.update_xaxes(range=[-0.01, 1.01], constrain="domain")
    figure.update_yaxes(range=[-0.01, 1.01], scaleanchor="x", scaleratio=1)
    figure.update_layout(legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0})
    return figure


def confusion_heatmap(counts: np.ndarray, class_names: list[str], cluster_names: list[str]) -> go.Figure:
    """Images of each class (rows) per cluster (columns), clusters under the class they are matched to: the
    diagonal is what the clustering got right, a bright cell off it two classes the code does not separate."""
    counts = np.asarray(counts)
    if counts.shape != (len(class_names), len(cluster_names)):
        raise ValueError(f"Counts shaped {counts.shape} need {len(class_names)} × {len(cluster_names)} names.")
    figure = go.Figure(
        go.Heatmap(
            z=counts,
            x=cluster_names,
            y=class_names,
            colorscale="Blues",
            text=counts,
            texttemplate="%{text}",
            hovertemplate="class %{y}, cluster %{x}: %{z} images<extra></extra>",
            colorbar={"title": "images"},
        )
    )
    figure = styled(figure, None, "cluster (named by the class it is matched to)", "true class")
    figure.update_xaxes(type="category", side="bottom")
    figure.update_yaxes(type="category", autorange="reversed")
    return figure


def neighbour_rows(
    rows: dict[str, np.ndarray], row_labels: dict[str, list[str]], same: dict[str, np.ndarray]
) -> go.Figure:
    """One row of neighbour images per space (each (k, H, W), equal k), every image tagged with its class in
    green when it is the query's class and in red when it is not."""
    names = list(rows)
    if set(row_labels) != set(names) or set(same) != set(names):
        raise ValueError("Every row needs its images, their class names and whether each matches the query.")
    figure = image_mosaic(
        np.stack([np.asarray(rows[name]) for name in names]), names, [str(j + 1) for j in range(len(rows[names[0]]))]
    )
    height, width = np.shape(rows[names[0]])[1:3]
    for row, name in enumerate(names):
        for column, (label, matches) in enumerate(zip(row_labels[name], np.ravel(same[name]), strict=True)):
            figure.add_annotation(
                x=column * (width + MOSAIC_GAP) + width - 1,
                y=row * (height + MOSAIC_GAP) + height - 1,
                text=label,
                showarrow=False,
                xanchor="right",
                yanchor="bottom",
                font={"size": 11, "color": "white"},
                bgcolor=SAME_CLASS_COLOUR if matches else OTHER_CLASS_COLOUR,
                borderpad=1,
            )
    return figure


def cluster_map(points: np.ndarray, assignments: np.ndarray, class_names: list[str]) -> go.Figure:
    """The images on a 2-D UMAP of their codes, coloured by the cluster each fell in; hover names its class."""
    from aecore.figures.style import colours

    figure = go.Figure()
    clusters = np.unique(assignments)
    for cluster, colour in zip(clusters, colours(len(clusters)), strict=True):
        chosen = np.flatnonzero(assignments == cluster)
        figure.add_trace(
            go.Scattergl(
                x=points[chosen, 0], y=points[chosen, 1], mode="markers", name=f"cluster {cluster}",
                marker={"size": 5, "color": colour, "opacity": 0.8},
                text=[class_names[index] for index in chosen],
                hovertemplate="cluster " + str(cluster) + "<br>class %{text}<extra></extra>",
            )
        )  # fmt: skip
    figure = styled(figure, None, "UMAP 1", "UMAP 2")
    figure.update_layout(legend={"itemsizing": "constant"})
    return figure
