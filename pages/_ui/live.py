"""The live view of a run: its status, then the panels of ``live_panels`` laid out for the screen, drawn from
snapshots.

A page calls ``live_view``; it polls the run while it changes (a fragment on a timer, its interval one per phase of
the run) and stops polling once it ends.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import streamlit as st

from aecore.runs.snapshots import FAILED, FINISHED, INTERRUPTED, QUEUED, RUNNING, STOPPED
from pages import _ui as ui
from pages._ui.live_panels import (
    BASE_TERMS,
    loss_panel,
    panels_after_probes,
    penalty_history_panel,
    probe_panel,
)

if TYPE_CHECKING:
    from aecore.runs.snapshots import Snapshot


def status_panel(snapshot: Snapshot, entry: ui.RunEntry) -> None:
    stopping = ui.stop_requested(entry)
    if not entry.owned and not snapshot.ended:
        st.caption("You are watching a run that another tab started: only that tab can stop it.")
    if snapshot.status == FAILED:
        st.error(f"**The run failed.** {snapshot.message}", icon=":material/error:")
    elif snapshot.status == STOPPED or (snapshot.status == QUEUED and stopping):
        st.info(snapshot.message or "Stopped before it started.", icon=":material/stop_circle:")
    elif snapshot.status == QUEUED:
        st.info(ui.queue_text(snapshot, ui.job_manager()), icon=":material/hourglass_top:")
    elif snapshot.status == INTERRUPTED:
        st.warning(
            f"{snapshot.message} Resume it from the **Runs** page to continue from its last checkpoint.",
            icon=":material/power_off:",
        )
    elif snapshot.status == RUNNING and snapshot.training_stopped:
        st.info(f"{snapshot.message} Saving it…", icon=":material/stop_circle:")
    elif snapshot.status == RUNNING and not snapshot.batch_steps.size:
        st.caption("Building the model and loading the data…")
    if snapshot.store_error:
        st.warning(f"{snapshot.store_error} Download the model below once it ends.", icon=":material/save:")
    text = ui.progress_text(snapshot) if snapshot.status != QUEUED else "Waiting…"
    if snapshot.status == FINISHED:
        text = "Finished · " + text
    elif snapshot.status == RUNNING and snapshot.training_stopped:
        text = "Stopped, saving… · " + text
    elif snapshot.status == RUNNING and stopping:
        text = "Stopping… · " + text
    elif snapshot.status == RUNNING and ui.is_pausing(entry, snapshot):
        text = "Pausing: the batches under way finish first · " + text
    elif snapshot.status == RUNNING and ui.is_paused(entry, snapshot):
        text = "Paused: press Step for one batch, or Continue · " + text
    elif snapshot.status == RUNNING and snapshot.pace:
        text = f"Slow motion, {ui.pace_label(snapshot.pace)} · " + text
    st.progress(snapshot.progress, text=text)
    if snapshot.laying_out is not None:
        fraction, what = snapshot.laying_out
        st.progress(min(fraction, 1.0), text=f"Projecting codes for the Latent space page · {what}")
        st.caption(
            "PCA, t-SNE and UMAP of every test image's code, so the Latent space page opens them at once. **Stop** "
            "ends it, and a run waiting for the server takes its place; the page computes what is left when asked."
        )


def draw_run(snapshot: Snapshot, entry: ui.RunEntry) -> None:
    """Everything the live view shows for one snapshot."""
    status_panel(snapshot, entry)
    if not snapshot.batch_steps.size:
        return
    penalties = [term for term in snapshot.batch_terms if term not in BASE_TERMS]
    if ui.projector_on() and snapshot.preview is not None:
        # one screen for a class: the loss, the probes and the variant's own plot side by side, nothing below
        for column, panel in zip(st.columns(3, gap="medium"), [loss_panel, probe_panel,
                                 panels_after_probes(snapshot, penalties)[0]], strict=True):  # fmt: skip
            with column:
                panel(snapshot)
        return
    # beside two kinds of probe image (input, output) the loss chart takes the wider share, for the legend above
    # it; three kinds (clean, noisy, denoised) need half the row to keep their labels level
    noisy = snapshot.config.noise.level > 0
    first, second = st.columns([1, 1] if noisy else [3, 2], gap="medium")
    with first:
        loss_panel(snapshot)
    with second:
        if snapshot.preview is not None:
            probe_panel(snapshot)
        else:
            st.caption("The probe images, the code and its traversal appear after the first epoch.")
            if penalties:
                penalty_history_panel(snapshot, penalties)
    if snapshot.preview is None:
        return
    panels = panels_after_probes(snapshot, penalties)
    for start in range(0, len(panels), 2):
        for column, panel in zip(st.columns(2, gap="medium"), panels[start : start + 2], strict=False):
            with column:
                panel(snapshot)


def poll_interval(snapshot: Snapshot, entry: ui.RunEntry) -> float | None:
    """How often the live view polls: quickly until the first loss point shows and once Stop was pressed, once a
    second while it trains, seldom while it waits its turn in the queue or its codes are laid out, never once
    that is over."""
    if not ui.is_live(snapshot, entry):
        return None
    if ui.stop_requested(entry):
        return ui.STOPPING_POLL_SECONDS
    if snapshot.ended:  # live once ended only while its codes are laid out
        return ui.LAYING_OUT_POLL_SECONDS
    if snapshot.status == RUNNING and ui.is_pausing(entry, snapshot):
        return ui.PAUSING_POLL_SECONDS
    if snapshot.status == RUNNING and (snapshot.pace or ui.is_paused(entry, snapshot)):
        return ui.SLOW_POLL_SECONDS
    if snapshot.status == QUEUED and snapshot.queue_position is not None:
        return ui.QUEUED_POLL_SECONDS
    return ui.POLL_SECONDS if snapshot.batch_steps.size else ui.FIRST_POINT_POLL_SECONDS


@functools.cache
def polled_view(interval: float | None) -> Any:
    """The live view as a fragment that polls its run every ``interval`` seconds (never for None).

    Each interval is a fragment of its own name. Streamlit knows a fragment by its function's name and place, and
    drops a timer tick for a fragment that the last full rerun did not draw. With one name for every phase, a tick
    of the phase before ran the fragment again just after the full rerun that ended that phase, and Chromium then
    failed on the late update ("Cannot set a node at a delta path": a blank tab) or stopped showing the run.
    """

    def view(entry: ui.RunEntry) -> None:
        current = ui.run_snapshot(entry)
        if current is None:
            st.info("This run is no longer on the server.")
            return
        draw_run(current, entry)
        if interval is not None and poll_interval(current, entry) != interval:
            st.rerun()

    view.__qualname__ = f"live_view_polled_every_{interval}s" if interval else "live_view_unpolled"
    return st.fragment(view, run_every=interval)


def live_view(entry: ui.RunEntry, snapshot: Snapshot) -> None:
    """The tab's one poll (a fragment on a timer); when the run moves to another phase (starts, draws its first
    point, ends) one full rerun sets the next interval, and the page's own controls follow."""
    polled_view(poll_interval(snapshot, entry))(entry)
