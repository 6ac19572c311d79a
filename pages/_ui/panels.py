"""Pieces several pages draw: a chart at the page's size, figures cached per preview, the run picker."""

from __future__ import annotations

import threading
import zlib
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

import streamlit as st

if TYPE_CHECKING:
    from aecore.runs.snapshots import Snapshot

#: chart heights in pixels, so rows of charts line up
CHART_HEIGHT = 340
#: how many figures the process keeps for the tabs that show them (a few per run being watched)
SHARED_FIGURES = 256
_figures: OrderedDict[tuple, Any] = OrderedDict()
_figures_lock = threading.Lock()
#: how each test metric is labelled and printed, wherever a page shows it
METRIC_LABELS = {
    "test_mse": ("Test MSE", "{:.4f}"),
    "test_psnr": ("Test PSNR (dB)", "{:.2f}"),
    "test_psnr_noisy_input": ("Noisy input PSNR (dB)", "{:.2f}"),
    "test_ssim": ("Test SSIM", "{:.3f}"),
    "test_ssim_noisy_input": ("Noisy input SSIM", "{:.3f}"),
    "test_reconstruction": ("Test reconstruction loss", "{:.2f}"),
    "test_elbo": ("Test ELBO (nats)", "{:.1f}"),
    "test_nll": ("Test −log p(x) (nats)", "{:.1f}"),
    "test_images_unchanged_by_noise": ("Left alone by the noise", "{:,.0f} images"),
}


def shown_chart(figure: Any, key: str, height: int | None = CHART_HEIGHT, width: str = "stretch") -> None:
    """Show a figure at the page's chart height (None: the figure's own size, as image mosaics set it)."""
    if height is not None and figure.layout.height != height:  # a shared figure is set once, not per tab
        figure.update_layout(height=height)
    st.plotly_chart(figure, key=key, width=width, config={"displaylogo": False})


def shared_figure(key: tuple, build: Any) -> Any:
    """The figure for ``key``, built once for the whole process: every tab that polls the same state of a run
    (a class watching one run, or one tab polling each second while nothing changed) reuses it."""
    with _figures_lock:
        figure = _figures.get(key)
        if figure is not None:
            _figures.move_to_end(key)
            return figure
    figure = build()
    with _figures_lock:
        _figures[key] = figure
        while len(_figures) > SHARED_FIGURES:
            _figures.popitem(last=False)
    return figure


def preview_figure(snapshot: Snapshot, name: str, build: Any) -> Any:
    """A figure drawn from a run's preview, built once per preview (they change once an epoch, not per poll)."""
    return shared_figure((snapshot.run_id, name, "preview", snapshot.preview.epoch), build)


def curves_figure(snapshot: Snapshot, name: str, build: Any, *options: Any) -> Any:
    """A figure of a run's curves, built again only when the run has new points (or ``options`` change)."""
    stamp = (len(snapshot.batch_steps), len(snapshot.epoch_history), len(snapshot.live_changes))
    return shared_figure((snapshot.run_id, name, "curves", *stamp, *options), build)


def selection_key(prefix: str, ids: list[str]) -> str:
    """A table's widget key that changes with the rows it lists: Streamlit keeps a keyed table's selection by row
    position, so after a run is added, deleted or filtered out the same positions would name other runs."""
    return f"{prefix}-{zlib.crc32(','.join(ids).encode()):08x}"
