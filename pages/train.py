"""Train: pick a variant and its settings, press Train, and watch the model learn live.

The training runs in a background job (``aecore.jobs``); this page only reads the job's
snapshots, inside a fragment that polls while the job runs and stops polling once it ends.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import streamlit as st

from aecore.data import list_datasets
from aecore.errors import AecoreError
from aecore.presets import PRESETS
from aecore.variants import PARAMETERS, VARIANTS
from pages import _ui as ui

#: the terms every model has; anything else a model reports is one of its penalties
BASE_TERMS = ("reconstruction", "total", "weight_decay")
#: about the width of one of the live view's two columns on a laptop screen, in pixels
HALF_PAGE_WIDTH = 380
CONV_RULE = r"O = \frac{W - F + 2P}{S} + 1"
PSNR_FORMULA = r"\mathrm{PSNR} = 10 \log_{10} \frac{1}{\mathrm{MSE}(x, \hat x)}"
KL_FORMULA = (
    r"\mathrm{KL}(\rho \,\|\, \hat\rho_j) = \rho \log\frac{\rho}{\hat\rho_j} + (1-\rho)\log\frac{1-\rho}{1-\hat\rho_j}"
)
MEAN_ACTIVATION_FORMULA = r"\hat\rho_j = \frac{1}{m}\sum_{i=1}^{m} h_j\big(x^{(i)}\big)"
GAUSSIAN_KL_FORMULA = r"\mathrm{KL}_k = \tfrac12\big(\mu_k^2 + \sigma_k^2 - \log\sigma_k^2 - 1\big)"


# ---------------------------------------------------------------------------------------------
# Controls


def dataset_control() -> str:
    infos = {info.name: info for info in list_datasets()}
    values = ui.control_values()
    if values["dataset"] not in infos:
        ui.control_values()["dataset"] = ui.DEFAULT_DATASET
        st.session_state.pop(ui.widget_key("dataset"), None)
    key = ui.bind("dataset")

    def label(name: str) -> str:
        info = infos[name]
        return name if info.available else f"{name} (not available here)"

    st.selectbox(
        "Dataset",
        list(infos),
        format_func=label,
        key=key,
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


def device_control() -> None:
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
    st.selectbox(
        "Device",
        list(devices),
        format_func=devices.get,
        key=key,
        help="Where the model trains: the CPU, one GPU, or all GPUs together.",
    )
    ui.remember("device")
    if not warm.ready.is_set():
        st.caption("TensorFlow is starting; any GPU appears here after your next change.")
    elif warm.error:
        st.caption(f"TensorFlow could not list the devices ({warm.error}); the CPU is used.")


def render_controls() -> dict[str, Any]:
    """Every control, built from the variant registry; returns the session's values."""
    st.selectbox(
        "Preset",
        list(PRESETS),
        index=None,
        key="preset_pick",
        on_change=ui.on_preset_pick,
        placeholder="Fill every control from a seed document…",
        help="The seed paper's, report's and assignment's models: one choice fills every control below.",
    )
    applied = st.session_state.get("preset_applied")
    if applied in PRESETS:
        st.caption(f"Applied **{applied}**: {PRESETS[applied].source}.")
    values = ui.control_values()
    st.selectbox(
        "Variant",
        list(VARIANTS),
        key=ui.bind("variant"),
        on_change=ui.on_variant_change,
        help="The kind of autoencoder: each shows only the settings it uses.",
    )
    variant = ui.remember("variant")
    st.caption(f"**{VARIANTS[variant].title}**: {VARIANTS[variant].description}")
    dataset_control()
    shown = ui.variant_parameters(variant)
    for section, title in ui.SECTION_TITLES.items():
        names = [name for name in shown if PARAMETERS[name].section == section]
        if not names and section != "training":
            continue
        with st.container(border=True):
            st.markdown(f"**{title}**")
            for name in names:
                ui.render_parameter(name)
            if section == "training":
                device_control()
    return values


# ---------------------------------------------------------------------------------------------
# The live view


def dataset_class_names(name: str) -> list[str] | None:
    from aecore.data import load_dataset

    try:
        return list(load_dataset(name).class_names) or None
    except AecoreError:  # a removed upload: the scatter shows plain labels
        return None


def loss_panel(snapshot: Any) -> None:
    st.markdown("**Loss per batch** · dashed: validation after each epoch")
    # a term that is exactly 0 all along (weight decay with α = 0) only clutters the chart
    terms = [name for name, values in snapshot.batch_terms.items() if np.any(values != 0)]
    left, right = st.columns([3, 2], vertical_alignment="center")
    left.caption(f"{len(snapshot.batch_steps)} batches · {len(snapshot.epoch_history)} validation points")
    # no widget key: the preference lives in its own key, so polling and page changes never reset it
    log_y = right.toggle("Log scale", value=st.session_state.get("loss_log_scale", True))
    st.session_state["loss_log_scale"] = log_y
    ui.shown_chart(terms_figure(snapshot, terms, log_y, "loss"), "loss_chart")


def terms_figure(snapshot: Any, terms: list[str], log_y: bool, y_title: str) -> Any:
    """Per-batch curves of some loss terms with their per-epoch validation values on top."""
    from aecore import figures

    history = snapshot.epoch_history
    validation = {
        term: np.array([record[f"val_{term}"] for record in history])
        for term in terms
        if history and f"val_{term}" in history[0]
    }
    return figures.loss_curves(
        snapshot.batch_steps,
        {term: snapshot.batch_terms[term] for term in terms},
        np.array([record["batches"] for record in history]),
        validation,
        log_y=log_y,
        y_title=y_title,
    )


def probe_panel(snapshot: Any) -> None:
    from aecore import figures

    preview = snapshot.preview
    noisy = preview.probe_noisy is not None
    st.markdown(
        "**Probe images** · clean, noisy input and the denoised reconstruction"
        if noisy
        else "**Probe images** · clean and reconstructed"
    )
    rows = {"clean": preview.probe_clean}
    if noisy:
        rows["noisy input"] = preview.probe_noisy
    rows["denoised" if noisy else "reconstruction"] = preview.probe_reconstruction
    figure = ui.preview_figure(snapshot, "probe", lambda: figures.image_rows(rows))
    ui.shown_chart(figure, "probe_chart", height=None, width="content")
    st.caption(f"Refreshed every epoch; now after epoch {preview.epoch:.2f}.")


def sparsity_panel(snapshot: Any) -> None:
    """The seed paper's Figure 5 live: KL(ρ‖ρ̂) over ρ̂ with every code unit on it."""
    from aecore import figures

    rho = snapshot.config.regularisation.rho
    st.markdown(f"**KL sparsity penalty** for ρ = {rho:g}, with every unit's $\\hat\\rho_j$")
    figure = ui.preview_figure(snapshot, "kl", lambda: figures.kl_penalty_curve(rho, snapshot.preview.mean_activation))
    ui.shown_chart(figure, "kl_penalty_chart")
    st.latex(KL_FORMULA)
    st.latex(MEAN_ACTIVATION_FORMULA)
    st.caption(
        "Each dot is one code unit at its mean activation $\\hat\\rho_j$ over the validation images. "
        "The penalty is zero only at $\\hat\\rho_j = \\rho$, so training pulls the dots toward the dashed line."
    )


def activation_panel(snapshot: Any) -> None:
    from aecore import figures

    st.markdown("**Mean activation $\\hat\\rho_j$ of every code unit**")
    figure = ui.preview_figure(
        snapshot,
        "activation",
        lambda: figures.bar_per_dimension(snapshot.preview.mean_activation, None, "mean activation ρ̂"),
    )
    ui.shown_chart(figure, "activation_chart")
    st.caption("A sigmoid unit's average output over the validation images: near 0, it rarely fires.")


def vae_kl_panel(snapshot: Any) -> None:
    from aecore import figures

    st.markdown("**KL of q(z|x) to N(0, I), per code dimension**")
    figure = ui.preview_figure(
        snapshot, "vae_kl", lambda: figures.bar_per_dimension(snapshot.preview.kl_per_dimension, None, "KL (nats)")
    )
    ui.shown_chart(figure, "vae_kl_chart")
    st.latex(GAUSSIAN_KL_FORMULA)
    st.caption("A dimension whose KL stays near 0 carries no information: the encoder leaves it at the prior.")


def penalty_history_panel(snapshot: Any, terms: list[str]) -> None:
    st.markdown(f"**{', '.join(term.replace('_', ' ') for term in terms)} over time**")
    ui.shown_chart(terms_figure(snapshot, terms, log_y=True, y_title="penalty"), "penalty_chart")
    st.caption("The penalty per batch (log scale), its validation value after each epoch dashed.")


def traversal_panel(snapshot: Any) -> None:
    from aecore import figures

    traversal = snapshot.preview.traversal
    st.markdown("**Latent traversal** · one code dimension moved from −3σ to +3σ per row")
    figure = ui.preview_figure(
        snapshot,
        "traversal",
        lambda: figures.image_mosaic(
            traversal.images, traversal.row_labels, traversal.column_labels, max_width=HALF_PAGE_WIDTH
        ),
    )
    ui.shown_chart(figure, "traversal_chart", height=None, width="content")
    st.caption("Each row decodes one validation image's code with a single dimension changed.")


def manifold_panel(snapshot: Any) -> None:
    from aecore import figures

    st.markdown("**Decoded manifold** of the 2-D code")
    figure = ui.preview_figure(
        snapshot, "manifold", lambda: figures.image_mosaic(snapshot.preview.manifold, max_width=HALF_PAGE_WIDTH)
    )
    ui.shown_chart(figure, "manifold_chart", height=None, width="content")
    gaussian = VARIANTS[snapshot.config.model.variant].code_kind == "gaussian"
    st.caption(
        "A 15 × 15 grid of codes decoded to images: at the normal quantiles for the VAE's prior."
        if gaussian
        else "A 15 × 15 grid of codes decoded to images, spanning the real codes' mean ± 2 standard deviations."
    )


def scatter_panel(snapshot: Any) -> None:
    from aecore import figures

    preview = snapshot.preview
    st.markdown(
        "**Codes of validation images** by class"
        if preview.code_size <= 2
        else f"**Codes of validation images** by class · PCA of the {preview.code_size}-D code"
    )

    def build() -> Any:
        class_names = dataset_class_names(snapshot.config.dataset)
        return figures.latent_scatter(
            preview.code_points, preview.code_labels, class_names, axis_titles=list(preview.code_axes)
        )

    ui.shown_chart(ui.preview_figure(snapshot, "scatter", build), "latent_scatter_chart")


def status_panel(snapshot: Any, entry: ui.RunEntry) -> None:
    stopping = ui.stop_requested(entry)
    if not entry.owned and not snapshot.ended:
        st.caption("You are watching a run that another tab started: only that tab can stop it.")
    if snapshot.status == "failed":
        st.error(f"**The run failed.** {snapshot.message}", icon=":material/error:")
    elif snapshot.status == "stopped" or (snapshot.status == "queued" and stopping):
        st.info(snapshot.message or "Stopped before it started.", icon=":material/stop_circle:")
    elif snapshot.status == "queued":
        manager = ui.job_manager()
        st.info(
            f"Waiting for a free trainer: **position {snapshot.queue_position or '…'}** in the queue "
            f"({manager.max_concurrent} runs train at once on this server).",
            icon=":material/hourglass_top:",
        )
    elif snapshot.status == "interrupted":
        st.warning(
            f"{snapshot.message} Resume it from the **Runs** page to continue from its last checkpoint.",
            icon=":material/power_off:",
        )
    elif snapshot.status == "running" and not snapshot.batch_steps.size:
        st.caption("Building the model and loading the data…")
    if snapshot.store_error:
        st.warning(f"{snapshot.store_error} Download the model below once it ends.", icon=":material/save:")
    text = ui.progress_text(snapshot) if snapshot.status != "queued" else "Waiting…"
    if snapshot.status == "finished":
        text = "Finished · " + text
    elif snapshot.status == "running" and stopping:
        text = "Stopping… · " + text
    st.progress(snapshot.progress, text=text)


def shows_sparsity_kl(config: Any) -> bool:
    """Whether a run has the Bernoulli KL penalty of the seed's Figure 5: a sigmoid code penalised by KL(ρ‖ρ̂)."""
    variant = VARIANTS[config.model.variant]
    return (
        variant.code_kind == "sigmoid" and "rho" in variant.hyperparameters and config.regularisation.sparsity == "kl"
    )


def draw_run(snapshot: Any, entry: ui.RunEntry) -> None:
    """Everything the live view shows for one snapshot."""
    status_panel(snapshot, entry)
    if not snapshot.batch_steps.size:
        return
    variant = VARIANTS[snapshot.config.model.variant]
    preview = snapshot.preview
    panels = []
    if preview is not None:
        if shows_sparsity_kl(snapshot.config):
            panels.append(sparsity_panel)
        elif variant.code_kind == "sigmoid":
            panels.append(activation_panel)
        elif preview.kl_per_dimension is not None:
            panels.append(vae_kl_panel)
    penalties = [term for term in snapshot.batch_terms if term not in BASE_TERMS]
    if penalties:
        panels.append(lambda shown: penalty_history_panel(shown, penalties))
    if preview is not None:
        panels += [scatter_panel, traversal_panel]
        if preview.manifold is not None:
            panels.append(manifold_panel)
    first, second = st.columns(2, gap="medium")
    with first:
        loss_panel(snapshot)
    with second:
        if panels:
            panels.pop(0)(snapshot)
        else:
            st.caption("The images, the code and its traversal appear after the first epoch.")
    if preview is None:
        return
    probe_panel(snapshot)
    for start in range(0, len(panels), 2):
        for column, panel in zip(st.columns(2, gap="medium"), panels[start : start + 2], strict=False):
            with column:
                panel(snapshot)


def live_view(entry: ui.RunEntry, snapshot: Any, running: bool) -> None:
    """Poll the job while it runs; one full rerun when it ends turns the polling off.

    Until the first loss point exists the poll is quicker, so that point shows soon after Train; then
    one full rerun sets the steady interval (each poll redraws the loss chart: on a small server shared
    by a classroom, once a second is enough).
    """
    starting = running and not snapshot.batch_steps.size
    interval = ui.FIRST_POINT_POLL_SECONDS if starting else ui.POLL_SECONDS

    @st.fragment(run_every=interval if running else None)
    def view() -> None:
        current = ui.run_snapshot(entry)
        if current is None:
            st.info("This run is no longer on the server.")
            return
        draw_run(current, entry)
        if running and not ui.is_live(current, entry):
            st.rerun()
        if starting and current.batch_steps.size:
            st.rerun()

    view()


def before_training(config: Any) -> None:
    """What the chosen settings mean before any run: the noisy inputs, and the sparse KL penalty for ρ."""
    if config is None or not ui.warm_up().ready.is_set():
        return  # TensorFlow is still starting: the page stays quick, the preview comes with the next change
    from aecore import figures
    from aecore.analysis import to_uint8
    from aecore.data import load_dataset
    from aecore.noise import corrupt_images

    kl_curve = shows_sparsity_kl(config)
    left, right = st.columns([1.4, 1], gap="medium") if kl_curve else (st.container(), None)
    with left:
        probe = ui.guarded(lambda: load_dataset(config.dataset).probe_images[:8], "The dataset could not be loaded")
        if probe is None:
            return
        noise = config.noise
        # plain images, not a plotly chart: the first view of the page stays light and quick to open
        if noise.level > 0:
            st.markdown(f"**What the model sees** · {noise.kind.replace('_', ' ')} noise at level {noise.level:g}")
            st.image(list(to_uint8(probe)), width=52, caption=["clean"] + [""] * (len(probe) - 1))
            noisy = corrupt_images(probe, noise.kind, noise.level, seed=0)
            st.image(list(to_uint8(noisy)), width=52, caption=["noisy input"] + [""] * (len(probe) - 1))
        else:
            st.markdown("**What the model sees** · clean images (noise level 0)")
            st.image(list(to_uint8(probe)), width=52)
        st.caption("The model learns to rebuild the clean image from its input; these probes return during training.")
    if right is not None:
        with right:
            rho = config.regularisation.rho
            st.markdown(f"**KL sparsity penalty** for ρ = {rho:g}")
            ui.shown_chart(figures.kl_penalty_curve(rho), "kl_preview_chart", height=260)
            st.caption("Zero at ρ̂ = ρ: during training every code unit appears on this curve.")


# ---------------------------------------------------------------------------------------------
# After training


def saved_folder(snapshot: Any) -> Any:
    """The run's folder in the store, or None when the store could not save it."""
    from aecore.runs.folder import MODEL_FILE

    store = ui.run_store()
    if snapshot.store_error or not store.has(snapshot.run_id):
        return None
    folder = store.folder(snapshot.run_id)
    return folder if folder.file(MODEL_FILE).is_file() else None


def layer_rows(snapshot: Any, folder: Any) -> list[dict[str, Any]] | None:
    """Keras' summary of the run's model: from its folder, or from the job's model when it was not saved."""
    if folder is not None:
        return folder.meta().get("layer_table")
    job = None if snapshot.job_id is None else ui.job_manager().get(snapshot.job_id)
    return None if job is None or job.model is None else job.model.layer_table()


def model_file(snapshot: Any, folder: Any) -> Any:
    """The plain ``model.keras`` (loads with Keras alone): the stored file, else one made from the job's model."""
    from aecore.runs.folder import MODEL_FILE

    if folder is not None:
        return folder.file(MODEL_FILE).read_bytes
    job = None if snapshot.job_id is None else ui.job_manager().get(snapshot.job_id)
    if job is None or job.model is None:
        return None

    def build() -> bytes:
        from aecore.runs.models import plain_model_bytes

        return plain_model_bytes(job.model)

    return build


def summary_section(snapshot: Any) -> None:
    from aecore.runs import history_csv

    folder = saved_folder(snapshot)
    config = snapshot.config
    st.divider()
    st.subheader("After training")
    metrics_column, downloads_column = st.columns([3, 1], gap="large")
    with metrics_column:
        metrics = snapshot.test_metrics
        st.markdown("**Test metrics**")
        if metrics:
            for column, (name, value) in zip(st.columns(len(metrics)), metrics.items(), strict=True):
                label, template = ui.METRIC_LABELS.get(name, (name, "{:.4g}"))
                column.metric(label, template.format(value))
            st.latex(PSNR_FORMULA)
            st.caption(
                "Peak signal-to-noise ratio of each test image (pixels in [0, 1]), averaged over the test set: higher "
                "is better, each 10 dB a tenfold smaller error. With noise on, compare it with the noisy input's."
            )
        else:
            st.caption("No test metrics: the run did not get that far.")
    st.markdown("**Model summary**")
    rows = layer_rows(snapshot, folder)
    if not rows:
        st.caption("The model was not built.")
    else:
        st.dataframe(
            rows,
            hide_index=True,
            width="stretch",
            height=36 * (len(rows) + 1) + 16,  # every layer visible, no inner scrolling
            column_config={"parameters": st.column_config.NumberColumn(format="localized")},
        )
        total = sum(row["parameters"] for row in rows)
        st.caption(f"{total:,} parameters in all.")
        if any(row["type"].startswith("Conv") for row in rows):
            st.markdown("**Output size of a convolution**")
            st.latex(CONV_RULE)
            st.caption(
                "An input W pixels wide, a filter F wide, padding P and stride S give an output O wide. "
                "With 'same' padding (P = 1 for F = 3) and S = 1 the size stays 28; a 2×2 pooling with S = 2 "
                "halves it: (28 − 2 + 0)/2 + 1 = 14, then 7."
            )
    with downloads_column:
        st.markdown("**Downloads**")
        stem = f"autoencoder-{config.model.variant}-{snapshot.run_id}"
        model_data = model_file(snapshot, folder)
        if model_data is not None:
            st.download_button(
                "Model (.keras)",
                data=model_data,
                file_name=f"{stem}.keras",
                mime="application/octet-stream",
                on_click="ignore",
                icon=":material/download:",
                key="download_model",
                help="A plain Keras model: keras.models.load_model() opens it without Autoencoder Lab.",
            )
        if folder is not None:
            from aecore.runs.archive import export_archive

            st.download_button(
                "Run archive (.zip)",
                data=lambda: export_archive(ui.run_store(), snapshot.run_id),
                file_name=f"{stem}.zip",
                mime="application/zip",
                on_click="ignore",
                icon=":material/download:",
                key="download_archive",
                help="Everything the store keeps of this run; the Runs page uploads it back.",
            )
        st.download_button(
            "Config (JSON)",
            data=config.to_json(),
            file_name=f"{stem}-config.json",
            mime="application/json",
            on_click="ignore",
            icon=":material/download:",
            key="download_config",
        )
        if snapshot.epoch_history:
            st.download_button(
                "History (CSV)",
                data=history_csv(snapshot.epoch_history),
                file_name=f"{stem}-history.csv",
                mime="text/csv",
                on_click="ignore",
                icon=":material/download:",
                key="download_history",
            )


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
    entry = ui.current_run()
    if ui.is_busy(ui.run_snapshot(entry), entry):
        st.session_state["train_error"] = "A run is already going: stop it before starting another."
        return
    try:
        ui.start_run(ui.config_from_values(values))
    except AecoreError as error:
        st.session_state["train_error"] = str(error)


def stop_training(job_id: int) -> None:
    ui.job_manager().stop(job_id)


def variant_intro(variant_name: str) -> None:
    variant = VARIANTS[variant_name]
    with st.container(border=True):
        st.markdown(f"**{variant.title}** · the loss it minimises")
        st.latex(variant.formula)
        st.caption(f"{variant.explanation} Source: {variant.seed}.")


# ---------------------------------------------------------------------------------------------
# The page

entry = ui.current_run()
snapshot = ui.run_snapshot(entry)
busy = ui.is_busy(snapshot, entry)
ui.control_values(initial=None if snapshot is None else snapshot.config)

st.title("Train")
st.caption("Pick a variant and its settings, press **Train**, and watch the autoencoder learn.")
controls, live = st.columns([1, 2.5], gap="large")
with controls:
    notices = st.session_state.pop(ui.LINK_NOTICE_KEY, None)
    if notices:
        st.warning(
            "Some settings in the link were not used, so their defaults apply: " + "; ".join(notices) + ".",
            icon=":material/link_off:",
        )
    values = render_controls()
    config = ui.guarded(lambda: ui.config_from_values(values), "Check the settings")
    if config is not None:
        ui.share_in_url(config)  # the address bar now reproduces these settings

with live:
    buttons = st.columns([1, 1, 4], vertical_alignment="center")
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
    if snapshot is not None:
        run_config = snapshot.config
        buttons[2].caption(
            f"Run `{snapshot.run_id}` · **{VARIANTS[run_config.model.variant].title}** on {run_config.dataset} · "
            f"{run_config.training.epochs} epochs, batch {run_config.training.batch_size} · "
            f"{ui.STATUS_LABELS.get(snapshot.status, snapshot.status)}"
        )
    if "train_error" in st.session_state:
        st.error(st.session_state.pop("train_error"), icon=":material/error:")
    variant_intro(values["variant"])
    if entry is None or snapshot is None:
        st.info(
            "Press **Train** to start. The loss curves grow batch by batch, and after each epoch the probe images, "
            "the code's traversal and its scatter refresh here. Switching pages or reloading keeps the run.",
            icon=":material/school:",
        )
        before_training(config)
    else:
        live_view(entry, snapshot, ui.is_live(snapshot, entry))
        if snapshot.ended:
            summary_section(snapshot)

ui.warm_up().start()  # after the page is drawn (app.py does the same; the first call wins)
