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


on_train_page = navigation.url_path == ""


def frame() -> None:
    """The logo, the tab's icon and the sidebar (``pages/_ui/frame.py``)."""
    from pages._ui.frame import draw_frame  # the dashboard's modules: a few tenths of a second on a fresh server

    draw_frame(ICON, on_train_page)


# The Train page draws its heading before it imports the dashboard's modules, and its script takes milliseconds:
# the frame comes after it there, so a just-started server's first page shows at once (the frame's imports,
# numpy, PIL and aecore's, take a few tenths of a second the first time). Before the other pages, which may
# compute for seconds with the frame already in place.
if not on_train_page:
    frame()
navigation.run()
if on_train_page:
    frame()
from pages import _ui as ui  # noqa: E402  (imported by then: the frame and every page use it)

# TensorFlow starts importing only now, after the first page is drawn, so it never slows that page down; the
# job manager's workers start loading it in their own processes at the same time
ui.warm_up().start()
ui.guarded(ui.job_manager, "Training is not available")
