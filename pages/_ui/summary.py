"""After training: a run's test metrics, its model summary and the downloads (model, archive, config, history)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import streamlit as st

from aecore.runs.compare import tensorboard_command
from aecore.settings.config import ELBO_MEANINGS
from pages import _ui as ui

if TYPE_CHECKING:
    from aecore.runs.folder import RunFolder
    from aecore.runs.snapshots import Snapshot

METRICS_PER_ROW = 2
#: the model summary's row height in pixels (Streamlit's default)
TABLE_ROW_HEIGHT = 35
CONV_RULE = r"O = \frac{W - F + 2P}{S} + 1"
PSNR_FORMULA = r"\mathrm{PSNR} = 10 \log_{10} \frac{1}{\mathrm{MSE}(x, \hat x)}"


def saved_folder(snapshot: Snapshot) -> RunFolder | None:
    """The run's folder in the store, or None when the store could not save it."""
    from aecore.runs.folder import MODEL_FILE

    store = ui.run_store()
    if snapshot.store_error or not store.has(snapshot.run_id):
        return None
    folder = store.folder(snapshot.run_id)
    return folder if folder.file(MODEL_FILE).is_file() else None


def layer_rows(snapshot: Snapshot, folder: RunFolder | None) -> list[dict[str, Any]] | None:
    """Keras' summary of the run's model: from its folder, or from the job's model when it was not saved."""
    if folder is not None:
        return folder.meta().get("layer_table")
    job = None if snapshot.job_id is None else ui.job_manager().get(snapshot.job_id)
    return None if job is None or job.model is None else job.model.layer_table()


def model_file(snapshot: Snapshot, folder: RunFolder | None) -> Any:
    """The plain ``model.keras`` (loads with Keras alone): the stored file, else one made from the job's model."""
    from aecore.runs.folder import MODEL_FILE

    if folder is not None:
        return folder.file(MODEL_FILE).read_bytes
    job = None if snapshot.job_id is None else ui.job_manager().get(snapshot.job_id)
    if job is None or job.model is None:
        return None

    def build() -> bytes:
        from aecore.runs.checkpoints import plain_model_bytes

        return plain_model_bytes(job.model)

    return build


def likelihood_estimate(snapshot: Snapshot, folder: Any, metrics: dict[str, float]) -> None:
    """The VAE's importance-sampled −log p(x) beside its ELBO: on request (it costs many decoder passes), then kept."""
    from aecore.explore.stored_model import PAGE_NLL_SAMPLES, store_nll
    from aecore.settings.config import DENSITY_LOSSES

    if folder is not None and "test_nll" not in metrics:  # estimated since the job that trained it published
        metrics = {**metrics, **{k: v for k, v in folder.metrics().items() if k == "test_nll"}}
    if "test_nll" in metrics:
        gap = -metrics["test_elbo"] - metrics["test_nll"]
        st.caption(
            f"−log p(x) ≈ {metrics['test_nll']:.1f} nats per image, importance-sampled (Burda et al.): {gap:.1f} nats "
            "below −ELBO. The gap is how far q(z|x) is from the true posterior, the part of the bound a better "
            "encoder would close."
        )
        return
    if folder is None or snapshot.config.model.loss not in DENSITY_LOSSES:
        return
    if st.button(f"Estimate log p(x) ({PAGE_NLL_SAMPLES} samples per image)", icon=":material/calculate:"):
        bar = st.progress(0.0, text="Drawing codes from q(z|x) and decoding each…")
        found = ui.guarded(
            lambda: store_nll(folder, ui.run_store(), PAGE_NLL_SAMPLES, lambda done: bar.progress(done)),
            "The log-likelihood could not be estimated",
        )
        if found is not None:
            st.rerun()  # the run's metrics now hold it


def summary_section(snapshot: Snapshot) -> None:
    from aecore.runs.folder import history_csv

    folder = saved_folder(snapshot)
    config = snapshot.config
    st.divider()
    st.subheader("After training")
    metrics_column, downloads_column = st.columns([3, 2], gap="large")
    with metrics_column:
        metrics = snapshot.test_metrics
        st.markdown("**Test metrics**")
        if metrics:
            items = list(metrics.items())
            for start in range(0, len(items), METRICS_PER_ROW):  # rows of two: four in one row are cut at 1280 px
                row = items[start : start + METRICS_PER_ROW]
                for column, (name, value) in zip(st.columns(METRICS_PER_ROW), row, strict=False):
                    label, template = ui.METRIC_LABELS.get(name, (name, "{:.4g}"))
                    column.metric(label, template.format(value))
            st.latex(PSNR_FORMULA)
            st.caption(
                "Peak signal-to-noise ratio of each test image (pixels in [0, 1]), averaged over the test set: higher "
                "is better, each 10 dB a tenfold smaller error. With noise on, compare it with the noisy input's."
            )
            if "test_elbo" in metrics:
                likelihood, comparable = ELBO_MEANINGS[config.model.loss]
                st.caption(
                    f"The test ELBO uses the decoder's **{likelihood}** likelihood (nats per image, β = 1 whatever β "
                    f"trained): compare it with {comparable}."
                )
                likelihood_estimate(snapshot, folder, metrics)
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
            # every layer visible and no blank row below them: rows and header of TABLE_ROW_HEIGHT, 3 px of border
            row_height=TABLE_ROW_HEIGHT,
            height=TABLE_ROW_HEIGHT * (len(rows) + 1) + 3,
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
        from aecore.cli.script import training_script

        st.download_button(
            "Script of this run",  # the controls' "Python script" is of the settings shown, not of this run
            data=lambda: training_script(config, snapshot.live_changes),
            file_name=f"{stem}-train_ae.py",
            mime="text/x-python",
            on_click="ignore",
            icon=":material/code:",
            key="download_script",
            help="One file that trains this model with TensorFlow alone: the same networks, loss terms, noise, "
            "optimizer and seed; settings changed while it trained are listed in it as comments.",
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
        with st.popover("Open in TensorBoard", icon=":material/monitoring:"):
            st.code(tensorboard_command(ui.run_store().root, [snapshot.run_id]), language=None, wrap_lines=True)
            st.caption("Its TensorBoard events: each loss term per batch and per epoch, the probe images.")
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
