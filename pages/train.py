"""Train: pick a variant and its settings, press Train, and watch the model learn live.

The training runs in a background job (``aecore.jobs``); this page only reads the job's
snapshots, inside a fragment that polls while the job runs and stops polling once it ends.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import streamlit as st

from aecore.cli.script import training_script
from aecore.data.registry import list_datasets
from aecore.errors import AecoreError
from aecore.settings.config import NOISE_NAMES, RunConfig
from aecore.settings.live import live_settings
from aecore.settings.parameters import PARAMETERS
from aecore.settings.presets import PRESETS
from aecore.settings.validation import cautions
from aecore.settings.variants import VARIANTS, changed_settings
from pages import _ui as ui
from pages._ui.live import live_view, shows_sparsity_kl
from pages._ui.summary import summary_section

if TYPE_CHECKING:
    from aecore.runs.snapshots import Snapshot

# ---------------------------------------------------------------------------------------------
# Controls


def dataset_control(lesson: ui.Lesson) -> str:
    infos = {info.name: info for info in list_datasets()}
    values = ui.control_values()
    if values["dataset"] not in infos:
        ui.control_values()["dataset"] = ui.DEFAULT_DATASET
        st.session_state.pop(ui.widget_key("dataset"), None)
    key = ui.bind("dataset")
    if lesson.is_hidden("dataset"):
        return ui.remember("dataset")

    def label(name: str) -> str:
        info = infos[name]
        return name if info.available else f"{name} (not available here)"

    st.selectbox(
        "Dataset",
        list(infos),
        format_func=label,
        key=key,
        disabled=lesson.is_locked("dataset"),
        help="Images the autoencoder learns to rebuild. All are scaled to [0, 1], with a fixed validation split.",
    )
    name = ui.remember("dataset")
    info = infos[name]
    if info.available:
        size = f"{info.n_train:,} training images" if info.n_train else ""
        shape = "×".join(str(side) for side in info.shape[:2]) if info.shape else ""
        st.caption(" · ".join(part for part in (info.description, size, shape and f"{shape} pixels") if part))
    else:
        st.warning(f"**{name}** is not available on this server. {info.reason}", icon=":material/cloud_off:")
    return name


def device_control(lesson: ui.Lesson) -> None:
    """The device picker: the CPU, and every GPU once TensorFlow has started (listed from the next rerun on).

    No polling fragment that reruns the whole page when TensorFlow is ready: a full rerun fired while the
    first page was still being drawn made the browser reset number inputs to their minimum (the learning
    rate to 1e-5, seen in the browser tests).
    """
    warm = ui.warm_up()
    devices = dict(warm.devices)
    key = ui.bind("device")
    if st.session_state[key] not in devices:
        st.session_state[key] = "cpu"
    if lesson.is_hidden("device"):
        ui.remember("device")
        return
    st.selectbox(
        "Device",
        list(devices),
        format_func=devices.get,
        key=key,
        disabled=lesson.is_locked("device"),
        help="Where the model trains: the CPU, one GPU, or all GPUs together.",
    )
    ui.remember("device")
    if not warm.ready.is_set():
        st.caption("TensorFlow is starting; any GPU appears here after your next change.")
    elif warm.error:
        st.caption(f"TensorFlow could not list the devices ({warm.error}); the CPU is used.")


def setting_names(names: list[str], variant: str) -> str:
    """Settings as the controls label them: "variant, learning rate"."""
    labels = {"variant": "variant", "dataset": "dataset"}
    return ", ".join(labels.get(name) or VARIANTS[variant].parameter(name).label for name in names)


def preset_note(config: RunConfig | None) -> None:
    """What the picked preset set, and, once a control it set is changed, that the settings are no longer it."""
    applied = st.session_state.get("preset_applied")
    if applied not in PRESETS:
        return
    preset = PRESETS[applied]
    changed = [] if config is None else changed_settings(preset.config, config)
    if changed:
        st.caption(
            f"Started from **{preset.title}** (`{applied}`), modified: "
            f"{setting_names(changed, config.model.variant)} changed since."
        )
        return
    st.caption(f"Applied **{preset.title}** (`{applied}`).")
    with st.expander("What it reproduces, what to see"):  # folded: the text is long for this column
        st.caption(f"Reproduces {preset.source}.")
        st.caption(f"What you should see: {preset.expect}.")


def next_run_note(config: RunConfig | None, snapshot: Snapshot | None) -> None:
    """While a run trains, the controls change the next run, not this one: say so, naming what differs."""
    if config is None or snapshot is None or snapshot.ended:
        return
    live = live_settings(snapshot.config) if snapshot.config.model.variant == config.model.variant else ()
    changed = [name for name in changed_settings(snapshot.config, config) if name not in live]
    detail = f" ({setting_names(changed, config.model.variant)} changed so far)" if changed else ""
    changes_live = (
        f"Changes to {setting_names(list(live), config.model.variant)} apply to this run as it trains; the others "
        if live
        else "Changes here "
    )
    st.info(f"A run is training. {changes_live}apply to the next run{detail}.", icon=":material/schedule:")


def render_controls(lesson: ui.Lesson, running: Snapshot | None) -> tuple[dict[str, Any], Any]:
    """Every control, built from the variant registry, but those the tab's lesson hides (and those it locks
    disabled); returns the session's values and the place for the preset's note (filled once the config they make
    is known). While the tab's run trains (``running``), the settings it can change live send each change to it."""
    if not lesson.fixed:  # a preset would move what the lesson holds
        st.selectbox(
            "Preset",
            list(PRESETS),
            format_func=lambda preset_id: PRESETS[preset_id].title,
            index=None,
            key="preset_pick",
            on_change=ui.on_preset_pick,
            placeholder="Choose a seed model",
            help="The seed paper's, report's and assignment's models: one choice fills every control below.",
        )
    note = st.container()
    values = ui.control_values()
    variant_key = ui.bind("variant")
    if not lesson.is_hidden("variant"):
        st.selectbox(
            "Variant",
            list(VARIANTS),
            key=variant_key,
            on_change=ui.on_variant_change,
            disabled=lesson.is_locked("variant"),
            help="The kind of autoencoder: each shows only the settings it uses.",
        )
    variant = ui.remember("variant")
    st.caption(f"**{VARIANTS[variant].title}**: {VARIANTS[variant].description}")
    dataset_control(lesson)
    now = ui.current_values()
    shown = [
        name
        for name in ui.variant_parameters(variant)
        if VARIANTS[variant].applies(name, now) and not lesson.is_hidden(name)
    ]
    same_variant = running is not None and running.config.model.variant == variant
    live = set(live_settings(running.config)) if same_variant else set()
    send = functools.partial(ui.send_live_change, running.job_id) if live else None
    for section, title in ui.SECTION_TITLES.items():
        names = [name for name in shown if PARAMETERS[name].section == section]
        if not names and (section != "training" or lesson.is_hidden("device")):
            continue
        with st.container(border=True):
            st.markdown(f"**{title}**")
            if running is not None:
                live_here = [name for name in names if name in live]
                st.caption(
                    f"Live: {setting_names(live_here, variant)} change{'s' if len(live_here) == 1 else ''} the run "
                    "as it trains; the others apply to the next run."
                    if live_here
                    else "Applies to the next run."
                )
            for name in names:
                ui.render_parameter(name, disabled=lesson.is_locked(name), on_change=send if name in live else None)
            if section == "training":
                device_control(lesson)
    return values, note


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


def controls_column(lesson: ui.Lesson, snapshot: Snapshot | None, busy: bool) -> tuple[dict[str, Any], Any]:
    """The controls beside the live view, with the link's notices, the preset's note, what a change applies to,
    the cautions and the links to share; returns the values and the config they make (None if not valid)."""
    notices = st.session_state.pop(ui.LINK_NOTICE_KEY, None)
    if notices:
        st.warning(
            "Some parts of the link were not used (the defaults apply): " + "; ".join(notices) + ".",
            icon=":material/link_off:",
        )
    next_run = st.container()
    values, note = render_controls(lesson, snapshot if busy else None)
    config = ui.guarded(lambda: ui.config_from_values(values), "Check the settings")
    with note:
        preset_note(config)
    with next_run:
        next_run_note(config, snapshot if busy else None)
    if config is not None:
        for caution in cautions(config):
            st.warning(caution, icon=":material/warning:")
        ui.share_in_url(config, ui.query_from_lesson(lesson))  # the address bar now reproduces these settings
        with st.popover("Share these settings", icon=":material/link:", width="stretch"):
            st.code(ui.settings_link(config), language=None, wrap_lines=True)
            st.caption("Whoever opens this link gets these settings in their own tab; your run stays yours.")
        ui.lesson_link_popover(config)
        st.download_button(
            "Download as a Python script",
            data=lambda: training_script(config),
            file_name="train_ae.py",
            mime="text/x-python",
            on_click="ignore",
            icon=":material/code:",
            width="stretch",
            help="One file that trains these settings with TensorFlow alone, to read and run at home: "
            "python train_ae.py --epochs 3 --out model.keras",
        )
    return values, config


# ---------------------------------------------------------------------------------------------
# The page

entry = ui.current_run()
snapshot = ui.run_snapshot(entry)
busy = ui.is_busy(snapshot, entry)
ui.control_values(initial=None if snapshot is None else snapshot.config)
lesson = ui.current_lesson()
ui.hold_lesson_settings(ui.control_values())

heading, mode = st.columns([3, 1], vertical_alignment="bottom")
projector = ui.projector_toggle(mode)  # a class's screen: the live view alone, in large type
if not projector:
    heading.title("Train")
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
        disabled=not busy,
        width="stretch",
        help="Stop after the current batch; the model trained so far is kept.",
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
        if snapshot.ended:
            summary_section(snapshot)

ui.warm_up().start()  # after the page is drawn (app.py does the same; the first call wins)
