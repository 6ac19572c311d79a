"""Autoencoder Lab: the dashboard's entry point (page config, navigation, the frame every page shares).

Run with ``streamlit run app.py``. TensorFlow is imported by a background thread started at the
end of the first page run, so that page opens at once and Train is ready by the time a person presses it.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

ASSETS = Path(__file__).parent / "assets"
ICON = ASSETS / "icon.png"

# The tab's icon comes with the frame: a server's first image imports numpy and PIL, a fifth of a second
st.set_page_config(
    page_title="Autoencoder Lab",
    layout="wide",
    initial_sidebar_state="auto",  # collapsed on a phone or a small tablet
    menu_items={"About": "Autoencoder Lab: train autoencoders live in the browser and see how they learn."},
)
st.html(f"<style>{(ASSETS / 'style.css').read_text()}</style>")

navigation = st.navigation(
    [
        st.Page("pages/train.py", title="Train", icon=":material/model_training:", default=True),
        st.Page("pages/runs.py", title="Runs", icon=":material/history:"),
        st.Page("pages/sweeps.py", title="Sweeps", icon=":material/grid_on:"),
        st.Page("pages/latent.py", title="Latent space", icon=":material/scatter_plot:"),
        st.Page("pages/sparsity.py", title="Sparsity", icon=":material/grain:"),
        st.Page("pages/denoising.py", title="Denoising", icon=":material/blur_on:"),
        st.Page("pages/applications.py", title="Applications", icon=":material/apps:"),
        st.Page("pages/classroom.py", title="Class", icon=":material/groups:"),
        st.Page("pages/about.py", title="About", icon=":material/school:"),
    ],
    position="top",
)


def sidebar_run() -> None:
    """The shared sidebar: this tab's run, its dataset and device, and how busy the server is."""
    from pages import _ui as ui

    entry = ui.current_run()
    snapshot = ui.run_snapshot(entry)
    running = ui.is_live(snapshot, entry)
    # one poll per tab: on the Train page its live view polls, and its end reruns the whole page, sidebar too
    polls = running and navigation.url_path != ""

    @st.fragment(run_every=ui.POLL_SECONDS if polls else None)
    def run_card() -> None:
        shown = ui.run_snapshot(entry)
        if shown is None:
            values = ui.control_values()
            devices = dict(ui.warm_up().devices)
            st.markdown("**No run yet**")
            st.caption("Choose a variant on the Train page and press Train.")
            st.markdown(f"Dataset: `{values['dataset']}`  \nDevice: {devices.get(values['device'], values['device'])}")
            return
        from aecore.settings.variants import VARIANTS

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

    run_card()


def frame() -> None:
    """What every page shows around it: the logo, the tab's icon and the sidebar (this tab's run, the student's
    name); the run store is opened first, so a link naming an uploaded dataset finds it."""
    from pages import _ui as ui

    st.set_page_config(page_icon=str(ICON))
    st.logo(str(ICON), size="large")
    ui.run_store()
    with st.sidebar:
        st.markdown("### Current run")
        sidebar_run()
        st.text_input(
            "Your name",
            key=ui.STUDENT_KEY,
            max_chars=40,
            placeholder="for the Class page",
            help="Shown with the runs you start from now on, on the Class page a teacher projects; kept with this tab.",
        )


# The Train page draws its heading before it imports the dashboard's modules, and its script takes milliseconds:
# the frame comes after it there, so a just-started server's first page shows at once (the frame's imports,
# numpy, PIL and aecore's, take a few tenths of a second the first time). Before the other pages, which may
# compute for seconds with the frame already in place.
frame_after_page = navigation.url_path == ""
if not frame_after_page:
    frame()
navigation.run()
if frame_after_page:
    frame()
from pages import _ui as ui  # noqa: E402  (imported by then: the frame and every page use it)

# TensorFlow starts importing only now, after the first page is drawn, so it never slows that page down; the
# job manager's workers start loading it in their own processes at the same time
ui.warm_up().start()
ui.guarded(ui.job_manager, "Training is not available")
