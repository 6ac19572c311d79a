"""Train: pick a variant and its settings, press Train, and watch the model learn live.

The training runs in a background job (``aecore.jobs``); this page only reads the job's
snapshots, inside a fragment that polls while the job runs and stops polling once it ends.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

# The heading first: on a just-started server the imports below take a few tenths of a second (app.py draws the
# frame after this page for the same reason); projector mode takes the title away once it knows it is on
heading, mode = st.columns([3, 1], vertical_alignment="bottom")
title = heading.empty()
title.title("Train")

from aecore.errors import AecoreError  # noqa: E402
from aecore.settings.config import NOISE_NAMES  # noqa: E402
from aecore.settings.variants import VARIANTS  # noqa: E402
from pages import _ui as ui  # noqa: E402
from pages._ui.live import live_view  # noqa: E402
from pages._ui.live_panels import shows_sparsity_kl  # noqa: E402
from pages._ui.summary import summary_section  # noqa: E402
from pages._ui.train_controls import controls_column  # noqa: E402

# ---------------------------------------------------------------------------------------------
# The live view


#: eight probe images on one line beside the chart at 1280 px
PREVIEW_IMAGE_WIDTH = 36


def before_training(config: Any) -> None:
    """What the chosen settings mean before any run: the noisy inputs, and the sparse KL penalty for ρ or the
    empty loss chart that the run will fill."""
    if config is None or not ui.warm_up().ready.is_set():
        return  # TensorFlow is still starting: the page stays quick, the preview comes with the next change
    from aecore.analysis.pixels import to_uint8
    from aecore.data.dataset import batches_per_epoch
    from aecore.data.noise import corrupt_images
    from aecore.data.registry import load_dataset
    from aecore.figures import curves

    left, right = st.columns([1.4, 1], gap="medium")
    with left:
        probe = ui.guarded(lambda: load_dataset(config.dataset).probe_images[:8], "The dataset could not be loaded")
        if probe is None:
            return
        noise = config.noise
        # plain images, not a plotly mosaic: quick to draw again at every change of a setting
        if noise.level > 0:
            st.markdown(f"**What the model sees** · {NOISE_NAMES[noise.kind]} noise at level {noise.level:g}")
            st.image(
                list(to_uint8(probe)),
                width=PREVIEW_IMAGE_WIDTH,
                caption=["clean"] + [""] * (len(probe) - 1),
                alt=[f"clean probe image {i + 1}" for i in range(len(probe))],
            )
            noisy = corrupt_images(probe, noise.kind, noise.level, seed=0)
            st.image(
                list(to_uint8(noisy)),
                width=PREVIEW_IMAGE_WIDTH,
                caption=["noisy input"] + [""] * (len(probe) - 1),
                alt=[f"noisy probe image {i + 1}" for i in range(len(probe))],
            )
        else:
            st.markdown("**What the model sees** · clean images (noise level 0)")
            st.image(
                list(to_uint8(probe)),
                width=PREVIEW_IMAGE_WIDTH,
                alt=[f"probe image {i + 1}" for i in range(len(probe))],
            )
        st.caption("The model learns to rebuild the clean image from its input; these probes return during training.")
    with right:
        # a chart here also loads the browser's plotly code before Train: drawn later, the first loss point's
        # chart waited about a second for it
        if shows_sparsity_kl(config):
            rho = config.regularisation.rho
            st.markdown(f"**KL sparsity penalty** for ρ = {rho:g}")
            ui.shown_chart(curves.kl_penalty_curve(rho), "kl_preview_chart", height=260)
            st.caption("Zero at ρ̂ = ρ: during training every code unit appears on this curve.")
        else:
            st.markdown("**Loss per batch**")
            training = config.training
            per_epoch = batches_per_epoch(len(load_dataset(config.dataset).x_train), training.batch_size)
            empty = curves.loss_curves([], {}, [], {}, x_max=training.epochs * per_epoch)
            ui.shown_chart(empty, "loss_preview_chart", height=260)
            st.caption("Empty until you press Train: then every batch adds a point to each loss term.")


# ---------------------------------------------------------------------------------------------
# Train and Stop


def start_training() -> None:
    """The Train button's callback: it runs before the page, so the page already shows the run as busy."""
    st.session_state.pop("train_error", None)
    values = ui.control_values()
    for name in list(values):
        key = ui.widget_key(name)
        if key in st.session_state:
            values[name] = st.session_state[key]
    ui.hold_lesson_settings(values)  # a locked control edited by hand does not reach the run
    entry = ui.current_run()
    if ui.is_busy(ui.run_snapshot(entry), entry):
        st.session_state["train_error"] = "A run is already going: stop it before starting another."
        return
    try:
        started = ui.start_run(ui.config_from_values(values), ui.current_lesson().title)
        ui.send_pace(started.job_id)
    except AecoreError as error:
        st.session_state["train_error"] = str(error)


def stop_training(job_id: int) -> None:
    ui.job_manager().stop(job_id)


def formula_box(variant_name: str, expanded: bool) -> None:
    """The variant's loss: open before any run, folded (one click away) once a run shows, so that the loss chart
    and the probe images fit a laptop's screen together."""
    variant = VARIANTS[variant_name]
    with st.expander(f"**{variant.title}** · the loss it minimises", expanded=expanded, icon=":material/functions:"):
        st.latex(variant.formula)
        st.caption(f"{variant.explanation} Source: {variant.seed}.")


# ---------------------------------------------------------------------------------------------
# The page

ui.run_store()  # before the settings are read from a link: its uploaded datasets are known by name
entry = ui.current_run()
snapshot = ui.run_snapshot(entry)
busy = ui.is_busy(snapshot, entry)
#: this tab's finished run whose codes the server lays out: Stop ends that too
laying_out = snapshot is not None and snapshot.laying_out is not None and entry is not None and entry.owned
ui.control_values(initial=None if snapshot is None else snapshot.config)
lesson = ui.current_lesson()
ui.hold_lesson_settings(ui.control_values())

projector = ui.projector_toggle(mode)  # a class's screen: the live view alone, in large type
if projector:
    title.empty()
ui.lesson_header(with_note=not projector)
if snapshot is None and not lesson.active and not projector:  # once a run shows, its charts need the height
    st.caption("Pick a variant and its settings, press **Train**, and watch the autoencoder learn.")
if projector:
    live = st.container()
    values = ui.control_values()
    config = ui.guarded(lambda: ui.config_from_values(values), "Check the settings")
    if config is not None:
        ui.share_in_url(config, ui.query_from_lesson(lesson))
else:
    with st.container(key="train_split"):  # assets/style.css stacks it on a narrow screen
        controls, live = st.columns([1, 2.5], gap="large")
    with controls:
        values, config = controls_column(lesson, snapshot, busy)

with live:
    buttons = st.columns([1, 1, 1.25, 1, 1.45], vertical_alignment="center")
    buttons[0].button(
        "Train",
        type="primary",
        icon=":material/play_arrow:",
        on_click=start_training,
        disabled=busy or config is None,
        width="stretch",
        help="A run is going: stop it first." if busy else "Start training with these settings.",
    )
    buttons[1].button(
        "Stop",
        icon=":material/stop:",
        on_click=stop_training,
        args=(entry.job_id if entry and entry.job_id else 0,),
        disabled=not (busy or laying_out),
        width="stretch",
        help="Stop projecting the codes: the Latent space page computes them when asked."
        if laying_out and not busy
        else "Stop after the current batch; the model trained so far is kept.",
    )
    ui.pace_controls(buttons[2:], entry, snapshot, busy)
    if "train_error" in st.session_state:
        st.error(st.session_state.pop("train_error"), icon=":material/error:")
    if not projector:
        formula_box(values["variant"], expanded=snapshot is None)
    if entry is None or snapshot is None:
        st.info(
            "Press **Train** to start. The loss curves grow batch by batch, and after each epoch the probe images, "
            "the code's traversal and its scatter refresh here. Switching pages or reloading keeps the run.",
            icon=":material/school:",
        )
        before_training(config)
    else:
        live_view(entry, snapshot)
        run_config = snapshot.config  # under the charts: above them it pushed the loss chart off a laptop's screen
        st.caption(
            f"Run `{snapshot.run_id}` · **{VARIANTS[run_config.model.variant].title}** on {run_config.dataset} · "
            f"{run_config.training.epochs} epochs, batch {run_config.training.batch_size} · "
            f"{ui.STATUS_LABELS.get(snapshot.status, snapshot.status)}"
        )
        if entry.owned and not projector:
            with st.popover("Copy a watch link", icon=":material/visibility:"):
                st.code(ui.watch_link(snapshot.run_id), language=None, wrap_lines=True)
                st.caption(
                    "Whoever opens it watches this run and cannot change it. Your address bar also holds `key=`: "
                    "whoever has that address can stop, pause, rename or delete the run, so share this one instead."
                )
        if snapshot.ended:
            summary_section(snapshot)

ui.warm_up().start()  # after the page is drawn (app.py does the same; the first call wins)
