"""The frame every page shares: the logo, the tab's icon and the sidebar (this tab's run, the student's name).

``app.py`` draws it before a page, or after the Train page, which draws its heading first (docs/performance.md).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from aecore.settings.variants import VARIANTS
from pages import _ui as ui


def draw_frame(icon: Path, on_train_page: bool) -> None:
    """The frame around a page; the run store is opened first, so a link naming an uploaded dataset finds it."""
    st.set_page_config(page_icon=str(icon))
    st.logo(str(icon), size="large")
    ui.run_store()
    with st.sidebar:
        st.markdown("### Current run")
        run_card(on_train_page)
        st.text_input(
            "Your name",
            key=ui.STUDENT_KEY,
            max_chars=40,
            placeholder="for the Class page",
            help="Shown with the runs you start from now on, on the Class page a teacher projects; kept with this tab.",
        )


def run_card(on_train_page: bool) -> None:
    """This tab's run, its dataset and device, and how busy the server is."""
    entry = ui.current_run()
    snapshot = ui.run_snapshot(entry)
    running = ui.is_live(snapshot, entry)
    # one poll per tab: on the Train page its live view polls, and its end reruns the whole page, sidebar too
    polls = running and not on_train_page

    @st.fragment(run_every=ui.POLL_SECONDS if polls else None)
    def card() -> None:
        shown = ui.run_snapshot(entry)
        if shown is None:
            values = ui.control_values()
            devices = dict(ui.warm_up().devices)
            st.markdown("**No run yet**")
            st.caption("Choose a variant on the Train page and press Train.")
            st.markdown(f"Dataset: `{values['dataset']}`  \nDevice: {devices.get(values['device'], values['device'])}")
            return
        config = shown.config
        stopping = ui.stop_requested(entry)
        status = ui.status_text(shown, stopping)
        st.markdown(f"{ui.STATUS_ICONS.get(shown.status, '')} **{status.capitalize()}** · run `{shown.run_id}`")
        st.markdown(
            f"Variant: {VARIANTS[config.model.variant].title}  \n"
            f"Dataset: `{config.dataset}`  \n"
            f"Device: {shown.device or config.training.device}"
        )
        if shown.status != "queued" and (polls or not ui.is_live(shown, entry)):
            epochs = config.training.epochs
            st.progress(shown.progress, text=f"Epoch {min(shown.epoch + 1, epochs)} of {epochs}")
        elif shown.status != "queued":  # the Train page's live view shows the progress; a copy here would lag it
            st.caption("Its progress is on this page.")
        elif shown.queue_position:
            st.caption(f"Position {shown.queue_position} in the queue.")
        if shown.status == "failed":
            st.caption(shown.message)
        manager = ui.guarded(ui.job_manager, "Training is not available") if ui.warm_up().ready.is_set() else None
        if manager is not None:
            where = "Ray cluster" if manager.backend == "ray" else "Server"
            st.caption(
                f"{where}: {manager.running_count} training, {manager.waiting_count} waiting, "
                f"{manager.max_concurrent} at once."
            )
        if polls and not ui.is_live(shown, entry):
            st.rerun()

    card()
