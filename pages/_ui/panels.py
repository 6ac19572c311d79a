"""Pieces several pages draw: a chart at the page's size, figures cached per preview, the run picker."""

from __future__ import annotations

import zlib
from typing import Any

import streamlit as st

#: chart heights in pixels, so rows of charts line up
CHART_HEIGHT = 340
#: how each test metric is labelled and printed, wherever a page shows it
METRIC_LABELS = {
    "test_mse": ("Test MSE", "{:.4f}"),
    "test_psnr": ("Test PSNR (dB)", "{:.2f}"),
    "test_psnr_noisy_input": ("Noisy input PSNR (dB)", "{:.2f}"),
    "test_reconstruction": ("Test reconstruction loss", "{:.2f}"),
    "test_elbo": ("Test ELBO (nats)", "{:.1f}"),
}


def shown_chart(figure: Any, key: str, height: int | None = CHART_HEIGHT, width: str = "stretch") -> None:
    """Show a figure at the page's chart height (None: the figure's own size, as image mosaics set it)."""
    if height is not None:
        figure.update_layout(height=height)
    st.plotly_chart(figure, key=key, width=width, config={"displaylogo": False})


def preview_figure(snapshot: Any, name: str, build: Any) -> Any:
    """A figure drawn from a run's preview, built once per preview (they change once an epoch, not per poll)."""
    cache = st.session_state.setdefault("preview_figures", {})
    stamp = (snapshot.run_id, snapshot.preview.epoch)
    if cache.get("stamp") != stamp:
        cache.clear()
        cache["stamp"] = stamp
    if name not in cache:
        cache[name] = build()
    return cache[name]


def selection_key(prefix: str, ids: list[str]) -> str:
    """A table's widget key that changes with the rows it lists: Streamlit keeps a keyed table's selection by row
    position, so after a run is added, deleted or filtered out the same positions would name other runs."""
    return f"{prefix}-{zlib.crc32(','.join(ids).encode()):08x}"
