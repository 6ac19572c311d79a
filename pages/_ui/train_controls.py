"""The Train page's controls column: every control from the variant registry (less what a lesson hides), what a
change applies to while a run trains, the preset's note, the cautions and the links and script to take away."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import streamlit as st

from aecore.cli.script import training_script
from aecore.data.registry import list_datasets
from aecore.settings.config import RunConfig
from aecore.settings.live import live_settings
from aecore.settings.parameters import PARAMETERS
from aecore.settings.presets import PRESETS
from aecore.settings.validation import cautions
from aecore.settings.variants import VARIANTS, changed_settings
from pages import _ui as ui
from pages._ui.dataset_upload import remove_dataset, upload_dataset

if TYPE_CHECKING:
    from aecore.runs.snapshots import Snapshot


def dataset_control(lesson: ui.Lesson) -> str:
    ui.run_store()  # its uploaded datasets are listed from here on
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
    if "dataset_note" in st.session_state:
        st.success(st.session_state.pop("dataset_note"), icon=":material/check:")
    if info.available:
        size = f"{info.n_train:,} training images" if info.n_train else ""
        shape = "×".join(str(side) for side in info.shape[:2]) if info.shape else ""
        st.caption(" · ".join(part for part in (info.description, size, shape and f"{shape} pixels") if part))
    else:
        st.warning(f"**{name}** is not available on this server. {info.reason}", icon=":material/cloud_off:")
    if not lesson.is_locked("dataset"):
        upload_dataset(select_dataset)
        remove_dataset(name)
    return name


def select_dataset(name: str) -> None:
    """Pick ``name`` for the next run (the box shows it from the next rerun on: it is drawn already)."""
    ui.control_values()["dataset"] = name
    st.session_state.pop(ui.widget_key("dataset"), None)


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
    names = [labels.get(name) or VARIANTS[variant].parameter(name).label for name in names]
    return ", ".join(name[:1].lower() + name[1:] for name in names)  # inside a sentence: "learning rate"


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
            "Python script",
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
